/* The meeting page's replies: my reply form shows the reason and the colleague picker only when they
 * apply; the organisers' list of answers follows meeting:replies live. */
(function () {
  "use strict";
  const App = window.App;
  const form = document.querySelector(".reply-form");
  if (form) {
    const sync = function () {
      const chosen = (form.querySelector("input[name=response]:checked") || {}).value;
      form.querySelectorAll("[data-reply-for]").forEach(function (box) {
        box.classList.toggle("d-none", box.dataset.replyFor.split(" ").indexOf(chosen) < 0);
      });
      const select = form.querySelector("select[name=substitute_id]");
      if (select) select.required = chosen === "substitute";
    };
    form.addEventListener("change", sync);
    sync();
  }

  const card = document.getElementById("meeting-replies");
  if (!card || !App.socket) return;
  const meetingId = Number(card.dataset.meetingId);
  const labels = { attend: ["text-bg-success", App.t("reply_attend")], decline: ["text-bg-secondary", App.t("reply_decline")],
    substitute: ["text-bg-info", App.t("reply_substitute")] };
  App.socket.on("meeting:replies", function (summary) {
    if (Number(summary.meeting_id) !== meetingId) return;
    Object.keys(summary.counts).forEach(function (key) {
      const badge = card.querySelector('[data-count="' + key + '"]');
      if (badge) badge.textContent = String(summary.counts[key]);
    });
    card.querySelector(".replies-list").replaceChildren.apply(card.querySelector(".replies-list"), summary.items.map(function (r) {
      const li = App.el("li", "list-group-item d-flex flex-wrap gap-1 align-items-center");
      li.dataset.userId = String(r.user_id);
      li.append(App.el("span", "me-auto", r.full_name));
      const label = r.response ? labels[r.response] : ["text-bg-light border", App.t("reply_none")];
      li.append(App.el("span", "badge " + label[0], label[1]));
      if (r.substitute) li.append(App.el("span", "w-100 text-body-secondary", "→ " + r.substitute.full_name));
      if (r.reason) li.append(App.el("span", "w-100 text-body-secondary fst-italic", r.reason));
      return li;
    }));
  });
})();

/* The meeting page's attendance table while the meeting is live: read again from the attendance API every
 * 10 seconds while the tab is visible (at once when it becomes visible again), redrawn in place, with the
 * time of the last update. Polling is light (one small JSON per viewer, only chair, secretary and leaders
 * see the table) and needs no room socket, which would count the viewer as present. */
(function () {
  "use strict";
  const App = window.App;
  const card = document.getElementById("attendance");
  if (!card || !card.dataset.liveUrl) return;
  const url = card.dataset.liveUrl;
  const zone = card.dataset.timezone || undefined;
  const tbody = card.querySelector("table.attendance-table tbody");
  const stamp = document.getElementById("attendance-updated");
  const PERIOD = 10000;
  let timer = null;
  let busy = false;
  let lastOk = new Date();

  const clock = new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone });
  function time(iso) { return iso ? clock.format(new Date(iso)) : ""; }
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(s / 3600) + ":" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }
  function badge(cls, text) { return App.el("span", "badge " + cls, text); }

  function row(r) {
    const tr = document.createElement("tr");
    tr.dataset.userId = String(r.user_id);
    const who = document.createElement("td");
    who.appendChild(App.el("div", "fw-semibold", r.full_name));
    who.appendChild(App.el("div", "small text-body-secondary", (r.agency || "") + (r.invited === false ? " · " + App.t("att_not_invited") : "")));
    if (r.representation) {
      const rep = App.el("div", "small text-info-emphasis", r.representation);
      rep.dataset.representation = "";
      who.appendChild(rep);
    }
    const status = document.createElement("td");
    if (r.status === "present") {
      status.appendChild(badge("text-bg-success", App.t("att_present")));
      if (r.online) {
        const dot = App.el("span", "presence-dot on d-inline-block ms-1", "");
        dot.title = App.t("att_online");
        status.appendChild(dot);
      }
    } else {
      status.appendChild(badge("text-bg-secondary", App.t("att_absent")));
    }
    const first = App.el("td", "small", r.first_joined_at ? time(r.first_joined_at) : "—");
    const last = App.el("td", "small", r.last_left_at ? time(r.last_left_at) : (r.online ? App.t("att_still_here") : "—"));
    const present = App.el("td", "text-end font-monospace small", duration(r.present_seconds));
    const late = App.el("td", "small", "");
    if (r.late) late.appendChild(App.el("span", "text-danger", App.fmt("att_min_late", { n: Math.ceil((r.late_seconds || 0) / 60) })));
    else if (r.status === "present") late.appendChild(App.el("span", "text-success", App.t("att_on_time")));
    else late.textContent = "—";
    const call = App.el("td", "small text-nowrap", "");
    call.dataset.joinedCall = r.joined_call_at ? "1" : "0";
    if (r.joined_call_at) {
      call.appendChild(App.el("i", "bi bi-camera-video text-primary me-1", ""));
      const when = App.el("span", "", time(r.joined_call_at));
      when.title = App.t("att_first_joined_call");
      call.appendChild(when);
    } else {
      call.textContent = "—";
    }
    tr.append(who, status, first, last, present, late, call);
    return tr;
  }

  function render(data) {
    const items = data.items || [];
    tbody.replaceChildren.apply(tbody, items.map(row));
    const n = items.filter(function (r) { return r.status === "present"; }).length;
    const present = document.getElementById("attendance-present");
    const absent = document.getElementById("attendance-absent");
    if (present) present.textContent = App.fmt("att_n_present", { n: n });
    if (absent) absent.textContent = App.fmt("att_n_absent", { n: items.length - n });
    const total = card.querySelector("[data-people-total]");
    if (total && data.people_total !== undefined) total.textContent = String(data.people_total);
  }

  function showStamp(failed) {
    if (!stamp) return;
    const now = clock.format(lastOk);
    stamp.querySelector("span").textContent = failed ? App.fmt("att_update_failed", { time: now }) : App.fmt("att_updated", { time: now });
    stamp.classList.toggle("text-danger", !!failed);
    stamp.classList.toggle("text-body-secondary", !failed);
    stamp.dataset.updatedAt = lastOk.toISOString();
  }

  async function poll() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      render(await App.api("GET", url));
      lastOk = new Date();
      showStamp(false);
    } catch {
      showStamp(true);
    } finally {
      busy = false;
    }
  }

  function start() { if (!timer) timer = setInterval(poll, PERIOD); }
  function stop() { clearInterval(timer); timer = null; }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { stop(); } else { poll(); start(); }
  });
  showStamp(false);
  if (!document.hidden) start();
})();

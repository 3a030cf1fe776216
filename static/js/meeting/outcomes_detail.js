/* The meeting page's outcomes card: keep the tracking of the directives born from the meeting
 * (and, for a follow-up, those of the earlier meeting) current. Tracking changes reach leaders and
 * agencies as assignment:updated; deadlines pass without any event, so it also re-reads each minute. */
const App = window.App;
const card = document.getElementById("outcomes-detail");
const shown = new Set(Array.from(card.querySelectorAll("[data-directive-id]")).map((e) => Number(e.dataset.directiveId)));

function updateRow(row, a) {
  const badge = row.querySelector('[data-field="tracking"]');
  if (badge && !badge.classList.contains("tracking-" + a.tracking)) {
    badge.className = "badge tracking-badge tracking-" + a.tracking;
    badge.textContent = App.t("oc_" + a.tracking);
  }
  const progress = row.querySelector('[data-field="progress"]');
  if (progress) progress.textContent = a.progress + "%";
  const bar = row.querySelector(".progress-bar");
  if (bar) bar.style.width = a.progress + "%";
}

/** Update the rows shown; true when a directive is not shown yet. */
function update(items) {
  let unknown = false;
  items.forEach((d) => {
    if (!shown.has(d.id)) { unknown = true; return; }
    d.assignments.forEach((a) => {
      const row = card.querySelector('[data-assignment-id="' + a.id + '"]');
      if (row) updateRow(row, a);
    });
  });
  return unknown;
}
async function refresh() {
  try {
    const res = await App.api("GET", card.dataset.api);
    const unknown = update(res.items) | update(res.follow_up || []);
    if (unknown) window.location.reload(); // a directive issued meanwhile: show it with its full row
  } catch { /* keep what is shown */ }
}
if (App.socket) {
  App.socket.on("assignment:updated", (p) => { if (shown.has(p.directive_id)) refresh(); });
  App.socket.on("connect", refresh);
}
setInterval(() => { if (document.visibilityState === "visible") refresh(); }, 60000);

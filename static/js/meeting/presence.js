/* Who is in the room: the participant list marks the people online and puts them first. */
import { room } from "./hub.js";

const App = window.App;
const t = App.t;
const ul = document.getElementById("participant-list");
const fetching = new Set();

function addGuestRow(id) {
  // a leader or admin who joined without an invitation: shown once we know their name
  if (!ul || fetching.has(id)) return;
  fetching.add(id);
  App.api("GET", "/api/v1/users/" + id).then((u) => {
    if (ul.querySelector('[data-user-id="' + id + '"]')) return;
    const li = App.el("li", "list-group-item d-flex align-items-center gap-2 small");
    li.dataset.userId = String(id);
    const who = App.el("span", "flex-grow-1 min-w-0");
    who.append(
      App.el("span", "d-block text-truncate fw-semibold", u.full_name),
      App.el("span", "d-block text-truncate text-body-secondary", u.title || ""),
    );
    li.append(
      App.el("span", "presence-dot"),
      who,
      App.el("span", "badge text-bg-light border", t("meeting_guest")),
      App.el("span", "visually-hidden presence-text"),
    );
    ul.append(li);
    setPresence(room.present);
  }).catch(() => { /* not fatal: the count still includes them */ });
}

export function setPresence(ids) {
  room.present = ids || [];
  const present = new Set(room.present);
  room.present.forEach((id) => {
    if (!document.querySelector('#participant-list [data-user-id="' + id + '"]')) addGuestRow(id);
  });
  document.querySelectorAll("#participant-list [data-user-id]").forEach((li) => {
    const on = present.has(Number(li.dataset.userId));
    li.classList.toggle("is-online", on);
    const dot = li.querySelector(".presence-dot");
    if (dot) dot.title = on ? t("meeting_online") : t("meeting_offline");
    const txt = li.querySelector(".presence-text");
    if (txt) txt.textContent = on ? t("meeting_online") : t("meeting_offline");
  });
  const count = document.getElementById("present-count");
  if (count) count.textContent = String(present.size);
  // online people first, keeping the chair/secretary/name order otherwise
  if (ul) {
    const items = Array.from(ul.children);
    items.sort((a, b) => (present.has(Number(b.dataset.userId)) ? 1 : 0) - (present.has(Number(a.dataset.userId)) ? 1 : 0)
      || items.indexOf(a) - items.indexOf(b));
    items.forEach((li) => ul.append(li));
  }
}

room.on("meeting:presence", (p) => { setPresence(p.present); });

/* Agenda control in the live room: the item under discussion, highlighted in the agenda and named at the top
 * of the room with the time spent against its planned minutes (amber near, red past). The chair and the
 * secretary open an item (agenda:open), move to the next or close it (agenda:close); agenda:updated keeps
 * every page current, and after a reconnect the state is read again (refresh). */
import { room } from "./hub.js";
import { syncTo, secondsSince, duration, planState, everySecond } from "./clock.js";

const App = window.App;
const { t, fmt } = App;
let state = room.data.agenda || { items: [], current_item_id: null };
syncTo(state.now);

const top = document.getElementById("agenda-current");
const list = document.getElementById("agenda-list");
const nextBtn = document.getElementById("agenda-next");
const closeBtn = document.getElementById("agenda-close");
const canRun = !!room.perms.can_run_agenda;

function current() {
  return state.items.find((i) => i.id === state.current_item_id) || null;
}

/** The item "next" opens: the one after the current, else the first never opened. */
function nextItem() {
  const cur = current();
  if (cur) return state.items.find((i) => i.position > cur.position) || null;
  return state.items.find((i) => !i.opened_at) || null;
}

function live() { return room.status === "live"; }

function setTimer(timerEl, item) {
  if (!timerEl) return;
  if (!item) { timerEl.classList.add("d-none"); return; }
  const spent = secondsSince(item.opened_at);
  timerEl.classList.remove("d-none", "is-near", "is-over");
  const look = planState(spent, item.planned_minutes);
  if (look) timerEl.classList.add(look);
  timerEl.textContent = item.planned_minutes ? duration(spent) + " / " + duration(item.planned_minutes * 60) : duration(spent);
  timerEl.title = item.planned_minutes ? fmt("agenda_timer_planned", { n: item.planned_minutes }) : t("agenda_timer");
  timerEl.dataset.state = look || "ok";
}

function tick() {
  const cur = current();
  setTimer(document.getElementById("agenda-current-timer"), cur);
  if (list) {
    list.querySelectorAll("[data-item-timer]").forEach((el) => {
      const li = el.closest("[data-item-id]");
      setTimer(el, cur && li && Number(li.dataset.itemId) === cur.id ? cur : null);
    });
  }
}

function renderTop() {
  if (!top) return;
  const cur = current();
  const title = document.getElementById("agenda-current-title");
  title.replaceChildren();
  if (cur) {
    title.textContent = cur.position + ". " + cur.title;
  } else {
    title.appendChild(App.el("span", "text-body-secondary fw-normal", t("agenda_none_open")));
  }
  const presenter = document.getElementById("agenda-current-presenter");
  presenter.replaceChildren();
  if (cur && cur.presenter) {
    presenter.append(App.el("i", "bi bi-person-video3 me-1"), document.createTextNode(cur.presenter.full_name));
  }
  const next = nextItem();
  const controls = canRun && live() && state.items.length > 0;
  if (nextBtn) {
    nextBtn.classList.toggle("d-none", !controls || !next);
    nextBtn.querySelector("span").textContent = next ? fmt("agenda_move_to", { n: next.position }) : "";
    nextBtn.dataset.itemId = next ? String(next.id) : "";
  }
  if (closeBtn) closeBtn.classList.toggle("d-none", !controls || !cur);
  top.classList.toggle("d-none", !cur && !controls);
  top.dataset.currentItem = cur ? String(cur.id) : "";
}

function renderList() {
  if (!list) return;
  list.querySelectorAll("[data-item-id]").forEach((li) => {
    const item = state.items.find((i) => i.id === Number(li.dataset.itemId));
    const isCurrent = !!item && item.id === state.current_item_id;
    li.classList.toggle("is-current", isCurrent);
    li.classList.toggle("is-done", !!item && !!item.closed_at && !isCurrent);
    if (isCurrent) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    const btn = li.querySelector("[data-open-item]");
    if (btn) btn.classList.toggle("d-none", isCurrent || !live());
  });
}

function render() {
  renderTop();
  renderList();
  tick();
}

function apply(next) {
  if (!next || !Array.isArray(next.items)) return;
  state = next;
  syncTo(state.now);
  render();
}

async function send(event, payload) {
  try {
    const ack = await App.emit(event, Object.assign({ meeting_id: room.meetingId }, payload));
    apply(ack.agenda);
  } catch (err) {
    App.toast((err && err.message) || t("error"), "danger");
  }
}

if (list) {
  list.addEventListener("click", (ev) => {
    const btn = ev.target.closest("[data-open-item]");
    if (btn) send("agenda:open", { item_id: Number(btn.dataset.openItem) });
  });
}
if (nextBtn) nextBtn.addEventListener("click", () => { if (nextBtn.dataset.itemId) send("agenda:open", { item_id: Number(nextBtn.dataset.itemId) }); });
if (closeBtn) closeBtn.addEventListener("click", () => { send("agenda:close", {}); });

room.on("agenda:updated", apply);
room.on("status", () => { render(); });

/** After a reconnect: the agenda as it is now. */
export async function refresh() {
  apply(await App.api("GET", "/api/v1/meetings/" + room.meetingId + "/agenda"));
}

render();
everySecond(tick);

/* The live room's hub, shared by its panels: the page's data, the meeting's events, the panel tabs.
 *
 *   room.on(event, fn)   a server event of this meeting, or "joined" / "status" (fired by room.js)
 *   room.fire(event, payload)
 *   room.showPanel(name), room.panelInView(name), room.markNews(name)
 */
const App = window.App;
const D = JSON.parse(document.getElementById("room-data").textContent);

const localHandlers = {};
export const room = {
  data: D,
  meetingId: D.meeting_id,
  userId: D.user_id,
  perms: D.perms || {},
  socket: App.socket,
  status: D.status,
  present: [],
  joined: false,
  on(event, fn) {
    if (event === "joined" || event === "status") {
      (localHandlers[event] = localHandlers[event] || []).push(fn);
      return;
    }
    if (!App.socket) return;
    App.socket.on(event, (payload) => {
      if (payload && payload.meeting_id !== undefined && Number(payload.meeting_id) !== D.meeting_id) return;
      fn(payload);
    });
  },
  fire(event, payload) {
    (localHandlers[event] || []).forEach((fn) => {
      try { fn(payload); } catch (e) { console.error(e); }
    });
  },
};

// -- panels: a phone shows one at a time, picked in the tab bar; a desktop shows them all ------
const grid = document.querySelector(".room-grid");
const tabs = document.querySelectorAll("[data-room-tab]");
function showTab(name) {
  grid.dataset.tab = name;
  tabs.forEach((b) => {
    const on = b.dataset.roomTab === name;
    b.classList.toggle("active", on);
    b.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) b.classList.remove("has-news");
  });
  grid.querySelectorAll("[data-room-panel]").forEach((p) => {
    p.classList.toggle("room-panel-off", p.dataset.roomPanel !== name);
  });
  grid.querySelectorAll("[data-room-col]").forEach((c) => {
    c.classList.toggle("room-panel-off", c.dataset.roomCol.split(" ").indexOf(name) < 0);
  });
}
tabs.forEach((btn) => {
  btn.addEventListener("click", () => showTab(btn.dataset.roomTab));
});
/** Is any of the panel on the screen now (its phone tab chosen, scrolled into view)? */
room.panelInView = function (name) {
  const panel = grid.querySelector('[data-room-panel="' + name + '"]');
  if (!panel || !panel.offsetParent) return false;
  const r = panel.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
};
/** Bring a panel to the front: its tab on a phone, scrolled into view everywhere. */
room.showPanel = function (name) {
  showTab(name);
  const panel = grid.querySelector('[data-room-panel="' + name + '"]');
  if (panel) panel.scrollIntoView({ block: "start", behavior: "smooth" });
};
/** Something new in a panel the user is not looking at: its phone tab says so until opened. */
room.markNews = function (name) {
  tabs.forEach((b) => { if (b.dataset.roomTab === name && !b.classList.contains("active")) b.classList.add("has-news"); });
};

/* The live meeting room (the page's one script): joining, the meeting's status, the connection,
 * and every panel, each in its own module: chat, presence, minutes, votes, speakers, conclusions,
 * the connection points (points.js) and the call (call.js, call_recording.js).
 *
 * Joins the room (meeting:join) on connect and on every reconnect with the last message id seen;
 * the ack brings what was missed. After a reconnect the outcome panels read their state again:
 * nothing missed stays stale. All the modules run before any socket answer is handled, so no
 * event reaches a panel before it listens. */
import { room } from "./hub.js";
import * as chat from "./chat.js";
import { setPresence } from "./presence.js";
import * as minutes from "./minutes.js";
import * as votes from "./votes.js";
import * as speakers from "./speakers.js";
import * as conclusions from "./conclusions.js";
import * as points from "./points.js";
import * as agenda from "./agenda.js";
import "./call.js";
import "./call_recording.js";
import "./documents.js";

const App = window.App;
const t = App.t;
const socket = App.socket;
const connEl = document.getElementById("chat-connection");
const closedEl = document.getElementById("chat-closed");

// -- status ----------------------------------------------------------------
function applyStatus(status) {
  room.status = status;
  document.body.dataset.meetingStatus = status;
  const lobby = document.getElementById("room-lobby");
  if (lobby && status !== "scheduled") lobby.classList.add("d-none");
  if (status === "ended" || status === "cancelled") {
    chat.closeChat();
    if (closedEl) closedEl.classList.remove("d-none");
    setPresence([]);
  }
  const badge = document.querySelector("#room-status [data-status-badge]");
  const label = t("meeting_status_" + status);
  if (badge && label !== "meeting_status_" + status) {
    badge.className = "badge meeting-status meeting-status-" + status;
    badge.textContent = label;
  }
  room.fire("status", { meeting_id: room.meetingId, status: status });
}

// -- connection ----------------------------------------------------------------
function setConn(state) {
  if (!connEl) return;
  connEl.dataset.state = state;
  // one short word in the header (it must fit a phone); the whole sentence on hover
  const text = connEl.querySelector(".conn-text");
  const short = state === "disconnected" ? t("meeting_conn_offline") : t("meeting_conn_" + state);
  if (text) text.textContent = short;
  connEl.title = t("meeting_conn_" + state);
}

function join() {
  const payload = { meeting_id: room.meetingId };
  if (chat.lastMessageId()) payload.last_message_id = chat.lastMessageId();
  socket.timeout(10000).emit("meeting:join", payload, (err, ack) => {
    if (err || !ack) { setTimeout(() => { if (socket.connected) join(); }, 2000); return; }
    if (!ack.ok) {
      setConn("disconnected");
      App.toast(t("meeting_error_" + ack.error) || t("error"), "danger");
      return;
    }
    const first = !room.joined;
    room.joined = true;
    setConn("connected");
    chat.joined(ack, first);
    setPresence(ack.present);
    if (ack.status && ack.status !== room.status) applyStatus(ack.status);
    chat.flushOutbox();
    room.fire("joined", ack);
  });
}

// -- after a reconnect: re-read everything that may have changed meanwhile ------------
let joinedBefore = false;
room.on("joined", async () => {
  if (!joinedBefore) { joinedBefore = true; return; }
  try {
    await minutes.refresh();
    await speakers.refresh();
    await conclusions.refreshConclusions();
    await points.refresh();
    await agenda.refresh();
  } catch { /* next reconnect */ }
  votes.refresh();
  conclusions.refreshDirectives();
});

// -- taken off the meeting ---------------------------------------------------------
function showRemoved() {
  // a lasting notice in place of the room: a toast fades, the room must not look merely offline
  const grid = document.querySelector(".room-grid");
  if (!grid || document.getElementById("room-removed")) return;
  const notice = App.el("div", "alert alert-warning d-flex flex-wrap align-items-center gap-2");
  notice.id = "room-removed";
  notice.setAttribute("role", "alert");
  const link = App.el("a", "btn btn-sm btn-primary", t("meeting_removed_back"));
  link.href = "/meetings";
  notice.append(App.el("span", "me-auto", t("meeting_removed_notice")), link);
  grid.replaceWith(notice);
}

applyStatus(room.data.status);
if (!socket) {
  setConn("disconnected");
} else {
  socket.on("connect", join);
  socket.on("disconnect", () => {
    setConn("disconnected");
    chat.disconnected();
  });
  if (socket.connected) join();
  room.on("meeting:status", (p) => { applyStatus(p.status); });
  room.on("meeting:removed", () => {
    // the chair took us off the invitation: the room is closed to us from now on
    socket.off("connect", join);
    chat.closeChat();
    setConn("disconnected");
    setPresence([]);
    App.toast(t("meeting_removed"), "danger", "/meetings");
    showRemoved();
  });
  room.on("meeting:updated", () => {
    // agenda or invitations changed: the link reloads the page (the outbox survives it)
    App.toast(t("meeting_updated"), "info", window.location.pathname);
  });
  // leave cleanly when the tab closes (the server also closes the span on disconnect)
  window.addEventListener("pagehide", () => {
    if (socket.connected) socket.emit("meeting:leave", { meeting_id: room.meetingId });
  });
}

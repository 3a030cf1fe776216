/* The room's chat, which never loses a message.
 *
 * - On every (re)join the room hands over the messages missed since the last id seen: rendered
 *   once each (deduplicated by id); more than one ack's worth is paged in through the API.
 * - Messages being sent live in an outbox in localStorage (per user and meeting) and are retried
 *   with the same client id until the server acks them: the server stores one message per client
 *   id, so retries never double anything.
 * - Older history loads as you scroll up (GET .../messages?before=<id>).
 * - User text is always inserted as text; only http(s) links become <a> elements.
 */
import { room } from "./hub.js";

const App = window.App;
const t = App.t;
const D = room.data;
const socket = App.socket;
const me = room.userId;
const PERMANENT = ["empty", "too_long", "forbidden", "not_found", "bad_request", "meeting_ended", "meeting_cancelled", "unauthorized"];

// -- elements ----------------------------------------------------------------
const scroller = document.getElementById("chat-messages");
const list = document.getElementById("chat-list");
const pendingBox = document.createElement("div");
pendingBox.id = "chat-pending";
list.after(pendingBox);
const emptyEl = document.getElementById("chat-empty");
const olderEl = document.getElementById("chat-older");
const olderBtn = document.getElementById("chat-older-btn");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-input");
const errorEl = document.getElementById("chat-error");
const counter = document.getElementById("chat-counter");
const hint = document.getElementById("chat-hint");

// -- state -----------------------------------------------------------------
const rendered = new Map(); // message id -> element
let lastId = 0;
let oldestId = null;
let hasOlder = false;
let loadingOlder = false;
const inFlight = new Set(); // client ids awaiting an ack

const stored = App.storedList("meeting-outbox:" + me + ":" + room.meetingId);
let outbox = stored.load();

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

// -- rendering ---------------------------------------------------------------
const URL_RE = /(https?:\/\/[^\s<>"']+)/g;
function appendText(el, text) {
  // only http(s) URLs become links; everything else stays plain text
  let last = 0;
  text.replace(URL_RE, (match, _url, offset) => {
    const link = match.replace(/[.,;:!?)\]]+$/, "");
    if (offset > last) el.append(document.createTextNode(text.slice(last, offset)));
    let ok;
    try { ok = ["http:", "https:"].indexOf(new URL(link).protocol) >= 0; } catch { ok = false; }
    if (ok) {
      const a = App.el("a", "", link);
      a.href = link;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      el.append(a);
    } else {
      el.append(document.createTextNode(link));
    }
    last = offset + link.length;
    return match;
  });
  if (last < text.length) el.append(document.createTextNode(text.slice(last)));
}

function timeText(iso) {
  const d = iso ? new Date(iso) : new Date();
  const opts = { hour: "2-digit", minute: "2-digit" };
  if (D.timezone) opts.timeZone = D.timezone;  // the province's time, whatever the device says
  const sameDay = Math.abs(Date.now() - d.getTime()) < 20 * 3600 * 1000;
  if (!sameDay) { opts.day = "2-digit"; opts.month = "2-digit"; }
  try { return d.toLocaleString(document.documentElement.lang || "vi", opts); } catch { return d.toISOString().slice(11, 16); }
}

function bubble(authorName, body, iso, mine) {
  const el = App.el("div", "chat-msg" + (mine ? " mine" : ""));
  const meta = App.el("div", "chat-meta");
  const who = App.el("span", "chat-author", mine ? t("meeting_you") : authorName);
  const when = App.el("time", "chat-time", timeText(iso));
  if (iso) when.dateTime = iso;
  meta.append(who, when);
  const text = App.el("div", "chat-body");
  appendText(text, body);
  el.append(meta, text);
  return el;
}

function setState(el, state, detail) {
  let badge = el.querySelector(".chat-state");
  if (!badge) {
    badge = App.el("span", "chat-state");
    el.querySelector(".chat-meta").append(badge);
  }
  el.dataset.state = state;
  const icon = { sending: "bi-clock", sent: "bi-check2", failed: "bi-exclamation-circle" }[state];
  badge.textContent = "";
  badge.append(App.el("i", "bi " + icon), document.createTextNode(" " + (detail || t("meeting_" + state))));
}

function nearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}
function toBottom() { scroller.scrollTop = scroller.scrollHeight; }

function updateEmpty() {
  const none = rendered.size === 0 && pendingBox.childElementCount === 0;
  emptyEl.classList.toggle("d-none", !none);
}

function dropFromOutbox(clientId) {
  outbox = outbox.filter((o) => o.client_id !== clientId);
  stored.save(outbox);
}

/** The message a new id goes before, keeping id order: most arrive at the end (null), replays and
 * scroll-back may not. */
function nextAfter(id) {
  if (!(id < lastId || (oldestId !== null && id < oldestId))) return null;
  for (const child of list.children) {
    if (Number(child.dataset.id) > id) return child;
  }
  return null;
}

/** One of ours is stored: it is no longer pending, nor in the outbox. */
function delivered(clientId) {
  const pending = pendingBox.querySelector('[data-client-id="' + CSS.escape(clientId) + '"]');
  if (pending) pending.remove();
  if (outbox.some((o) => o.client_id === clientId)) dropFromOutbox(clientId);
}

function renderMessage(m) {
  if (rendered.has(m.id)) return false;
  const mine = m.author && m.author.id === me;
  const el = bubble(m.author ? m.author.full_name : "", m.body, m.created_at, mine);
  el.dataset.id = String(m.id);
  el.dataset.clientId = m.client_id || "";
  if (mine) setState(el, "sent");
  list.insertBefore(el, nextAfter(m.id));
  rendered.set(m.id, el);
  if (m.id > lastId) lastId = m.id;
  if (oldestId === null || m.id < oldestId) oldestId = m.id;
  if (mine && m.client_id) delivered(m.client_id);
  return true;
}

function renderMany(messages) {
  const stick = nearBottom();
  let added = 0;
  (messages || []).forEach((m) => { if (renderMessage(m)) added += 1; });
  updateEmpty();
  if (added && stick) toBottom();
  return added;
}

function renderPending(item) {
  let el = pendingBox.querySelector('[data-client-id="' + CSS.escape(item.client_id) + '"]');
  if (!el) {
    el = bubble(t("meeting_you"), item.body, null, true);
    el.dataset.clientId = item.client_id;
    pendingBox.append(el);
  }
  setState(el, item.failed ? "failed" : "sending", item.error);
  updateEmpty();
  return el;
}

// -- sending -----------------------------------------------------------------
function sendItem(item) {
  if (!socket || !socket.connected || !room.joined || inFlight.has(item.client_id)) {
    renderPending(item);
    return;
  }
  inFlight.add(item.client_id);
  const el = renderPending(item);
  setState(el, "sending");
  socket.timeout(10000).emit("chat:send", { meeting_id: room.meetingId, body: item.body, client_id: item.client_id }, (err, ack) => {
    inFlight.delete(item.client_id);
    if (err || !ack) {
      setState(el, "failed"); // no answer: kept in the outbox, retried
      return;
    }
    if (ack.ok) {
      renderMessage(ack.message);
      updateEmpty();
      toBottom();
      return;
    }
    const code = ack.error || "error";
    const text = t("meeting_error_" + code) !== "meeting_error_" + code ? t("meeting_error_" + code) : (ack.message || t("error"));
    if (PERMANENT.indexOf(code) >= 0) {
      // will never succeed: out of the outbox, shown as not sent
      dropFromOutbox(item.client_id);
      el.classList.add("rejected");
    }
    setState(el, "failed", text);
  });
}

export function flushOutbox() {
  outbox.forEach(sendItem);
}
setInterval(() => { if (outbox.length) flushOutbox(); }, 4000);

if (form) {
  const max = D.max_length || 4000;
  const updateCounter = () => {
    const left = max - input.value.length;
    counter.textContent = left < 500 ? left + " " + t("meeting_chars_left") : "";
  };
  input.addEventListener("input", () => {
    errorEl.textContent = "";
    if (hint) hint.classList.remove("invisible");
    updateCounter();
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) { errorEl.textContent = t("meeting_error_empty"); return; }
    if (body.length > max) { errorEl.textContent = t("meeting_error_too_long"); return; }
    const item = { client_id: newClientId(), body: body, at: new Date().toISOString() };
    outbox.push(item);
    stored.save(outbox);
    input.value = "";
    input.style.height = "auto";
    updateCounter();
    sendItem(item);
    toBottom();
  });
}

/** The chat is over for this user (the meeting ended, or they were taken off it). */
export function closeChat() {
  if (form) form.classList.add("d-none");
}

// -- history ---------------------------------------------------------------
async function loadOlder() {
  if (loadingOlder || !hasOlder || oldestId === null) return;
  loadingOlder = true;
  const height = scroller.scrollHeight;
  const top = scroller.scrollTop;
  try {
    const data = await App.api("GET", D.messages_url + "?before=" + oldestId + "&limit=50");
    (data.items || []).forEach(renderMessage);
    hasOlder = (data.items || []).length >= 50;
    scroller.scrollTop = scroller.scrollHeight - height + top;
  } catch {
    App.toast(t("error"), "danger");
  } finally {
    loadingOlder = false;
    olderEl.classList.toggle("d-none", !hasOlder);
    updateEmpty();
  }
}
scroller.addEventListener("scroll", () => { if (scroller.scrollTop < 40) loadOlder(); });
if (olderBtn) olderBtn.addEventListener("click", loadOlder);

async function catchUp() {
  // more than one ack's worth was missed: page forward through the API
  for (let i = 0; i < 50; i++) {
    const data = await App.api("GET", D.messages_url + "?after=" + lastId + "&limit=200");
    renderMany(data.items);
    if (!data.items || data.items.length < 200) break;
  }
}

/** What the join payload carries: the last message id this page has seen. */
export function lastMessageId() { return lastId; }

/** The room was (re)joined: render what was missed. */
export function joined(ack, first) {
  const stick = first || nearBottom();
  renderMany(ack.messages);
  if (first) {
    hasOlder = !!ack.more;
    olderEl.classList.toggle("d-none", !hasOlder);
  } else if (ack.more) {
    catchUp();
  }
  if (stick) toBottom();
}

export function disconnected() { inFlight.clear(); }

outbox.forEach(renderPending);
updateEmpty();
room.on("chat:message", (m) => { renderMany([m]); });

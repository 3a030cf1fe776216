/* The live meeting room: joining, presence, and a chat that never loses a message.
 *
 * - Joins the room (meeting:join) on connect and on every reconnect, with the last
 *   message id it saw, and renders whatever it missed (deduplicated by id).
 * - Messages being sent live in an outbox in localStorage (per user and meeting) and
 *   are retried with the same client id until the server acks them: the server stores
 *   one message per client id, so retries never double anything.
 * - Older history loads as you scroll up (GET .../messages?before=<id>).
 * - User text is always inserted as text; only http(s) links become <a> elements.
 *
 * For other scripts on the page (the minutes, votes and speaker panels):
 *   window.MeetingRoom = {meetingId, userId, perms, socket, status,
 *                         on(event, fn)   // a server event of this meeting, or "joined" / "status"
 *                        }
 */
(function () {
  "use strict";
  const dataEl = document.getElementById("room-data");
  if (!dataEl || !window.App) return;
  const D = JSON.parse(dataEl.textContent);
  const t = App.t;
  const socket = App.socket;
  const meetingId = D.meeting_id;
  const me = D.user_id;
  const PERMANENT = ["empty", "too_long", "forbidden", "not_found", "bad_request", "meeting_ended", "meeting_cancelled", "unauthorized"];

  // -- the public hook for the outcome panels ---------------------------------
  const localHandlers = {};
  const room = {
    meetingId: meetingId,
    userId: me,
    perms: D.perms || {},
    socket: socket,
    status: D.status,
    present: [],
    on: function (event, fn) {
      if (event === "joined" || event === "status") {
        (localHandlers[event] = localHandlers[event] || []).push(fn);
        return;
      }
      if (!socket) return;
      socket.on(event, function (payload) {
        if (payload && payload.meeting_id !== undefined && Number(payload.meeting_id) !== meetingId) return;
        fn(payload);
      });
    },
  };
  function fire(event, payload) {
    (localHandlers[event] || []).forEach(function (fn) {
      try { fn(payload); } catch (e) { console.error(e); }
    });
  }
  window.MeetingRoom = room;

  // -- panels: a phone shows one at a time, picked in the tab bar; a desktop shows them all ------
  const grid = document.querySelector(".room-grid");
  const tabs = document.querySelectorAll("[data-room-tab]");
  function showPanel(name) {
    grid.dataset.tab = name;
    tabs.forEach(function (b) {
      const on = b.dataset.roomTab === name;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) b.classList.remove("has-news");
    });
    grid.querySelectorAll("[data-room-panel]").forEach(function (p) {
      p.classList.toggle("room-panel-off", p.dataset.roomPanel !== name);
    });
    grid.querySelectorAll("[data-room-col]").forEach(function (c) {
      c.classList.toggle("room-panel-off", c.dataset.roomCol.split(" ").indexOf(name) < 0);
    });
  }
  tabs.forEach(function (btn) {
    btn.addEventListener("click", function () { showPanel(btn.dataset.roomTab); });
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
    showPanel(name);
    const panel = grid.querySelector('[data-room-panel="' + name + '"]');
    if (panel) panel.scrollIntoView({ block: "start", behavior: "smooth" });
  };
  /** Something new in a panel the user is not looking at: its phone tab says so until opened. */
  room.markNews = function (name) {
    tabs.forEach(function (b) { if (b.dataset.roomTab === name && !b.classList.contains("active")) b.classList.add("has-news"); });
  };

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
  const closedEl = document.getElementById("chat-closed");
  const connEl = document.getElementById("chat-connection");
  const names = {};
  (D.participants || []).forEach(function (p) { names[p.id] = p.full_name; });

  // -- state -----------------------------------------------------------------
  const rendered = new Map(); // message id -> element
  let lastId = 0;
  let oldestId = null;
  let hasOlder = false;
  let loadingOlder = false;
  let joinedOnce = false;
  const inFlight = new Set(); // client ids awaiting an ack

  const stored = App.storedList("meeting-outbox:" + me + ":" + meetingId);
  const saveOutbox = stored.save;
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
    text.replace(URL_RE, function (match, _url, offset) {
      let link = match.replace(/[.,;:!?)\]]+$/, "");
      if (offset > last) el.append(document.createTextNode(text.slice(last, offset)));
      let ok = false;
      try { ok = ["http:", "https:"].indexOf(new URL(link).protocol) >= 0; } catch (e) { ok = false; }
      if (ok) {
        const a = document.createElement("a");
        a.href = link;
        a.textContent = link;
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
    try { return d.toLocaleString(document.documentElement.lang || "vi", opts); } catch (e) { return d.toISOString().slice(11, 16); }
  }

  function bubble(authorName, body, iso, mine) {
    const el = document.createElement("div");
    el.className = "chat-msg" + (mine ? " mine" : "");
    const meta = document.createElement("div");
    meta.className = "chat-meta";
    const who = document.createElement("span");
    who.className = "chat-author";
    who.textContent = mine ? t("meeting_you") : authorName;
    const when = document.createElement("time");
    when.className = "chat-time";
    if (iso) when.dateTime = iso;
    when.textContent = timeText(iso);
    meta.append(who, when);
    const text = document.createElement("div");
    text.className = "chat-body";
    appendText(text, body);
    el.append(meta, text);
    return el;
  }

  function setState(el, state, detail) {
    let badge = el.querySelector(".chat-state");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "chat-state";
      el.querySelector(".chat-meta").append(badge);
    }
    el.dataset.state = state;
    const icon = { sending: "bi-clock", sent: "bi-check2", failed: "bi-exclamation-circle" }[state];
    badge.textContent = "";
    const i = document.createElement("i");
    i.className = "bi " + icon;
    badge.append(i, document.createTextNode(" " + (detail || t("meeting_" + state))));
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function toBottom() { scroller.scrollTop = scroller.scrollHeight; }

  function updateEmpty() {
    const none = rendered.size === 0 && pendingBox.childElementCount === 0;
    emptyEl.classList.toggle("d-none", !none);
  }

  function renderMessage(m) {
    if (rendered.has(m.id)) return false;
    const mine = m.author && m.author.id === me;
    const el = bubble(m.author ? m.author.full_name : "", m.body, m.created_at, mine);
    el.dataset.id = String(m.id);
    el.dataset.clientId = m.client_id || "";
    if (mine) setState(el, "sent");
    // keep id order: most arrive at the end, replays and scroll-back may not
    let before = null;
    if (m.id < lastId || (oldestId !== null && m.id < oldestId)) {
      for (const child of list.children) {
        if (Number(child.dataset.id) > m.id) { before = child; break; }
      }
    }
    list.insertBefore(el, before);
    rendered.set(m.id, el);
    if (m.id > lastId) lastId = m.id;
    if (oldestId === null || m.id < oldestId) oldestId = m.id;
    if (mine && m.client_id) {
      const pending = pendingBox.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]');
      if (pending) pending.remove();
      if (outbox.some(function (o) { return o.client_id === m.client_id; })) {
        outbox = outbox.filter(function (o) { return o.client_id !== m.client_id; });
        saveOutbox(outbox);
      }
    }
    return true;
  }

  function renderMany(messages) {
    const stick = nearBottom();
    let added = 0;
    (messages || []).forEach(function (m) { if (renderMessage(m)) added += 1; });
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
    if (!socket || !socket.connected || !joinedOnce || inFlight.has(item.client_id)) {
      renderPending(item);
      return;
    }
    inFlight.add(item.client_id);
    const el = renderPending(item);
    setState(el, "sending");
    socket.timeout(10000).emit("chat:send", { meeting_id: meetingId, body: item.body, client_id: item.client_id }, function (err, ack) {
      inFlight.delete(item.client_id);
      if (err || !ack) {
        setState(el, "failed"); // no answer: kept in the outbox, retried
        return;
      }
      if (ack.ok) {
        const stick = true;
        renderMessage(ack.message);
        updateEmpty();
        if (stick) toBottom();
        return;
      }
      const code = ack.error || "error";
      const text = t("meeting_error_" + code) !== "meeting_error_" + code ? t("meeting_error_" + code) : (ack.message || t("error"));
      if (PERMANENT.indexOf(code) >= 0) {
        // will never succeed: out of the outbox, shown as not sent
        outbox = outbox.filter(function (o) { return o.client_id !== item.client_id; });
        saveOutbox(outbox);
        el.classList.add("rejected");
        setState(el, "failed", text);
      } else {
        setState(el, "failed", text);
      }
    });
  }

  function flushOutbox() {
    outbox.forEach(sendItem);
  }
  setInterval(function () { if (outbox.length) flushOutbox(); }, 4000);

  if (form) {
    const max = D.max_length || 4000;
    function updateCounter() {
      const left = max - input.value.length;
      counter.textContent = left < 500 ? left + " " + t("meeting_chars_left") : "";
    }
    input.addEventListener("input", function () {
      errorEl.textContent = "";
      if (hint) hint.classList.remove("invisible");
      updateCounter();
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 160) + "px";
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const body = input.value.trim();
      if (!body) { errorEl.textContent = t("meeting_error_empty"); return; }
      if (body.length > max) { errorEl.textContent = t("meeting_error_too_long"); return; }
      const item = { client_id: newClientId(), body: body, at: new Date().toISOString() };
      outbox.push(item);
      saveOutbox(outbox);
      input.value = "";
      input.style.height = "auto";
      updateCounter();
      sendItem(item);
      toBottom();
    });
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
    } catch (e) {
      App.toast(t("error"), "danger");
    } finally {
      loadingOlder = false;
      olderEl.classList.toggle("d-none", !hasOlder);
      updateEmpty();
    }
  }
  scroller.addEventListener("scroll", function () { if (scroller.scrollTop < 40) loadOlder(); });
  if (olderBtn) olderBtn.addEventListener("click", loadOlder);

  async function catchUp() {
    // more than one ack's worth was missed: page forward through the API
    for (let i = 0; i < 50; i++) {
      const data = await App.api("GET", D.messages_url + "?after=" + lastId + "&limit=200");
      renderMany(data.items);
      if (!data.items || data.items.length < 200) break;
    }
  }

  // -- presence ----------------------------------------------------------------
  const fetching = new Set();
  function addGuestRow(id) {
    // a leader or admin who joined without an invitation: shown once we know their name
    const ul = document.getElementById("participant-list");
    if (!ul || fetching.has(id)) return;
    fetching.add(id);
    App.api("GET", "/api/v1/users/" + id).then(function (u) {
      if (ul.querySelector('[data-user-id="' + id + '"]')) return;
      const li = document.createElement("li");
      li.className = "list-group-item d-flex align-items-center gap-2 small";
      li.dataset.userId = String(id);
      const dot = document.createElement("span");
      dot.className = "presence-dot";
      const who = document.createElement("span");
      who.className = "flex-grow-1 min-w-0";
      const name = document.createElement("span");
      name.className = "d-block text-truncate fw-semibold";
      name.textContent = u.full_name;
      const sub = document.createElement("span");
      sub.className = "d-block text-truncate text-body-secondary";
      sub.textContent = u.title || "";
      who.append(name, sub);
      const badge = document.createElement("span");
      badge.className = "badge text-bg-light border";
      badge.textContent = t("meeting_guest");
      const txt = document.createElement("span");
      txt.className = "visually-hidden presence-text";
      li.append(dot, who, badge, txt);
      ul.append(li);
      names[id] = u.full_name;
      setPresence(room.present);
    }).catch(function () { /* not fatal: the count still includes them */ });
  }

  function setPresence(ids) {
    room.present = ids || [];
    const present = new Set(room.present);
    room.present.forEach(function (id) {
      if (!document.querySelector('#participant-list [data-user-id="' + id + '"]')) addGuestRow(id);
    });
    document.querySelectorAll("#participant-list [data-user-id]").forEach(function (li) {
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
    const ul = document.getElementById("participant-list");
    if (ul) {
      const items = Array.from(ul.children);
      items.sort(function (a, b) {
        return (present.has(Number(b.dataset.userId)) ? 1 : 0) - (present.has(Number(a.dataset.userId)) ? 1 : 0)
          || items.indexOf(a) - items.indexOf(b);
      });
      items.forEach(function (li) { ul.append(li); });
    }
  }

  // -- status ----------------------------------------------------------------
  function applyStatus(status) {
    room.status = status;
    document.body.dataset.meetingStatus = status;
    const lobby = document.getElementById("room-lobby");
    if (lobby && status !== "scheduled") lobby.classList.add("d-none");
    if (status === "ended" || status === "cancelled") {
      if (form) form.classList.add("d-none");
      if (closedEl) closedEl.classList.remove("d-none");
      setPresence([]);
    }
    const badge = document.querySelector("#room-status [data-status-badge]");
    const label = t("meeting_status_" + status);
    if (badge && label !== "meeting_status_" + status) {
      badge.className = "badge meeting-status meeting-status-" + status;
      badge.textContent = label;
    }
    fire("status", { meeting_id: meetingId, status: status });
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
    const payload = { meeting_id: meetingId };
    if (lastId) payload.last_message_id = lastId;
    socket.timeout(10000).emit("meeting:join", payload, function (err, ack) {
      if (err || !ack) { setTimeout(function () { if (socket.connected) join(); }, 2000); return; }
      if (!ack.ok) {
        setConn("disconnected");
        App.toast(t("meeting_error_" + ack.error) || t("error"), "danger");
        return;
      }
      const first = !joinedOnce;
      joinedOnce = true;
      setConn("connected");
      const stick = first || nearBottom();
      renderMany(ack.messages);
      if (first) {
        hasOlder = !!ack.more;
        olderEl.classList.toggle("d-none", !hasOlder);
      } else if (ack.more) {
        catchUp();
      }
      if (stick) toBottom();
      setPresence(ack.present);
      if (ack.status && ack.status !== room.status) applyStatus(ack.status);
      flushOutbox();
      fire("joined", ack);
    });
  }

  outbox.forEach(renderPending);
  updateEmpty();
  applyStatus(D.status);
  if (!socket) { setConn("disconnected"); return; }
  socket.on("connect", join);
  socket.on("disconnect", function () {
    setConn("disconnected");
    inFlight.clear();
  });
  if (socket.connected) join();
  room.on("chat:message", function (m) { renderMany([m]); });
  room.on("meeting:presence", function (p) { setPresence(p.present); });
  room.on("meeting:status", function (p) { applyStatus(p.status); });
  room.on("meeting:removed", function () {
    // the chair took us off the invitation: the room is closed to us from now on
    socket.off("connect", join);
    if (form) form.classList.add("d-none");
    setConn("disconnected");
    setPresence([]);
    App.toast(t("meeting_removed"), "danger", "/meetings");
    // a lasting notice in place of the room: a toast fades, the room must not look merely offline
    const grid = document.querySelector(".room-grid");
    if (grid && !document.getElementById("room-removed")) {
      const notice = document.createElement("div");
      notice.id = "room-removed";
      notice.className = "alert alert-warning d-flex flex-wrap align-items-center gap-2";
      notice.setAttribute("role", "alert");
      const text = document.createElement("span");
      text.className = "me-auto";
      text.textContent = t("meeting_removed_notice");
      const link = document.createElement("a");
      link.className = "btn btn-sm btn-primary";
      link.href = "/meetings";
      link.textContent = t("meeting_removed_back");
      notice.append(text, link);
      grid.replaceWith(notice);
    }
  });
  room.on("meeting:updated", function () {
    // agenda or invitations changed: the link reloads the page (the outbox survives it)
    App.toast(t("meeting_updated"), "info", window.location.pathname);
  });

  // leave cleanly when the tab closes (the server also closes the span on disconnect)
  window.addEventListener("pagehide", function () {
    if (socket.connected) socket.emit("meeting:leave", { meeting_id: meetingId });
  });
})();

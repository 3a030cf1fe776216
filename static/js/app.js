/* Shared by every page: strings, CSRF-aware fetch, toasts, the live socket and the bell, and the
 * small helpers the page scripts all need (one of each). */
(function () {
  "use strict";
  const stringsEl = document.getElementById("i18n-strings");
  const strings = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');

  function t(key) { return strings[key] || key; }

  /** The translated string of key with its %(name)s placeholders filled in. */
  function fmt(key, values) {
    return t(key).replace(/%\((\w+)\)s/g, (m, name) => (values && name in values ? String(values[name]) : m));
  }

  /** A percentage as shown on the boards: rounded, or a dash when there is none yet. */
  function pct(v) { return v === null || v === undefined ? "—" : Math.round(v) + "%"; }

  /** A new element with a class and text (always text, never HTML). */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  /** "tran" finds "Trần", "dong" finds "Đông": people type names without their marks. */
  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  /** A list kept in localStorage (an outbox): read, and written back (removed when empty). */
  function storedList(key) {
    return {
      load() {
        try { return JSON.parse(localStorage.getItem(key) || "[]") || []; } catch { return []; }
      },
      save(items) {
        try {
          if (items.length) localStorage.setItem(key, JSON.stringify(items));
          else localStorage.removeItem(key);
        } catch { /* private mode: the page's in-memory copy still retries */ }
      },
    };
  }

  // A "Print" button (no inline script under the CSP); static/css/print.css lays the page out.
  document.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });

  // A form with data-confirm asks first (forms swapped in live too). Empty required fields go to
  // the server unconfirmed: it answers with the field named.
  document.addEventListener("submit", (e) => {
    const form = e.target.closest && e.target.closest("form[data-confirm]");
    if (!form) return;
    const missing = Array.from(form.querySelectorAll("[required]")).some((f) => !f.value.trim());
    if (!missing && !window.confirm(form.dataset.confirm)) e.preventDefault();
  });

  // The signed-in user's session ended on the server (signed out elsewhere, expired, revoked):
  // go to the login page, which brings them back here afterwards.
  let leaving = false;
  function sessionEnded() {
    if (leaving || !document.body.dataset.userId) return;
    leaving = true;
    const next = window.location.pathname + window.location.search;
    window.location.assign("/login?ended=1&next=" + encodeURIComponent(next));
  }

  document.addEventListener("app:session-ended", sessionEnded);  // page scripts that fetch HTML say so
  // Signing out ends this session too: the server closes this tab's socket before its answer arrives, and
  // that must not send the tab to "your session ended" instead of the page that says it signed out.
  document.addEventListener("submit", (e) => {
    if (!e.defaultPrevented && e.target.matches && e.target.matches("form[data-signs-out]")) leaving = true;
  });

  async function api(method, url, body) {
    let res;
    try {
      res = await fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": csrfMeta ? csrfMeta.content : "",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // the browser's own text ("Failed to fetch") is English and says nothing to the user
      const err = new Error(t("network_error"));
      err.network = true;
      throw err;
    }
    let data;
    try { data = await res.json(); } catch { data = null; }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || t("error"));
      err.status = res.status;
      err.data = data;
      if (res.status === 401 && document.body.dataset.userId) {
        err.message = t("session_ended");
        sessionEnded();
      }
      throw err;
    }
    return data;
  }

  function toast(text, kind, link) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-" + (kind || "primary");
    el.setAttribute("role", "status");
    const row = document.createElement("div");
    row.className = "d-flex";
    const body = document.createElement(link ? "a" : "div");
    body.className = "toast-body text-reset text-decoration-none";
    body.textContent = text;  // always text, never HTML
    if (link) body.href = link;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    row.append(body, close);
    el.append(row);
    box.append(el);
    const tst = new bootstrap.Toast(el, { delay: 6000 });
    el.addEventListener("hidden.bs.toast", () => el.remove());
    tst.show();
    return el;
  }

  function setBell(count) {
    const badge = document.getElementById("bell-count");
    if (!badge) return;
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.dataset.count = String(count);
    badge.classList.toggle("d-none", count <= 0);
  }

  // Is the session still alive? Asked when the socket is refused or closed by the server; offline,
  // the question fails and the socket's own retries carry on.
  let lastCheck = 0;
  async function checkSession(reconnect) {
    if (Date.now() - lastCheck < 5000 && !reconnect) return;
    lastCheck = Date.now();
    try {
      const res = await fetch("/api/v1/me", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (res.status === 401) { sessionEnded(); return; }
    } catch { /* offline */ }
    if (reconnect && socket && !socket.connected) socket.connect();
  }

  let socket = null;
  if (window.io && document.body.dataset.userId) {
    // WebSocket first: it needs no sticky sessions. tryAllTransports: where a proxy refuses the
    // Upgrade, each (re)connection falls back to long-polling instead of retrying WebSocket forever.
    socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
    const banner = document.getElementById("connection-banner");
    let wasConnected = false;
    socket.on("connect", () => {
      if (banner && wasConnected) {
        banner.textContent = t("connection_back");
        banner.className = "connection-banner ok";
        setTimeout(() => banner.classList.add("d-none"), 2500);
      }
      wasConnected = true;
      document.body.dataset.socket = "connected";
    });
    socket.on("disconnect", (reason) => {
      document.body.dataset.socket = "disconnected";
      if (banner) {
        banner.textContent = t("connection_lost");
        banner.className = "connection-banner lost";
      }
      // Closed by the server: the session may have ended; if not (new rooms), connect again.
      if (reason === "io server disconnect") checkSession(true);
    });
    socket.on("connect_error", () => checkSession(false));
    // An event refused as unauthorized: the session ended while the socket stayed open.
    const emit = socket.emit;
    socket.emit = function () {
      const args = Array.prototype.slice.call(arguments);
      const ack = args[args.length - 1];
      if (typeof ack === "function") {
        args[args.length - 1] = function () {
          const answer = arguments[arguments.length - 1];
          if (answer && answer.ok === false && answer.error === "unauthorized") sessionEnded();
          return ack.apply(this, arguments);
        };
      }
      return emit.apply(socket, args);
    };
    socket.on("notification:new", (n) => {
      const badge = document.getElementById("bell-count");
      setBell((parseInt(badge && badge.dataset.count || badge && badge.textContent || "0", 10) || 0) + 1);
      toast(n.text, "primary", "/notifications/" + n.id + "/open");
    });
    socket.on("notification:count", (d) => setBell(d.unread));
  }

  /** Emit a socket event and wait for its ack: resolves with the ack, rejects with its message
   * (the ack is on the error as err.ack: its fields name the form's faults). */
  function emit(event, payload) {
    return new Promise((resolve, reject) => {
      if (!socket || !socket.connected) { reject(new Error(t("connection_lost"))); return; }
      socket.timeout(10000).emit(event, payload, (err, ack) => {
        if (err || !ack) { reject(new Error(t("error"))); return; }
        if (!ack.ok) { const e = new Error(ack.message || t("error")); e.ack = ack; reject(e); return; }
        resolve(ack);
      });
    });
  }

  // A field's error goes as soon as the field is changed: the server checks it again on submit.
  document.addEventListener("input", clearFieldError);
  document.addEventListener("change", clearFieldError);
  function clearFieldError(e) {
    const field = e.target;
    if (!field.classList || !field.classList.contains("is-invalid")) return;
    field.classList.remove("is-invalid");
    const holder = field.closest(".mb-3, .col, [class*='col-'], .input-group") || field.parentElement;
    const message = holder && holder.querySelector(".invalid-feedback");
    if (message) message.remove();
  }

  window.App = {
    t, fmt, pct, el, fold, debounce, storedList, api, emit, toast, socket, setBell,
  };
})();

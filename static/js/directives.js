/* Directive pages: the live inbox with one-click Acknowledge, the live directive page,
   and the agency picker of the new-directive form. User text is only ever set with
   textContent; HTML fragments come from our own server templates (autoescaped, Markdown rendered
   and sanitised by core/text.py) and are parsed inertly, never assigned to innerHTML. */
(function () {
  "use strict";
  const { t, fmt, fold, debounce } = window.App;

  /** Parse server-rendered HTML (our own escaped templates) into nodes. */
  function parseFragment(html) {
    const doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    return doc.body;
  }

  async function fetchHtml(url) {
    const res = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (res.redirected && new URL(res.url).pathname === "/login") {
      document.dispatchEvent(new CustomEvent("app:session-ended"));  // the fragment became the login page
      const err = new Error(t("session_ended"));
      err.status = 401;
      throw err;
    }
    if (!res.ok) {
      const err = new Error("HTTP " + res.status);
      err.status = res.status;
      throw err;
    }
    return res.text();
  }

  // -- one-click Acknowledge (inbox rows and the directive page) ------------------
  // Offline, an acknowledgement waits in a small outbox in localStorage (per user) and is sent
  // again when the connection is back; the server takes a repeat as the first one.

  const me = document.body.dataset.userId || "";
  const stored = App.storedList("ack-outbox:" + me);
  const inFlight = new Set();

  function loadOutbox() { return stored.load().map(String); }
  const saveOutbox = stored.save;
  function queue(id) {
    const ids = loadOutbox();
    if (ids.indexOf(id) === -1) { ids.push(id); saveOutbox(ids); }
  }
  function unqueue(id) {
    saveOutbox(loadOutbox().filter((x) => x !== id));
  }

  function ackButtons(id) {
    return document.querySelectorAll('.ack-button[data-assignment-id="' + CSS.escape(id) + '"]');
  }

  const labels = new WeakMap();  // each button's own icon and text, put back when idle

  /** The button says what is happening: idle, sending, or waiting to send (queued offline). */
  function setAckState(button, state) {
    if (!labels.has(button)) labels.set(button, Array.from(button.childNodes, (n) => n.cloneNode(true)));
    const form = button.closest("form");
    if (form) form.dataset.state = state;
    button.classList.toggle("ack-waiting", state === "waiting");
    if (state === "idle") {
      button.disabled = false;
      button.replaceChildren(...labels.get(button).map((n) => n.cloneNode(true)));
      button.removeAttribute("title");
      return;
    }
    button.disabled = true;
    const icon = document.createElement("i");
    icon.className = "bi me-1 " + (state === "waiting" ? "bi-cloud-arrow-up" : "bi-hourglass-split");
    button.replaceChildren(icon, document.createTextNode(t(state === "waiting" ? "dir_ack_waiting" : "sending")));
    if (state === "waiting") button.title = t("dir_ack_queued");
  }

  /** Send one acknowledgement. true: done; "queued": kept for later; false: refused. */
  async function sendAck(id) {
    if (inFlight.has(id)) return "queued";
    inFlight.add(id);
    try {
      await App.api("POST", "/api/v1/assignments/" + encodeURIComponent(id) + "/acknowledge");
      const waited = loadOutbox().indexOf(id) !== -1;
      unqueue(id);
      document.dispatchEvent(new CustomEvent("directives:acknowledged", { detail: { assignmentId: id } }));
      if (waited) {  // the "no connection" warning is over: say it went
        document.querySelectorAll("#toasts [data-ack-queued]").forEach((el) => el.remove());
        App.toast(t("dir_ack_sent"), "success");
      }
      return true;
    } catch (err) {
      if (err.network || err.status === 401) {  // no connection, or signed out: sent after it comes back
        queue(id);
        ackButtons(id).forEach((b) => setAckState(b, "waiting"));
        return "queued";
      }
      unqueue(id);
      ackButtons(id).forEach((b) => setAckState(b, "idle"));
      App.toast(err.message || t("dir_ack_failed"), "danger");
      return false;
    } finally {
      inFlight.delete(id);
    }
  }

  async function acknowledge(form, button) {
    const id = button.dataset.assignmentId;
    setAckState(button, "sending");
    const result = await sendAck(id);
    if (result === "queued" && !document.querySelector("#toasts [data-ack-queued]")) {
      const box = document.getElementById("toasts");
      const el = App.toast(t("dir_ack_queued"), "warning") || (box && box.lastElementChild);
      if (el) el.dataset.ackQueued = "1";
    }
    return result === true;
  }

  function flushOutbox() {
    loadOutbox().forEach(sendAck);
  }

  function bindAckForms(root) {
    const waiting = loadOutbox();
    root.querySelectorAll("form.ack-form").forEach((form) => {
      const button = form.querySelector(".ack-button");
      if (button && waiting.indexOf(button.dataset.assignmentId) !== -1) setAckState(button, "waiting");
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", (ev) => {
        const btn = form.querySelector(".ack-button");
        if (!btn || !window.fetch) return;  // no script support: the form posts
        ev.preventDefault();
        if (btn.disabled) return;
        acknowledge(form, btn);
      });
    });
  }

  function startOutbox() {
    window.addEventListener("online", flushOutbox);
    if (App.socket) App.socket.on("connect", flushOutbox);
    setInterval(() => { if (navigator.onLine !== false && loadOutbox().length) flushOutbox(); }, 10000);
    if (loadOutbox().length) flushOutbox();
  }

  // -- the officer's inbox -----------------------------------------------------------

  function initInbox(box) {
    const list = document.getElementById("inbox-list");
    const empty = document.getElementById("inbox-empty");
    const rowUrl = (id) => box.dataset.rowUrl.replace(/\/0\/row$/, "/" + encodeURIComponent(id) + "/row");

    const unackRows = () => list.querySelectorAll(".inbox-row.inbox-unack").length;

    /** Move the "waiting for acknowledgement" number by how many unacknowledged rows came or went. */
    function adjustCounter(delta) {
      if (!delta) return;
      const counter = document.getElementById("inbox-counter");
      const badge = document.getElementById("inbox-unack-count");
      const current = parseInt((counter && counter.dataset.count) || (badge && badge.textContent) || "0", 10) || 0;
      const n = Math.max(current + delta, 0);
      if (!counter) {  // the home page: a badge only
        if (badge) { badge.textContent = String(n); badge.classList.toggle("d-none", n === 0); }
        return;
      }
      counter.dataset.count = String(n);
      counter.replaceChildren();
      if (n > 0) {
        const b = document.createElement("span");
        b.className = "badge text-bg-danger me-1";
        b.id = "inbox-unack-count";
        b.textContent = String(n);
        counter.append(b, document.createTextNode(t("dir_waiting")));
      } else {
        const icon = document.createElement("i");
        icon.className = "bi bi-check2-circle text-success me-1";
        counter.append(icon, document.createTextNode(t("dir_all_acknowledged")));
      }
    }

    const loading = {};

    async function refreshRow(id, opts) {
      opts = opts || {};
      if (loading[id]) { await loading[id]; }
      let release;
      loading[id] = new Promise((resolve) => { release = resolve; });
      try { await loadRow(id, opts); } finally { delete loading[id]; release(); }
    }

    async function loadRow(id, opts) {
      const before = unackRows();
      let html;
      try {
        html = await fetchHtml(rowUrl(id));
      } catch (err) {
        if (err.status === 404) {
          const gone = document.getElementById("assignment-" + id);
          if (gone) gone.remove();
          adjustCounter(unackRows() - before);
        }
        return;
      }
      const fresh = parseFragment(html).querySelector(".inbox-row");
      if (!fresh) return;
      const current = document.getElementById("assignment-" + id);
      if (current) {
        current.replaceWith(fresh);
      } else if (opts.insert) {
        list.prepend(fresh);
      } else {
        return;
      }
      if (opts.flash) fresh.classList.add(opts.flash);
      bindAckForms(fresh);
      if (empty) empty.classList.toggle("d-none", list.children.length > 0);
      adjustCounter(unackRows() - before);
    }

    bindAckForms(box);
    document.addEventListener("directives:acknowledged", (ev) => {
      refreshRow(ev.detail.assignmentId, { flash: "just-acknowledged" });
    });
    if (!App.socket) return;
    App.socket.on("directive:new", (msg) => {
      if (!msg || !msg.assignment_id) return;
      refreshRow(msg.assignment_id, { insert: true, flash: "just-arrived" });
    });
    App.socket.on("directive:updated", (msg) => {  // corrected: its title, deadline or priority may differ
      if (!msg || !msg.assignment_id || !document.getElementById("assignment-" + msg.assignment_id)) return;
      refreshRow(msg.assignment_id, { flash: "just-arrived" });
    });
    App.socket.on("assignment:updated", (msg) => {
      // passed on from a row of this inbox: that row's handlers changed
      if (msg && msg.parent_id && document.getElementById("assignment-" + msg.parent_id)) refreshRow(msg.parent_id);
      if (!msg || String(msg.agency_id) !== box.dataset.agencyId) return;
      const current = document.getElementById("assignment-" + msg.assignment_id);
      if (!current) return;  // not on this page (filtered out, or its directive:new is on the way)
      const badge = current.querySelector("[data-tracking]");
      if (current.dataset.status === msg.status && (!badge || badge.dataset.tracking === msg.tracking)) return;
      refreshRow(msg.assignment_id, { flash: msg.status === "acknowledged" ? "just-acknowledged" : null });
    });
  }

  // -- the directive page --------------------------------------------------------------

  function initDirective(page) {
    const directiveId = page.dataset.directiveId;
    const dirty = new WeakSet();
    let notice = null;

    function trackDirty(root) {
      root.querySelectorAll("form.live-form").forEach((form) => {
        form.addEventListener("input", () => dirty.add(form), { once: true });
      });
    }

    function bindRanges(root) {
      root.querySelectorAll(".progress-range").forEach((range) => {
        const number = document.getElementById(range.dataset.target);
        if (!number) return;
        range.addEventListener("input", () => { number.value = range.value; });
        number.addEventListener("input", () => { range.value = number.value; });
      });
    }

    /** The tab and the folded form a user opened stay open when the actions are swapped in again. */
    function keepOpenPanes(current, incoming) {
      current.querySelectorAll(".tab-pane.active[id], .collapse.show[id]").forEach((pane) => {
        const twin = incoming.querySelector("#" + CSS.escape(pane.id));
        if (!twin) return;
        if (twin.classList.contains("collapse")) { twin.classList.add("show"); return; }
        twin.parentElement.querySelectorAll(":scope > .tab-pane").forEach((p) => p.classList.remove("show", "active"));
        twin.classList.add("show", "active");
        const nav = twin.closest(".card-body") && twin.closest(".card-body").querySelectorAll("[data-bs-toggle='pill']");
        (nav || []).forEach((b) => b.classList.toggle("active", b.dataset.bsTarget === "#" + pane.id));
      });
    }

    function hasDirtyForm(part) {
      return Array.from(part.querySelectorAll("form.live-form")).some((f) => dirty.has(f));
    }

    function showNotice() {
      if (notice) return;
      notice = document.createElement("div");
      notice.className = "alert alert-warning small d-flex align-items-center gap-2";
      notice.setAttribute("role", "status");
      const text = document.createElement("span");
      text.className = "flex-grow-1";
      text.textContent = t("dir_form_kept");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn btn-sm btn-warning";
      btn.textContent = t("dir_reload");
      btn.addEventListener("click", () => window.location.reload());
      notice.append(text, btn);
      const actions = document.getElementById("part-actions");
      if (actions) actions.prepend(notice);
    }

    /** The tree's rows for these changes: each changed node and the nodes above it (their progress and
        counts follow), put in place or inserted under their parent; its header and stuck note swapped.
        false when it cannot (the caller then fetches the whole tree). */
    async function updateTree(changes) {
      const current = document.getElementById("part-agencies");
      if (!current || !page.dataset.treeUrl) return false;
      const rowOf = (id) => document.getElementById("agency-row-" + id);
      const ids = new Set();
      changes.forEach(({ id, parent }) => {
        let cur = rowOf(id) ? id : (ids.add(id), parent);
        while (cur && !ids.has(cur)) {
          ids.add(cur);
          const row = rowOf(cur);
          cur = row ? row.dataset.parentId : null;
        }
      });
      let html;
      try {
        html = await fetchHtml(page.dataset.treeUrl + "?ids=" + Array.from(ids).join(","));
      } catch {
        return false;
      }
      const fresh = parseFragment(html).querySelector("#part-agencies");
      const body = current.querySelector("tbody");
      if (!fresh || !body) return false;
      for (const tr of Array.from(fresh.querySelectorAll("tbody tr.tree-row"))) {
        const old = rowOf(tr.dataset.assignmentId);
        if (old) { old.replaceWith(tr); continue; }
        const parent = tr.dataset.parentId ? rowOf(tr.dataset.parentId) : null;
        if (tr.dataset.parentId && !parent) return false;
        let after = parent;  // under its parent, after the parent's last descendant
        while (after && after.nextElementSibling
               && Number(after.nextElementSibling.dataset.depth) > Number(parent.dataset.depth)) {
          after = after.nextElementSibling;
        }
        if (after) after.after(tr); else body.append(tr);
      }
      ["card-header", "stuck-note"].forEach((cls) => {
        const incoming = fresh.querySelector(cls === "stuck-note" ? "#stuck-note" : "." + cls);
        const mine = current.querySelector(cls === "stuck-note" ? "#stuck-note" : "." + cls);
        if (incoming && mine) mine.replaceWith(incoming);
        else if (incoming) current.querySelector(".card-header").after(incoming);
        else if (mine) mine.remove();
      });
      const path = (fresh.dataset.stuckPath || "").split(",").filter(Boolean);
      current.dataset.stuckPath = path.join(",");
      body.querySelectorAll("tr.tree-row").forEach((tr) => {
        tr.classList.toggle("on-stuck-path", path.indexOf(tr.dataset.assignmentId) !== -1);
        tr.classList.toggle("stuck-node", path.length > 0 && path[path.length - 1] === tr.dataset.assignmentId);
      });
      return true;
    }

    // full: the directive itself was corrected, so its header and content are fetched too (the whole page);
    // changes: the assignments the socket said changed ({id, parent}), whose tree rows are fetched alone
    async function refresh(changes, full) {
      changes = full ? [] : (changes || []);
      const byRows = changes.length > 0 && await updateTree(changes);
      let html;
      try {
        html = await fetchHtml(full ? page.dataset.pageUrl : page.dataset.liveUrl + (byRows ? "?tree=0" : ""));
      } catch {
        return;
      }
      const fresh = parseFragment(html);
      // the deadline too: an extension granted to the lead agency moves the directive's deadline
      const parts = ["directive-status", "directive-deadline", "part-history", "part-actions"];
      if (!byRows) parts.push("part-agencies");
      // the content first: it holds the status badge too, which then needs no swap of its own
      (full ? ["part-content"].concat(parts) : parts).forEach((id) => {
        const incoming = fresh.querySelector("#" + id);
        const current = document.getElementById(id);
        if (!incoming || !current) return;
        if (id === "part-actions" && hasDirtyForm(current)) {
          showNotice();
          return;
        }
        if (id === "part-actions") keepOpenPanes(current, incoming);
        current.replaceWith(incoming);
        if (id === "part-actions") notice = null;
      });
      changes.forEach(({ id }) => {
        const row = document.getElementById("agency-row-" + id);
        if (row) row.classList.add("live-flash");
      });
      const part = document.getElementById("part-actions");
      if (part) { bindAckForms(part); trackDirty(part); bindRanges(part); }
      applyOlder();
      document.dispatchEvent(new CustomEvent("directives:refreshed"));  // the tree folds its branches again
      page.dataset.refreshed = String((parseInt(page.dataset.refreshed || "0", 10) || 0) + 1);
    }

    let showOlder = false;
    function applyOlder() {
      if (!showOlder) return;
      document.querySelectorAll(".timeline-older").forEach((li) => li.classList.remove("d-none"));
      document.querySelectorAll("[data-show-older]").forEach((b) => b.remove());
    }
    page.addEventListener("click", (ev) => {
      if (!ev.target.closest("[data-show-older]")) return;
      showOlder = true;
      applyOlder();
    });

    const queue = [];
    let fullNext = false;
    const flush = debounce(() => {
      const full = fullNext;
      fullNext = false;
      refresh(queue.splice(0), full);
    }, 250);

    bindAckForms(page);
    trackDirty(page);
    bindRanges(page);
    document.addEventListener("directives:acknowledged", () => refresh());
    if (App.socket) {
      App.socket.on("assignment:updated", (msg) => {
        if (!msg || String(msg.directive_id) !== directiveId) return;
        queue.push({ id: String(msg.assignment_id), parent: msg.parent_id ? String(msg.parent_id) : null });
        flush();
      });
      App.socket.on("directive:updated", (msg) => {
        if (!msg || String(msg.directive_id) !== directiveId) return;
        fullNext = true;  // the agencies' bell says what changed; the page shows it
        flush();
      });
    }
  }

  // -- the new-directive form: agency picker -------------------------------------------

  function initPicker(form) {
    const picker = document.getElementById("agency-picker");
    if (!picker) return;
    const search = document.getElementById("picker-search");
    const items = Array.from(picker.querySelectorAll(".picker-item"));
    const chips = document.getElementById("picker-chips");
    const count = document.getElementById("picker-count");
    const emptyMsg = document.getElementById("picker-empty");
    const lead = document.getElementById("f-lead_agency_id");
    const clear = document.getElementById("picker-clear");
    items.forEach((item) => { item.dataset.fold = fold(item.dataset.name); });

    function label(item) {
      const l = item.querySelector("label");
      return l ? l.childNodes[0].textContent.trim() : "";
    }

    function render() {
      const leadId = lead ? lead.value : "";
      chips.replaceChildren();
      let n = 0;
      items.forEach((item) => {
        const box = item.querySelector("input");
        const isLead = leadId && item.dataset.id === leadId;
        item.classList.toggle("is-lead", !!isLead);
        box.disabled = !!isLead;
        if (isLead) box.checked = false;
        if (box.checked) {
          n += 1;
          const chip = document.createElement("span");
          chip.className = "picker-chip";
          chip.textContent = label(item);
          const x = document.createElement("button");
          x.type = "button";
          x.setAttribute("aria-label", "×");
          x.textContent = "×";
          x.addEventListener("click", () => { box.checked = false; render(); });
          chip.append(x);
          chips.append(chip);
        }
      });
      count.textContent = n ? fmt("dir_selected_n", { n: n }) : t("dir_selected_none");
    }

    function filter() {
      const q = fold(search.value.trim());
      let shown = 0;
      items.forEach((item) => {
        const match = !q || item.dataset.fold.indexOf(q) !== -1;
        item.classList.toggle("d-none", !match);
        if (match) shown += 1;
      });
      emptyMsg.classList.toggle("d-none", shown > 0);
    }

    picker.addEventListener("change", render);
    if (lead) lead.addEventListener("change", render);
    search.addEventListener("input", filter);
    search.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();  // Enter in the search box ticks the only match instead of submitting
      const visible = items.filter((i) => !i.classList.contains("d-none"));
      if (visible.length === 1) {
        const box = visible[0].querySelector("input");
        if (!box.disabled) { box.checked = !box.checked; render(); }
      }
    });
    if (clear) clear.addEventListener("click", () => {
      items.forEach((item) => { item.querySelector("input").checked = false; });
      search.value = "";
      filter();
      render();
    });
    form.addEventListener("submit", () => {
      const btn = form.querySelector('button[type="submit"]');
      if (btn) btn.disabled = true;  // one click, one directive (or one correction)
    });
    render();
    const firstChecked = picker.querySelector(".picker-item input:checked");
    const list = document.getElementById("picker-list");
    if (firstChecked && list) list.scrollTop = firstChecked.closest(".picker-item").offsetTop - 8;
  }

  // -- the leader's home page: the key numbers follow every change --------------------

  function initHomeNumbers(section) {
    async function refresh() {
      let data;
      try { data = await App.api("GET", section.dataset.statsUrl); } catch { return; }
      const totals = data.totals || {};
      const values = {
        overdue: totals.overdue,
        due_soon: totals.due_soon,
        unacknowledged: Math.max((totals.assigned || 0) - (totals.acknowledged || 0), 0),
        on_time_rate: App.pct(totals.on_time_rate),
      };
      Object.keys(values).forEach((key) => {
        const el = section.querySelector('[data-kpi="' + key + '"]');
        if (el && values[key] !== undefined) el.textContent = String(values[key]);
      });
    }
    if (App.socket) {
      const soon = debounce(refresh, 500);
      App.socket.on("assignment:updated", soon);
      App.socket.on("directive:new", soon);
    }
  }

  // -- My tasks: a share passed to the user arrives, or one of theirs changes -----------

  function initTasks(box) {
    async function refresh() {
      let html;
      try { html = await fetchHtml(window.location.pathname); } catch { return; }
      const fresh = parseFragment(html).querySelector("#tasks");
      if (fresh) box.replaceChildren(...fresh.childNodes);
      const count = parseFragment(html).querySelector("#tasks-open-count");
      const current = document.getElementById("tasks-open-count");
      if (count && current) current.replaceWith(count);
    }
    const soon = debounce(refresh, 300);
    if (!App.socket) return;
    App.socket.on("directive:new", (msg) => { if (msg && msg.parent_id) soon(); });
    App.socket.on("assignment:updated", (msg) => {
      if (msg && document.getElementById("task-" + msg.assignment_id)) soon();
    });
  }

  // -- start -------------------------------------------------------------------------

  const inboxBox = document.querySelector('[data-page="inbox"]');
  if (inboxBox) initInbox(inboxBox);
  const directivePage = document.querySelector('[data-page="directive"]');
  if (directivePage) initDirective(directivePage);
  if (me && (inboxBox || directivePage)) startOutbox();
  const tasksBox = document.querySelector('[data-page="tasks"]');
  if (tasksBox) initTasks(tasksBox);
  const homeNumbers = document.querySelector('[data-page="home-leader"]');
  if (homeNumbers) initHomeNumbers(homeNumbers);
  const newForm = document.querySelector('[data-page="new-directive"], [data-page="edit-directive"]');
  if (newForm) initPicker(newForm);
})();

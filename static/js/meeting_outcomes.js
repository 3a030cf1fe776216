/* The outcome panels of the live room: minutes, votes, speaker queue, conclusions, directives.
 *
 * - Minutes: the chair and the secretary write Markdown; it autosaves (debounced) with the
 *   version it was based on. A stale save never overwrites: the server answers 409 with the
 *   current text, shown side by side with ours to merge, then saved on top of that version.
 *   Everyone else sees minutes:updated live, rendered from the server's sanitised HTML, which
 *   is parsed inertly and copied through a whitelist (never innerHTML).
 * - Votes, speakers and conclusions follow vote:*, speakers:updated and conclusions:updated.
 * - After a reconnect (MeetingRoom "joined") the state is fetched again: nothing missed stays stale.
 * All user text goes in with textContent.
 */
(function () {
  "use strict";
  const dataEl = document.getElementById("outcomes-data");
  if (!dataEl || !window.App) return;
  const D = JSON.parse(dataEl.textContent);
  const t = App.t;
  const P = D.perms || {};
  const base = D.urls.api; // /api/v1/meetings/<id>
  const meetingId = D.meeting_id;
  const me = D.user_id;
  const room = window.MeetingRoom;

  const fmt = App.fmt;
  const el = App.el;
  function icon(name) { return el("i", "bi bi-" + name); }
  function $(id) { return document.getElementById(id); }
  function on(event, fn) {
    if (room) { room.on(event, fn); return; }
    if (App.socket) App.socket.on(event, function (p) { if (!p || Number(p.meeting_id) === meetingId) fn(p); });
  }
  function showError(err) { App.toast((err && err.message) || t("error"), "danger"); }

  // -- safe HTML: the server sanitised it with nh3; we still copy only known tags ----------
  const SAFE_TAGS = new Set(["P", "BR", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "STRONG", "EM", "B", "I", "U", "S",
    "DEL", "BLOCKQUOTE", "UL", "OL", "LI", "CODE", "PRE", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "A", "SUP",
    "SUB", "DL", "DT", "DD"]);
  function copySafe(src, dest) {
    src.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) { dest.appendChild(document.createTextNode(node.textContent)); return; }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      if (!SAFE_TAGS.has(node.tagName)) { copySafe(node, dest); return; }
      const copy = document.createElement(node.tagName.toLowerCase());
      if (node.tagName === "A") {
        const href = node.getAttribute("href") || "";
        if (/^(https?:|mailto:)/i.test(href)) copy.setAttribute("href", href);
        copy.setAttribute("rel", "noopener noreferrer nofollow");
        copy.setAttribute("target", "_blank");
      }
      copySafe(node, copy);
      dest.appendChild(copy);
    });
  }
  function renderHtml(target, html) {
    const doc = new DOMParser().parseFromString(html || "", "text/html"); // inert: no script runs
    target.replaceChildren();
    copySafe(doc.body, target);
  }

  // ======================================================================================
  // Minutes
  // ======================================================================================
  const M = {
    version: D.minutes.version, status: D.minutes.status, body: D.minutes.body, html: D.minutes.html,
    saved: D.minutes.body, saving: false, timer: null, conflict: null, retry: 0, updatedBy: null,
  };
  const editor = $("minutes-editor");
  const view = $("minutes-view");
  const preview = $("minutes-preview");
  const meta = $("minutes-meta");

  function renderMinutesStatus() {
    const badge = $("minutes-status");
    badge.textContent = t("oc_" + M.status);
    badge.className = "badge minutes-status " + (M.status === "final" ? "text-bg-success" : "text-bg-warning");
    const fin = $("minutes-finalize");
    if (fin) fin.classList.toggle("d-none", M.status === "final");
    const dl = $("minutes-downloads");
    if (dl) dl.classList.toggle("d-none", M.status !== "final");
    if (editor) {
      editor.readOnly = M.status === "final";
      editor.classList.toggle("is-final", M.status === "final");
    }
    if (M.status === "final") {
      meta.textContent = t("oc_final_locked");
      if (editor) { $("minutes-editor-box").classList.add("d-none"); view.classList.remove("d-none"); }
    }
  }
  function renderMinutesView() {
    renderHtml(view, M.html);
    if (preview) renderHtml(preview, M.html);
    const empty = $("minutes-empty");
    const noText = !M.body || !M.body.trim();
    empty.querySelector("span").textContent = t("oc_empty_minutes");
    empty.classList.toggle("d-none", !noText || (editor && M.status !== "final"));
  }
  function setMeta(text) { if (M.status !== "final") meta.textContent = text; }

  function scheduleSave(delay) {
    if (!editor || M.conflict || M.status === "final") return;
    clearTimeout(M.timer);
    M.timer = setTimeout(save, delay === undefined ? 1200 : delay);
  }
  async function save() {
    if (!editor || M.saving || M.conflict || M.status === "final") return;
    const body = editor.value;
    if (body === M.saved) { setMeta(fmt("oc_saved", { v: M.version })); return; }
    M.saving = true;
    setMeta(t("oc_saving"));
    try {
      const res = await App.api("PUT", base + "/minutes", { body: body, base_version: M.version });
      M.version = res.version;
      M.saved = body;
      M.body = body;
      M.retry = 0;
      setMeta(fmt("oc_saved", { v: M.version }));
    } catch (err) {
      if (err.status === 409 && err.data) {
        if (err.data.status === "final" || (err.data.error && err.data.error.code === "minutes_final")) {
          M.status = "final"; M.body = err.data.body; M.version = err.data.version;
          renderMinutesStatus();
        } else {
          openConflict(err.data.version, err.data.body);
        }
      } else if (err.status === 422 || err.status === 403 || err.status === 404) {
        showError(err);
      } else {
        M.retry += 1; // the network or the server: keep the text and try again
        setMeta(t("oc_save_failed"));
        M.saving = false;
        scheduleSave(Math.min(30000, 2000 * M.retry));
        return;
      }
    }
    M.saving = false;
    if (!M.conflict && editor.value !== M.saved) scheduleSave();
  }

  function openConflict(version, theirs) {
    M.conflict = { version: version, body: theirs };
    $("minutes-conflict-text").textContent = fmt("oc_conflict", { v: version });
    $("minutes-theirs").value = theirs;
    $("minutes-theirs-meta").textContent = "(v" + version + (M.updatedBy ? " · " + M.updatedBy : "") + ")";
    $("minutes-mine").value = editor.value;
    $("minutes-conflict").classList.remove("d-none");
    $("minutes-editor-box").classList.add("minutes-conflict-open");
    editor.classList.add("d-none");
    setMeta(t("oc_unsaved"));
  }
  function closeConflict(text, version) {
    M.conflict = null;
    $("minutes-conflict").classList.add("d-none");
    $("minutes-editor-box").classList.remove("minutes-conflict-open");
    editor.classList.remove("d-none");
    editor.value = text;
    M.version = version;
  }

  if (editor) {
    editor.value = M.body;
    editor.addEventListener("input", function () { setMeta(t("oc_unsaved")); scheduleSave(); });
    editor.addEventListener("blur", function () { scheduleSave(0); });
    $("minutes-save-merge").addEventListener("click", async function () {
      const merged = $("minutes-mine").value;
      const onTop = M.conflict.version;
      M.conflict = null; // try on top of the version we have now seen
      closeConflict(merged, onTop);
      await save();
    });
    $("minutes-take-theirs").addEventListener("click", function () {
      const c = M.conflict;
      closeConflict(c.body, c.version);
      M.saved = c.body; M.body = c.body;
      setMeta(fmt("oc_saved", { v: c.version }));
    });
    document.querySelectorAll("[data-minutes-mode]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        const previewMode = btn.dataset.minutesMode === "preview";
        document.querySelectorAll("[data-minutes-mode]").forEach(function (b) { b.classList.toggle("active", b === btn); });
        editor.classList.toggle("d-none", previewMode || !!M.conflict);
        preview.classList.toggle("d-none", !previewMode);
        if (previewMode) { save(); }
      });
    });
    window.addEventListener("beforeunload", function (e) {
      if (editor.value !== M.saved && M.status !== "final") { save(); e.preventDefault(); e.returnValue = ""; }
    });
    setMeta(M.version ? fmt("oc_saved", { v: M.version }) : "");
  } else if (M.version) {
    setMeta(fmt("oc_version", { v: M.version }));
  }
  const finalizeBtn = $("minutes-finalize");
  if (finalizeBtn) {
    finalizeBtn.addEventListener("click", async function () {
      if (!window.confirm(t("oc_finalize_confirm"))) return;
      if (editor && editor.value !== M.saved) await save();
      try {
        const res = await App.api("POST", base + "/minutes/finalize");
        applyMinutes({ version: res.version, body: res.body, status: res.status, html: M.html });
      } catch (err) { showError(err); }
    });
  }

  function applyMinutes(p) {
    const mine = p.updated_by === me;
    if (p.html !== undefined) M.html = p.html;
    if (p.updated_by_name) M.updatedBy = p.updated_by_name;
    M.status = p.status || M.status;
    if (editor && M.status !== "final") {
      if (p.version <= M.version) { renderMinutesView(); return; }
      const clean = editor.value === M.saved && !M.saving && !M.conflict;
      if (clean && !mine) {
        editor.value = p.body; M.saved = p.body; M.body = p.body; M.version = p.version;
        setMeta(fmt("oc_updated_by", { name: p.updated_by_name || "", v: p.version }));
      } else if (M.conflict && !mine) {
        openConflict(p.version, p.body); // keep the side-by-side view on the newest server text
      }
      // a dirty editor keeps its text; its next save meets the 409 and the merge view
    } else {
      M.body = p.body; M.version = p.version;
      if (!editor) setMeta(fmt("oc_updated_by", { name: p.updated_by_name || "", v: p.version }));
    }
    renderMinutesStatus();
    renderMinutesView();
  }
  on("minutes:updated", applyMinutes);

  // ======================================================================================
  // Votes
  // ======================================================================================
  const votes = new Map();
  (D.votes || []).forEach(function (v) { votes.set(v.id, v); });

  function renderVotes() {
    const list = $("vote-list");
    list.replaceChildren();
    const items = Array.from(votes.values()).sort(function (a, b) {
      if (a.status !== b.status) return a.status === "open" ? -1 : 1;
      return b.id - a.id;
    });
    items.forEach(function (v) { list.appendChild(voteCard(v)); });
    const empty = $("votes-empty");
    empty.querySelector("span").textContent = t("oc_no_votes");
    empty.classList.toggle("d-none", items.length > 0);
    setBadges("votes", items.filter(function (v) { return v.status === "open"; }).length);
  }
  // a panel's count, in its card header and on its phone tab
  function setBadges(name, count) {
    document.querySelectorAll('[data-badge="' + name + '"]').forEach(function (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("d-none", count === 0);
    });
  }

  function voteCard(v) {
    const card = el("div", "vote-card border rounded p-2" + (v.status === "open" ? " vote-open" : ""));
    card.dataset.voteId = v.id;
    // the badges above the question, so the question has the card's whole width (a phone's too)
    const badges = el("div", "d-flex flex-wrap gap-1 mb-1");
    badges.appendChild(el("span", "badge " + (v.status === "open" ? "text-bg-danger" : "text-bg-secondary"), t("oc_" + v.status)));
    badges.appendChild(el("span", "badge text-bg-light border", v.anonymous ? t("oc_anonymous") : t("oc_named")));
    card.appendChild(badges);
    card.appendChild(el("div", "fw-semibold vote-question mb-2", v.question));
    const total = v.total || 0;
    const canVote = P.can_cast_ballot && v.status === "open";
    const byChoice = {};
    (v.ballots || []).forEach(function (b) { (byChoice[b.choice] = byChoice[b.choice] || []).push(b.full_name); });
    v.options.forEach(function (option, i) {
      const row = el(canVote ? "button" : "div", "vote-option w-100 text-start mb-1" + (canVote ? " btn btn-sm btn-outline-primary" : " px-1"));
      if (canVote) {
        row.type = "button";
        row.addEventListener("click", function () { castBallot(v.id, i); });
        if (v.my_choice === i) row.classList.add("active");
        row.setAttribute("aria-pressed", v.my_choice === i ? "true" : "false");
      }
      const line = el("div", "d-flex justify-content-between gap-2");
      const label = el("span", "", option);
      if (v.my_choice === i) { label.prepend(icon("check-circle-fill me-1")); }
      line.appendChild(label);
      const count = v.counts ? v.counts[i] : 0;
      const pct = total ? Math.round((100 * count) / total) : 0;
      line.appendChild(el("span", "fw-semibold vote-count", count + " · " + pct + "%"));
      row.appendChild(line);
      const bar = el("div", "progress vote-bar mt-1");
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuenow", String(pct));
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      const fill = el("div", "progress-bar");
      fill.style.width = pct + "%";
      bar.appendChild(fill);
      row.appendChild(bar);
      if (!v.anonymous && byChoice[i]) row.appendChild(el("div", "small text-body-secondary mt-1 vote-names", byChoice[i].join(", ")));
      card.appendChild(row);
    });
    const foot = el("div", "d-flex justify-content-between align-items-center mt-2 small text-body-secondary");
    foot.appendChild(el("span", "", fmt("oc_ballots", { n: total })));
    if (P.can_run_votes && v.status === "open") {
      const close = el("button", "btn btn-sm btn-outline-danger", t("oc_close_vote"));
      close.type = "button";
      close.addEventListener("click", function () { closeVote(v.id); });
      foot.appendChild(close);
    }
    card.appendChild(foot);
    return card;
  }

  async function castBallot(voteId, choice) {
    try {
      const ack = await App.emit("vote:cast", { vote_id: voteId, choice: choice });
      votes.set(voteId, ack.vote);
      renderVotes();
    } catch (err) { showError(err); }
  }
  async function closeVote(voteId) {
    try {
      const ack = await App.emit("vote:close", { vote_id: voteId });
      votes.set(voteId, Object.assign({}, votes.get(voteId), ack.vote));
      renderVotes();
    } catch (err) { showError(err); }
  }
  const voteForm = $("vote-open-form");
  if (voteForm) {
    voteForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const submit = $("vote-open-submit");
      if (submit.disabled) return;
      voteForm.querySelectorAll(".is-invalid").forEach(function (x) { x.classList.remove("is-invalid"); });
      const payload = {
        meeting_id: meetingId,
        question: $("vote-question").value,
        options: $("vote-options").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
        anonymous: $("vote-anonymous").checked,
      };
      submit.disabled = true;
      try {
        const ack = await App.emit("vote:open", payload);
        votes.set(ack.vote.id, ack.vote);
        renderVotes();
        $("vote-question").value = "";
        $("vote-open-box").open = false;
      } catch (err) {
        const fields = err.ack && err.ack.fields;
        if (fields) {
          Object.keys(fields).forEach(function (name) {
            const input = voteForm.querySelector('[name="' + name + '"]');
            const fb = voteForm.querySelector('[data-field="' + name + '"]');
            if (input) input.classList.add("is-invalid");
            if (fb) fb.textContent = fields[name];
          });
        } else { showError(err); }
      } finally {
        submit.disabled = false;
      }
    });
  }
  on("vote:opened", function (v) {
    const fresh = !votes.has(v.id);
    if (fresh) { v.my_choice = null; votes.set(v.id, v); }
    renderVotes();
    if (fresh) announceVote(v);
  });
  // a vote opened while the user looks elsewhere (chat, minutes...): say so, one tap away
  function announceVote(v) {
    if (!room || room.panelInView("votes")) return;
    room.markNews("votes");
    const toast = App.toast(fmt("oc_vote_opened", { q: v.question }), "primary", "#room-votes");
    const link = toast && toast.querySelector("a");
    if (!link) return;
    link.classList.add("vote-toast");
    link.addEventListener("click", function (e) {
      e.preventDefault();
      room.showPanel("votes");
      bootstrap.Toast.getOrCreateInstance(toast).hide();
    });
  }
  on("vote:tally", function (p) {
    const v = votes.get(p.vote_id);
    if (!v) { refreshVotes(); return; }
    v.counts = p.counts; v.total = p.total;
    if (p.ballot) { // a named vote: the one ballot that changed
      v.ballots = (v.ballots || []).filter(function (b) { return b.user_id !== p.ballot.user_id; });
      v.ballots.push(p.ballot);
      v.ballots.sort(function (a, b) { return a.full_name.localeCompare(b.full_name, "vi"); });
    }
    if (p.vote_id && p.ballot && p.ballot.user_id === me) v.my_choice = p.ballot.choice;
    renderVotes();
  });
  on("vote:closed", function (p) {
    const old = votes.get(p.id) || {};
    votes.set(p.id, Object.assign({}, p, { my_choice: old.my_choice === undefined ? null : old.my_choice }));
    renderVotes();
  });
  async function refreshVotes() {
    try {
      const res = await App.api("GET", base + "/votes");
      votes.clear();
      res.items.forEach(function (v) { votes.set(v.id, v); });
      renderVotes();
    } catch (err) { /* the next event or reconnect refreshes */ }
  }

  // ======================================================================================
  // Speaker queue
  // ======================================================================================
  let speakers = D.speakers;
  function renderSpeakers() {
    const current = speakers.current;
    const name = $("speaker-current-name");
    name.replaceChildren();
    if (current) {
      name.appendChild(icon("mic-fill text-danger me-1"));
      name.appendChild(document.createTextNode(current.user.full_name));
    } else {
      name.appendChild(el("span", "text-body-secondary fw-normal", t("oc_nobody_speaking")));
    }
    $("speaker-current").classList.toggle("active", !!current);
    const endBtn = $("speaker-end");
    if (endBtn) {
      endBtn.textContent = t("oc_end_turn");
      endBtn.classList.toggle("d-none", !current);
      endBtn.onclick = current ? function () { chairAction("speakers:remove", current.id); } : null;
    }
    const list = $("speaker-queue");
    list.replaceChildren();
    speakers.queue.forEach(function (r) {
      const li = el("li", "list-group-item d-flex align-items-center gap-2 small" + (r.user.id === me ? " is-me" : ""));
      li.dataset.requestId = r.id;
      const who = el("span", "flex-grow-1 min-w-0 text-truncate fw-semibold", r.user.full_name);
      li.appendChild(who);
      const when = el("span", "text-body-secondary", new Date(r.requested_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      li.appendChild(when);
      if (P.can_run_speakers) {
        const give = el("button", "btn btn-sm btn-success py-0", "");
        give.type = "button";
        give.title = t("oc_give_floor");
        give.setAttribute("aria-label", t("oc_give_floor") + ": " + r.user.full_name);
        give.appendChild(icon("mic"));
        give.addEventListener("click", function () { chairAction("speakers:grant", r.id); });
        const remove = el("button", "btn btn-sm btn-outline-danger py-0", "");
        remove.type = "button";
        remove.title = t("oc_remove");
        remove.setAttribute("aria-label", t("oc_remove") + ": " + r.user.full_name);
        remove.appendChild(icon("x-lg"));
        remove.addEventListener("click", function () { chairAction("speakers:remove", r.id); });
        li.append(give, remove);
      }
      list.appendChild(li);
    });
    const empty = $("speaker-queue-empty");
    empty.textContent = t("oc_queue_empty");
    empty.classList.toggle("d-none", speakers.queue.length > 0);
    setBadges("speakers", speakers.queue.length);
    const toggle = $("speaker-toggle");
    if (toggle) {
      const mine = (current && current.user.id === me) || speakers.queue.some(function (r) { return r.user.id === me; });
      toggle.querySelector("span").textContent = mine ? t("oc_lower_hand") : t("oc_raise_hand");
      toggle.classList.toggle("btn-outline-primary", !mine);
      toggle.classList.toggle("btn-warning", mine);
      toggle.dataset.raised = mine ? "1" : "0";
      toggle.disabled = D.meeting_status === "ended" || D.meeting_status === "cancelled";
    }
  }
  async function chairAction(event, requestId) {
    try { speakers = (await App.emit(event, { request_id: requestId })).speakers; renderSpeakers(); } catch (err) { showError(err); }
  }
  const toggle = $("speaker-toggle");
  if (toggle) {
    toggle.addEventListener("click", async function () {
      const event = toggle.dataset.raised === "1" ? "speakers:lower" : "speakers:raise";
      try { speakers = (await App.emit(event, { meeting_id: meetingId })).speakers; renderSpeakers(); } catch (err) { showError(err); }
    });
  }
  on("speakers:updated", function (s) { speakers = s; renderSpeakers(); });

  // ======================================================================================
  // Conclusions and the directives born from them
  // ======================================================================================
  let conclusions = D.conclusions || [];
  let directives = D.directives || [];
  let followUp = D.follow_up;

  function renderConclusions() {
    const list = $("conclusion-list");
    list.replaceChildren();
    const byId = {};
    directives.forEach(function (d) { byId[d.id] = d; });
    conclusions.forEach(function (c) {
      const li = el("li", "conclusion-item d-flex gap-2 mb-2");
      li.dataset.conclusionId = c.id;
      li.appendChild(el("span", "conclusion-no", String(c.position)));
      const bodyBox = el("div", "flex-grow-1 min-w-0");
      bodyBox.appendChild(el("div", "conclusion-text text-pre-line", c.text));
      const actions = el("div", "d-flex flex-wrap gap-1 mt-1 align-items-center");
      (c.directive_ids || []).forEach(function (id) {
        const d = byId[id];
        const a = el("a", "badge text-bg-light border text-decoration-none", d ? d.number : "#" + id);
        a.href = D.urls.directive.replace("{id}", id);
        a.prepend(icon("send-check me-1"));
        actions.appendChild(a);
      });
      if (P.can_issue_from_conclusion) {
        const a = el("a", "btn btn-sm btn-outline-primary py-0 assign-btn", t("oc_assign"));
        a.href = D.urls.assign.replace("{id}", c.id);
        a.prepend(icon("send me-1"));
        actions.appendChild(a);
      }
      if (P.can_record_conclusions && !(c.directive_ids || []).length) {
        const del = el("button", "btn btn-sm btn-link text-danger py-0", t("oc_delete"));
        del.type = "button";
        del.addEventListener("click", async function () {
          if (!window.confirm(t("oc_delete_confirm"))) return;
          try { await App.api("DELETE", "/api/v1/conclusions/" + c.id); } catch (err) { showError(err); }
        });
        actions.appendChild(del);
      }
      bodyBox.appendChild(actions);
      li.appendChild(bodyBox);
      list.appendChild(li);
    });
    const empty = $("conclusions-empty");
    empty.querySelector("span").textContent = t("oc_no_conclusions");
    empty.classList.toggle("d-none", conclusions.length > 0);
  }

  function directiveCard(d) {
    const box = el("div", "directive-row border rounded p-2 small");
    box.dataset.directiveId = d.id;
    const head = el("a", "fw-semibold text-decoration-none d-block text-truncate");
    head.href = D.urls.directive.replace("{id}", d.id);
    head.appendChild(el("span", "text-body-secondary me-1", d.number));
    head.appendChild(document.createTextNode(d.title));
    box.appendChild(head);
    d.assignments.forEach(function (a) {
      const line = el("div", "d-flex justify-content-between align-items-center gap-2 mt-1");
      line.dataset.assignmentId = a.id;
      const who = el("span", "text-truncate min-w-0", a.agency_name);
      who.appendChild(el("span", "text-body-secondary", " · " + t("oc_" + a.role)));
      line.appendChild(who);
      const right = el("span", "d-flex gap-1 align-items-center flex-shrink-0");
      right.appendChild(el("span", "text-body-secondary", t("oc_progress") + " " + a.progress + "%"));
      right.appendChild(el("span", "badge tracking-badge tracking-" + a.tracking, t("oc_" + a.tracking)));
      line.appendChild(right);
      box.appendChild(line);
    });
    return box;
  }
  function renderDirectives() {
    const list = $("directive-list");
    list.replaceChildren();
    directives.forEach(function (d) { list.appendChild(directiveCard(d)); });
    if (!directives.length) list.appendChild(el("div", "text-body-secondary small", t("oc_no_directives")));
    const fl = $("followup-list");
    if (fl && followUp) {
      fl.replaceChildren();
      followUp.forEach(function (d) { fl.appendChild(directiveCard(d)); });
      if (!followUp.length) fl.appendChild(el("div", "text-body-secondary small", t("oc_no_directives")));
    }
  }
  async function refreshDirectives() {
    try {
      const res = await App.api("GET", base + "/directives");
      directives = res.items;
      if (followUp !== null && followUp !== undefined) followUp = res.follow_up;
      renderDirectives();
      renderConclusions();
    } catch (err) { /* keep what is shown */ }
  }
  const cForm = $("conclusion-form");
  if (cForm) {
    cForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const input = $("conclusion-text");
      const button = $("conclusion-add");
      if (button.disabled) return;
      input.classList.remove("is-invalid");
      button.disabled = true;
      const text = input.value;
      try {
        await App.api("POST", base + "/conclusions", { text: text });
        if (input.value === text) input.value = "";
      } catch (err) {
        const fields = err.data && err.data.error && err.data.error.fields;
        if (fields && fields.text) {
          input.classList.add("is-invalid");
          cForm.querySelector('[data-field="text"]').textContent = fields.text;
        } else { showError(err); }
      } finally {
        button.disabled = false;
      }
    });
  }
  on("conclusions:updated", function (p) {
    const known = new Set(directives.map(function (d) { return d.id; }));
    conclusions = p.items;
    renderConclusions();
    const linked = p.items.some(function (c) { return (c.directive_ids || []).some(function (id) { return !known.has(id); }); });
    if (linked) refreshDirectives();
  });
  // tracking changes reach leaders and agencies as assignment:updated; refresh the rows we show
  if (App.socket) {
    App.socket.on("assignment:updated", function (p) {
      const all = directives.concat(followUp || []);
      if (all.some(function (d) { return d.id === p.directive_id; })) refreshDirectives();
    });
  }
  // deadlines pass without any event: re-read the tracking now and then
  setInterval(function () { if (document.visibilityState === "visible") refreshDirectives(); }, 60000);

  // ======================================================================================
  // Reconnects: re-read everything that may have changed meanwhile
  // ======================================================================================
  let joinedBefore = false;
  if (room) {
    room.on("joined", async function () {
      if (!joinedBefore) { joinedBefore = true; return; }
      try {
        const m = await App.api("GET", base + "/minutes?render=1");
        if (m.version !== M.version || m.status !== M.status) {
          applyMinutes({ version: m.version, body: m.body, status: m.status, html: m.html, updated_by: null });
        }
        speakers = await App.api("GET", base + "/speakers");
        renderSpeakers();
        conclusions = (await App.api("GET", base + "/conclusions")).items;
        renderConclusions();
      } catch (err) { /* next reconnect */ }
      refreshVotes();
      refreshDirectives();
    });
    room.on("status", function (status) {
      D.meeting_status = status && status.status ? status.status : status;
      const over = D.meeting_status === "ended" || D.meeting_status === "cancelled";
      const openBox = $("vote-open-box");
      if (openBox && over) openBox.classList.add("d-none");
      renderSpeakers();
    });
  }

  renderMinutesStatus();
  renderMinutesView();
  renderVotes();
  renderSpeakers();
  renderConclusions();
  renderDirectives();
})();

/* The meeting page's outcomes card: keep the tracking of the directives born from the meeting
 * (and, for a follow-up, those of the earlier meeting) current. Tracking changes reach leaders and
 * agencies as assignment:updated; deadlines pass without any event, so it also re-reads each minute. */
(function () {
  "use strict";
  const card = document.getElementById("outcomes-detail");
  if (!card || !window.App || document.getElementById("outcomes-data")) return;
  const shown = new Set(Array.from(card.querySelectorAll("[data-directive-id]")).map(function (e) { return Number(e.dataset.directiveId); }));

  function update(items) {
    let unknown = false;
    items.forEach(function (d) {
      if (!shown.has(d.id)) { unknown = true; return; }
      d.assignments.forEach(function (a) {
        const row = card.querySelector('[data-assignment-id="' + a.id + '"]');
        if (!row) return;
        const badge = row.querySelector('[data-field="tracking"]');
        if (badge && !badge.classList.contains("tracking-" + a.tracking)) {
          badge.className = "badge tracking-badge tracking-" + a.tracking;
          badge.textContent = App.t("oc_" + a.tracking);
        }
        const progress = row.querySelector('[data-field="progress"]');
        if (progress) progress.textContent = a.progress + "%";
        const bar = row.querySelector(".progress-bar");
        if (bar) bar.style.width = a.progress + "%";
      });
    });
    return unknown;
  }
  async function refresh() {
    try {
      const res = await App.api("GET", card.dataset.api);
      const unknown = update(res.items) | update(res.follow_up || []);
      if (unknown) window.location.reload(); // a directive issued meanwhile: show it with its full row
    } catch (err) { /* keep what is shown */ }
  }
  if (App.socket) {
    App.socket.on("assignment:updated", function (p) { if (shown.has(p.directive_id)) refresh(); });
    App.socket.on("connect", refresh);
  }
  setInterval(function () { if (document.visibilityState === "visible") refresh(); }, 60000);
})();

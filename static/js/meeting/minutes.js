/* The minutes panel. The chair and the secretary write Markdown; it autosaves (debounced) with the
 * version it was based on. A stale save never overwrites: the server answers 409 with the current
 * text, shown side by side with ours to merge, then saved on top of that version. Everyone else
 * sees minutes:updated live, shown as the HTML the server rendered and sanitised (core/text.py,
 * the one owner of what HTML is safe); this file renders no Markdown and keeps no allow-list. */
import { room, D, base, $, showError } from "./panel.js";

const App = window.App;
const { t, fmt } = App;
const me = D.user_id;

const M = {
  version: D.minutes.version, status: D.minutes.status, body: D.minutes.body, html: D.minutes.html,
  saved: D.minutes.body, saving: false, timer: null, conflict: null, retry: 0, updatedBy: null,
};
const editor = $("minutes-editor");
const view = $("minutes-view");
const preview = $("minutes-preview");
const meta = $("minutes-meta");

/** Show the server's sanitised HTML: parsed inertly (no script runs), links open beside the room. */
function showHtml(target, html) {
  const doc = new DOMParser().parseFromString(html || "", "text/html");
  doc.body.querySelectorAll("a[href]").forEach((a) => { a.target = "_blank"; });
  target.replaceChildren(...doc.body.childNodes);
}

function renderStatus() {
  const final = M.status === "final";
  const badge = $("minutes-status");
  badge.textContent = t("oc_" + M.status);
  badge.className = "badge minutes-status " + (final ? "text-bg-success" : "text-bg-warning");
  const fin = $("minutes-finalize");
  if (fin) fin.classList.toggle("d-none", final);
  const dl = $("minutes-downloads");
  if (dl) dl.classList.toggle("d-none", !final);
  if (editor) {
    editor.readOnly = final;
    editor.classList.toggle("is-final", final);
  }
  if (final) {
    meta.textContent = t("oc_final_locked");
    if (editor) { $("minutes-editor-box").classList.add("d-none"); view.classList.remove("d-none"); }
  }
}
function renderView() {
  showHtml(view, M.html);
  if (preview) showHtml(preview, M.html);
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

/** A refused save: a newer version (merge), the minutes finalised meanwhile, or a plain refusal.
 * false when it was the network or the server: keep the text and try again. */
function saveRefused(err) {
  if (err.status === 409 && err.data) {
    if (err.data.status === "final" || (err.data.error && err.data.error.code === "minutes_final")) {
      M.status = "final"; M.body = err.data.body; M.version = err.data.version;
      renderStatus();
    } else {
      openConflict(err.data.version, err.data.body);
    }
    return true;
  }
  if (err.status === 422 || err.status === 403 || err.status === 404) {
    showError(err);
    return true;
  }
  return false;
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
    if (!saveRefused(err)) {
      M.retry += 1;
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

function bindEditor() {
  editor.value = M.body;
  editor.addEventListener("input", () => { setMeta(t("oc_unsaved")); scheduleSave(); });
  editor.addEventListener("blur", () => { scheduleSave(0); });
  $("minutes-save-merge").addEventListener("click", async () => {
    const merged = $("minutes-mine").value;
    const onTop = M.conflict.version;
    M.conflict = null; // try on top of the version we have now seen
    closeConflict(merged, onTop);
    await save();
  });
  $("minutes-take-theirs").addEventListener("click", () => {
    const c = M.conflict;
    closeConflict(c.body, c.version);
    M.saved = c.body; M.body = c.body;
    setMeta(fmt("oc_saved", { v: c.version }));
  });
  const modes = document.querySelectorAll("[data-minutes-mode]");
  modes.forEach((btn) => {
    btn.addEventListener("click", () => {
      const previewMode = btn.dataset.minutesMode === "preview";
      modes.forEach((b) => { b.classList.toggle("active", b === btn); });
      editor.classList.toggle("d-none", previewMode || !!M.conflict);
      preview.classList.toggle("d-none", !previewMode);
      if (previewMode) { save(); }
    });
  });
  window.addEventListener("beforeunload", (e) => {
    if (editor.value !== M.saved && M.status !== "final") { save(); e.preventDefault(); e.returnValue = ""; }
  });
  setMeta(M.version ? fmt("oc_saved", { v: M.version }) : "");
}

if (editor) {
  bindEditor();
} else if (M.version) {
  setMeta(fmt("oc_version", { v: M.version }));
}
const finalizeBtn = $("minutes-finalize");
if (finalizeBtn) {
  finalizeBtn.addEventListener("click", async () => {
    if (!window.confirm(t("oc_finalize_confirm"))) return;
    if (editor && editor.value !== M.saved) await save();
    try {
      const res = await App.api("POST", base + "/minutes/finalize");
      applyMinutes({ version: res.version, body: res.body, status: res.status, html: M.html });
    } catch (err) { showError(err); }
  });
}

/** A newer version from the server into the editor: taken when ours is clean, merged when not. */
function applyToEditor(p, mine) {
  const clean = editor.value === M.saved && !M.saving && !M.conflict;
  if (clean && !mine) {
    editor.value = p.body; M.saved = p.body; M.body = p.body; M.version = p.version;
    setMeta(fmt("oc_updated_by", { name: p.updated_by_name || "", v: p.version }));
  } else if (M.conflict && !mine) {
    openConflict(p.version, p.body); // keep the side-by-side view on the newest server text
  }
  // a dirty editor keeps its text; its next save meets the 409 and the merge view
}

function applyMinutes(p) {
  if (p.html !== undefined) M.html = p.html;
  if (p.updated_by_name) M.updatedBy = p.updated_by_name;
  M.status = p.status || M.status;
  if (editor && M.status !== "final") {
    if (p.version <= M.version) { renderView(); return; }
    // my own save, unless written for me elsewhere (an agenda heading: p.via), which this editor takes in
    applyToEditor(p, p.updated_by === me && !p.via);
  } else {
    M.body = p.body; M.version = p.version;
    if (!editor) setMeta(fmt("oc_updated_by", { name: p.updated_by_name || "", v: p.version }));
  }
  renderStatus();
  renderView();
}
room.on("minutes:updated", applyMinutes);

/** After a reconnect: the minutes as they are now. */
export async function refresh() {
  const m = await App.api("GET", base + "/minutes?render=1");
  if (m.version !== M.version || m.status !== M.status) {
    applyMinutes({ version: m.version, body: m.body, status: m.status, html: m.html, updated_by: null });
  }
}

renderStatus();
renderView();

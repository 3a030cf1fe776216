/* The directive page's cascade tree: collapse and expand a branch (or all of them), kept per directive
   for the tab's session so a live refresh of the tree (static/js/directives.js swaps #part-agencies)
   keeps what the user folded; and the pass-on form's agency filter. Listeners sit on the document, so
   they serve the swapped-in parts too. */
(function () {
  "use strict";
  const { fold } = window.App;
  const page = document.querySelector('[data-page="directive"]');
  if (!page) return;
  const key = "tree-collapsed:" + page.dataset.directiveId;

  function load() {
    try { return new Set(JSON.parse(sessionStorage.getItem(key) || "[]").map(String)); } catch { return new Set(); }
  }
  function save(set) {
    try { sessionStorage.setItem(key, JSON.stringify(Array.from(set))); } catch { /* private mode: not kept */ }
  }
  let collapsed = load();

  /** Hide every row under a collapsed one; mark each toggle with its state. */
  function apply() {
    const rows = Array.from(document.querySelectorAll("#part-agencies tr.tree-row"));
    const parentOf = new Map(rows.map((r) => [r.dataset.assignmentId, r.dataset.parentId || null]));
    rows.forEach((row) => {
      let hidden = false;
      let up = parentOf.get(row.dataset.assignmentId);
      while (up && !hidden) {
        hidden = collapsed.has(up);
        up = parentOf.get(up);
      }
      row.classList.toggle("tree-hidden", hidden);
      const open = !collapsed.has(row.dataset.assignmentId);
      const toggle = row.querySelector("[data-tree-toggle]");
      if (toggle) {
        toggle.setAttribute("aria-expanded", String(open));
        row.setAttribute("aria-expanded", String(open));
      }
    });
  }

  document.addEventListener("click", (ev) => {
    const toggle = ev.target.closest("[data-tree-toggle]");
    const all = ev.target.closest("[data-tree-all]");
    if (toggle) {
      const id = toggle.dataset.treeToggle;
      if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
    } else if (all) {
      collapsed = new Set();
      if (all.dataset.treeAll === "collapse") {
        document.querySelectorAll("#part-agencies [data-tree-toggle]").forEach((b) => collapsed.add(b.dataset.treeToggle));
      }
    } else {
      return;
    }
    save(collapsed);
    apply();
  });
  document.addEventListener("directives:refreshed", apply);

  // the pass-on form: find an agency among many by a part of its name, with or without diacritics
  document.addEventListener("input", (ev) => {
    const box = ev.target.closest("[data-filter-list]");
    if (!box) return;
    const q = fold(box.value.trim());
    const list = document.getElementById(box.dataset.filterList);
    if (!list) return;
    list.querySelectorAll(".pass-on-item").forEach((item) => {
      item.classList.toggle("d-none", !!q && fold(item.dataset.name || "").indexOf(q) === -1);
    });
  });

  apply();
})();

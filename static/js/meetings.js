/* Meeting pages: the invitation filter on the form (App asks the data-confirm questions). */
(function () {
  "use strict";
  const fold = window.App.fold;
  // a search box that narrows a long <select> (the secretary picker) to the matching people
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    const select = document.getElementById(input.dataset.filterSelect);
    if (!select) return;
    input.addEventListener("input", function () {
      const q = fold(input.value.trim());
      let first = null;
      select.querySelectorAll("option").forEach(function (opt) {
        if (!opt.value) return;
        const group = opt.parentElement.tagName === "OPTGROUP" ? opt.parentElement.label : "";
        const hit = !q || fold(opt.textContent + " " + group).indexOf(q) >= 0;
        opt.hidden = !hit;
        if (hit && !first) first = opt;
      });
      select.querySelectorAll("optgroup").forEach(function (g) {
        g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
      });
      if (q && first && (select.selectedIndex < 1 || select.options[select.selectedIndex].hidden)) first.selected = true;
    });
  });

  const filter = document.getElementById("invitee-filter");
  const box = document.getElementById("invitee-box");
  const count = document.getElementById("invitee-count");
  if (!box) return;
  function updateCount() {
    if (count) count.textContent = String(box.querySelectorAll('input[name="participant_ids"]:checked').length);
  }
  box.addEventListener("change", updateCount);
  if (filter) {
    filter.addEventListener("input", function () {
      const q = fold(filter.value.trim());
      let shown = 0;
      box.querySelectorAll(".invitee-group").forEach(function (group) {
        let any = false;
        group.querySelectorAll(".invitee").forEach(function (row) {
          const hit = !q || fold(row.dataset.search).indexOf(q) >= 0;
          row.classList.toggle("d-none", !hit);
          if (hit) { any = true; shown += 1; }
        });
        group.classList.toggle("d-none", !any);
      });
      const none = document.getElementById("invitee-none");
      if (none) none.classList.toggle("d-none", shown > 0);
    });
  }
})();

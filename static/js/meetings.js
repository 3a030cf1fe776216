/* Meeting pages: the invitation filter on the form, confirmations before ending or cancelling. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
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
      const q = filter.value.trim().toLowerCase();
      let shown = 0;
      box.querySelectorAll(".invitee-group").forEach(function (group) {
        let any = false;
        group.querySelectorAll(".invitee").forEach(function (row) {
          const hit = !q || row.dataset.search.indexOf(q) >= 0;
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

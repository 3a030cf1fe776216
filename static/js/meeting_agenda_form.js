/* The meeting form's agenda editor: add, remove and reorder items with buttons (keyboard: the focus stays on
 * the moved item's button, and a status line says where it went), keep the row numbers, and offer as
 * presenters exactly the people the form invites (the people and agencies ticked, the secretary, the chair).
 * The server validates everything again and names the row and field of each problem. */
(function () {
  "use strict";
  const App = window.App;
  const list = document.getElementById("agenda-rows");
  const template = document.getElementById("agenda-row-template");
  const addBtn = document.getElementById("agenda-add");
  const statusEl = document.getElementById("agenda-status");
  const dataEl = document.getElementById("agenda-people");
  if (!list || !template || !addBtn || !dataEl) return;
  const data = JSON.parse(dataEl.textContent);
  const people = data.people || [];
  const form = list.closest("form");
  let nextKey = 0;

  function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-agenda-row]")); }
  function say(text) { if (statusEl) statusEl.textContent = text; }

  /** The row numbers, and each button's name with its item's number for screen readers. */
  function renumber() {
    const all = rows();
    all.forEach(function (row, i) {
      const n = i + 1;
      row.querySelector("[data-agenda-pos]").textContent = String(n);
      row.querySelector('[data-agenda-move="-1"]').setAttribute("aria-label", App.fmt("agenda_move_up", { n: n }));
      row.querySelector('[data-agenda-move="1"]').setAttribute("aria-label", App.fmt("agenda_move_down", { n: n }));
      row.querySelector("[data-agenda-remove]").setAttribute("aria-label", App.fmt("agenda_remove", { n: n }));
      row.querySelector('[data-agenda-move="-1"]').disabled = i === 0;
      row.querySelector('[data-agenda-move="1"]').disabled = i === all.length - 1;
    });
  }

  // -- who may present: the people the form invites now ------------------------------------------
  function checkedValues(name) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'), function (i) { return Number(i.value); });
  }
  function invited() {
    const ids = new Set(checkedValues("participant_ids"));
    const agencies = new Set(checkedValues("agency_ids"));
    people.forEach(function (p) { if (agencies.has(p.agency_id)) ids.add(p.id); });
    const secretary = form.querySelector('[name="secretary_id"]');
    if (secretary && secretary.value) ids.add(Number(secretary.value));
    const chair = form.querySelector('[name="chair_id"]');
    if (chair && chair.value) ids.add(Number(chair.value));
    else if (data.chair_id) ids.add(data.chair_id);
    return ids;
  }
  function fillPresenters(select, ids) {
    const chosen = select.value;
    const none = select.options[0];
    const options = [none];
    people.forEach(function (p) {
      // a chosen presenter no longer invited stays visible, so the server names the problem
      if (!ids.has(p.id) && String(p.id) !== chosen) return;
      const opt = document.createElement("option");
      opt.value = String(p.id);
      opt.textContent = p.agency ? p.name + " — " + p.agency : p.name;
      if (String(p.id) === chosen) opt.selected = true;
      options.push(opt);
    });
    select.replaceChildren.apply(select, options);
  }
  function refreshPresenters() {
    const ids = invited();
    list.querySelectorAll("[data-agenda-presenter]").forEach(function (s) { fillPresenters(s, ids); });
  }

  // -- add, move, remove ---------------------------------------------------------------------
  function addRow() {
    const key = "js" + (nextKey += 1);
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[id], label[for]").forEach(function (el) {
      if (el.id) el.id = el.id.replace("__key__", key);
      if (el.htmlFor) el.htmlFor = el.htmlFor.replace("__key__", key);
    });
    list.appendChild(row);
    fillPresenters(row.querySelector("[data-agenda-presenter]"), invited());
    renumber();
    row.querySelector("[data-agenda-title]").focus();
    say(App.fmt("agenda_added", { n: rows().length }));
  }

  list.addEventListener("click", function (ev) {
    const btn = ev.target.closest("button");
    if (!btn) return;
    const row = btn.closest("[data-agenda-row]");
    if (btn.hasAttribute("data-agenda-move")) {
      const step = Number(btn.dataset.agendaMove);
      const other = step < 0 ? row.previousElementSibling : row.nextElementSibling;
      if (!other) return;
      if (step < 0) list.insertBefore(row, other); else list.insertBefore(other, row);
      renumber();
      const same = row.querySelector('[data-agenda-move="' + step + '"]');
      (same.disabled ? row.querySelector('[data-agenda-move="' + -step + '"]') : same).focus();
      say(App.fmt("agenda_moved", { n: rows().indexOf(row) + 1 }));
    } else if (btn.hasAttribute("data-agenda-remove")) {
      const after = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (!rows().length) { addRow(); return; }
      renumber();
      (after ? after.querySelector("[data-agenda-title]") : addBtn).focus();
      say(App.t("agenda_removed"));
    }
  });
  addBtn.addEventListener("click", addRow);
  form.addEventListener("change", function (ev) {
    const name = ev.target.name;
    if (name === "participant_ids" || name === "agency_ids" || name === "secretary_id" || name === "chair_id") refreshPresenters();
  });

  // the empty row that lets a page without script add an item: with the Add button it is not needed
  function isEmpty(row) {
    return Array.prototype.every.call(row.querySelectorAll("input:not([type=hidden]), select"), function (f) { return !f.value; });
  }
  const initial = rows();
  if (initial.length > 1 && isEmpty(initial[initial.length - 1])) initial[initial.length - 1].remove();

  refreshPresenters();
  renumber();
})();

/* Connection points (điểm cầu): the halls linked to the meeting, each agency's people in front of one
 * camera. A participant declares "I am the connection point of <agency> with N people" (again: updates
 * it, or withdraws it); the chair or the secretary corrects a count or removes a point. Everyone's list
 * follows connection_points:updated; after a reconnect it is read again (refresh). */
import { room } from "./hub.js";

const App = window.App;
const { t, el } = App;
const $ = (id) => document.getElementById(id);
const C = room.data.connection_points || { state: { items: [], points: 0, people: 0 } };
const canCorrect = !!room.perms.can_correct_connection_points;
const list = $("points-list");
const form = $("points-form");
let state = C.state;
let editing = null; // the id of the point whose count the chair is correcting

function icon(name) {
  const i = el("i", "bi bi-" + name);
  i.setAttribute("aria-hidden", "true");
  return i;
}

function mine() {
  return state.items.find((p) => p.operator.id === room.userId) || null;
}

function over() {
  return room.status === "ended" || room.status === "cancelled";
}

function people(n) {
  return App.fmt("cp_people", { n: n.toLocaleString() });
}

function iconButton(cls, iconName, label, onClick) {
  const btn = el("button", "btn btn-sm " + cls + " py-0 px-1");
  btn.type = "button";
  btn.title = label;
  btn.setAttribute("aria-label", label);
  btn.appendChild(icon(iconName));
  btn.addEventListener("click", onClick);
  return btn;
}

/** The chair's or secretary's inline correction of one point's count. */
function correction(point) {
  const box = el("form", "d-flex gap-1 align-items-center points-correct");
  const input = el("input", "form-control form-control-sm");
  Object.assign(input, { type: "number", min: 1, max: 10000, step: 1, value: point.people_present, required: true });
  input.setAttribute("aria-label", App.fmt("cp_correct_label", { agency: point.agency.name }));
  box.append(input,
    iconButton("btn-success", "check2", t("cp_save"), () => box.requestSubmit()),
    iconButton("btn-outline-secondary", "x", t("cp_cancel"), () => { editing = null; render(); }));
  box.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      state = await App.api("PATCH", C.url + "/" + point.id, { people_present: input.value });
      editing = null;
      render();
    } catch (err) { App.toast(fieldMessage(err), "danger"); }
  });
  setTimeout(() => { input.focus(); input.select(); });
  return box;
}

function row(point) {
  const own = point.operator.id === room.userId;
  const li = el("li", "list-group-item d-flex align-items-center gap-2 small" + (own ? " is-me" : ""));
  li.dataset.pointId = point.id;
  const who = el("div", "flex-grow-1 min-w-0");
  who.append(el("span", "d-block text-truncate fw-semibold points-agency", point.agency.name),
    el("span", "d-block text-truncate text-body-secondary",
      App.fmt("cp_operated_by", { name: own ? App.fmt("call_you", { name: point.operator.full_name }) : point.operator.full_name })));
  li.appendChild(who);
  if (editing === point.id) {
    li.appendChild(correction(point));
    return li;
  }
  const count = el("span", "badge rounded-pill text-bg-primary points-count", point.people_present.toLocaleString());
  count.title = people(point.people_present);
  li.appendChild(count);
  if (canCorrect && room.status !== "cancelled") {
    li.append(
      iconButton("btn-outline-secondary", "pencil", App.fmt("cp_correct_label", { agency: point.agency.name }),
        () => { editing = point.id; render(); }),
      iconButton("btn-outline-danger", "x-lg", App.fmt("cp_remove_label", { agency: point.agency.name }),
        () => remove(point)),
    );
  }
  return li;
}

function renderForm() {
  if (!form) return;
  const own = mine();
  $("points-footer").classList.toggle("d-none", over());
  $("points-form-title").textContent = own ? t("cp_mine_title") : t("cp_declare_title");
  $("points-submit").querySelector("span").textContent = own ? t("cp_update") : t("cp_declare");
  $("points-withdraw").classList.toggle("d-none", !own);
  if (own && document.activeElement !== $("points-people-input")) {
    $("points-agency").value = String(own.agency.id);
    $("points-people-input").value = own.people_present;
  }
}

function render() {
  list.replaceChildren(...state.items.map(row));
  $("points-empty").classList.toggle("d-none", state.items.length > 0);
  $("points-people").textContent = state.people.toLocaleString();
  $("points-total-text").textContent = App.fmt("cp_total", { points: state.points, people: state.people.toLocaleString() });
  renderForm();
}

function fieldMessage(err) {
  const fields = err && err.data && err.data.error && err.data.error.fields;
  return fields ? Object.values(fields).join(" ") : (err && err.message) || t("error");
}

async function remove(point) {
  if (!window.confirm(App.fmt("cp_remove_confirm", { agency: point.agency.name }))) return;
  try { state = await App.api("DELETE", C.url + "/" + point.id); render(); } catch (err) { App.toast(fieldMessage(err), "danger"); }
}

if (form) {
  const error = $("points-error");
  const input = $("points-people-input");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    input.classList.remove("is-invalid");
    const submit = $("points-submit");
    submit.disabled = true;
    try {
      const body = await App.api("POST", C.url, { agency_id: $("points-agency").value, people_present: input.value });
      state = body;
      render();
      App.toast(t("cp_declared"), "success");
    } catch (err) {
      error.textContent = fieldMessage(err);
      const fields = (err.data && err.data.error && err.data.error.fields) || {};
      input.classList.toggle("is-invalid", "people_present" in fields);
      $("points-agency").classList.toggle("is-invalid", "agency_id" in fields);
    } finally {
      submit.disabled = false;
    }
  });
  $("points-withdraw").addEventListener("click", () => { const own = mine(); if (own) remove(own); });
}

room.on("connection_points:updated", (s) => { state = s; render(); });
room.on("status", () => { editing = null; render(); });

/** After a reconnect: the list as it is now. */
export async function refresh() {
  state = await App.api("GET", C.url);
  render();
}

render();

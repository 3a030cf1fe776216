/* The conclusions panel and the directives born from them (and, at a follow-up meeting, those of
 * the earlier meeting) with their tracking, kept current by conclusions:updated, assignment:updated
 * and a re-read each minute (deadlines pass without any event). */
import { room, D, P, base, $, icon, showError, setEmpty } from "./panel.js";

const App = window.App;
const { t, el } = App;
let conclusions = D.conclusions || [];
let directives = D.directives || [];
let followUp = D.follow_up;

function directiveLink(id, directive) {
  const a = el("a", "badge text-bg-light border text-decoration-none", directive ? directive.number : "#" + id);
  a.href = D.urls.directive.replace("{id}", id);
  a.prepend(icon("send-check me-1"));
  return a;
}

function deleteButton(c) {
  const del = el("button", "btn btn-sm btn-link text-danger py-0", t("oc_delete"));
  del.type = "button";
  del.addEventListener("click", async () => {
    if (!window.confirm(t("oc_delete_confirm"))) return;
    try { await App.api("DELETE", "/api/v1/conclusions/" + c.id); } catch (err) { showError(err); }
  });
  return del;
}

function conclusionItem(c, byId) {
  const li = el("li", "conclusion-item d-flex gap-2 mb-2");
  li.dataset.conclusionId = c.id;
  li.appendChild(el("span", "conclusion-no", String(c.position)));
  const bodyBox = el("div", "flex-grow-1 min-w-0");
  bodyBox.appendChild(el("div", "conclusion-text text-pre-line", c.text));
  const actions = el("div", "d-flex flex-wrap gap-1 mt-1 align-items-center");
  const ids = c.directive_ids || [];
  ids.forEach((id) => { actions.appendChild(directiveLink(id, byId[id])); });
  if (P.can_issue_from_conclusion) {
    const a = el("a", "btn btn-sm btn-outline-primary py-0 assign-btn", t("oc_assign"));
    a.href = D.urls.assign.replace("{id}", c.id);
    a.prepend(icon("send me-1"));
    actions.appendChild(a);
  }
  if (P.can_record_conclusions && !ids.length) actions.appendChild(deleteButton(c));
  bodyBox.appendChild(actions);
  li.appendChild(bodyBox);
  return li;
}

function renderConclusions() {
  const byId = {};
  directives.forEach((d) => { byId[d.id] = d; });
  $("conclusion-list").replaceChildren(...conclusions.map((c) => conclusionItem(c, byId)));
  setEmpty("conclusions-empty", "oc_no_conclusions", conclusions.length === 0);
}

function directiveCard(d) {
  const box = el("div", "directive-row border rounded p-2 small");
  box.dataset.directiveId = d.id;
  const head = el("a", "fw-semibold text-decoration-none d-block text-truncate");
  head.href = D.urls.directive.replace("{id}", d.id);
  head.appendChild(el("span", "text-body-secondary me-1", d.number));
  head.appendChild(document.createTextNode(d.title));
  box.appendChild(head);
  d.assignments.forEach((a) => {
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

function fillDirectives(list, items) {
  list.replaceChildren(...items.map(directiveCard));
  if (!items.length) list.appendChild(el("div", "text-body-secondary small", t("oc_no_directives")));
}
function renderDirectives() {
  fillDirectives($("directive-list"), directives);
  const fl = $("followup-list");
  if (fl && followUp) fillDirectives(fl, followUp);
}

/** The directives and their tracking as they are now (after a reconnect too). */
export async function refreshDirectives() {
  try {
    const res = await App.api("GET", base + "/directives");
    directives = res.items;
    if (followUp !== null && followUp !== undefined) followUp = res.follow_up;
    renderDirectives();
    renderConclusions();
  } catch { /* keep what is shown */ }
}

/** After a reconnect: the conclusions as they are now. */
export async function refreshConclusions() {
  conclusions = (await App.api("GET", base + "/conclusions")).items;
  renderConclusions();
}

const cForm = $("conclusion-form");
if (cForm) {
  cForm.addEventListener("submit", async (e) => {
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

room.on("conclusions:updated", (p) => {
  const known = new Set(directives.map((d) => d.id));
  conclusions = p.items;
  renderConclusions();
  const linked = p.items.some((c) => (c.directive_ids || []).some((id) => !known.has(id)));
  if (linked) refreshDirectives();
});
// tracking changes reach leaders and agencies as assignment:updated; refresh the rows we show
if (App.socket) {
  App.socket.on("assignment:updated", (p) => {
    const all = directives.concat(followUp || []);
    if (all.some((d) => d.id === p.directive_id)) refreshDirectives();
  });
}
// deadlines pass without any event: re-read the tracking now and then
setInterval(() => { if (document.visibilityState === "visible") refreshDirectives(); }, 60000);

renderConclusions();
renderDirectives();

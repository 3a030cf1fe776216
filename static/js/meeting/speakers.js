/* The speaker queue: attendees raise a hand, the chair gives the floor or takes a request off
 * (speakers:updated keeps everyone's copy current). */
import { room, D, P, base, $, icon, showError, setBadges } from "./panel.js";
import { secondsSince, duration, everySecond } from "./clock.js";

const App = window.App;
const { t, el } = App;
const me = D.user_id;
let speakers = D.speakers;
let meetingStatus = D.meeting_status;

function renderCurrent(current) {
  const name = $("speaker-current-name");
  name.replaceChildren();
  if (current) {
    name.appendChild(icon("mic-fill text-danger me-1"));
    name.appendChild(document.createTextNode(current.user.full_name));
    // how long they have spoken (granted_at), ticking with the room's clock
    const timer = el("span", "speaker-timer badge font-monospace ms-2", "");
    timer.id = "speaker-current-timer";
    timer.dataset.testid = "speaker-timer";
    timer.title = t("oc_speaking_for");
    name.appendChild(timer);
    tickSpeaker();
  } else {
    name.appendChild(el("span", "text-body-secondary fw-normal", t("oc_nobody_speaking")));
  }
  $("speaker-current").classList.toggle("active", !!current);
  const endBtn = $("speaker-end");
  if (endBtn) {
    endBtn.textContent = t("oc_end_turn");
    endBtn.classList.toggle("d-none", !current);
    endBtn.onclick = current ? () => { chairAction("speakers:remove", current.id); } : null;
  }
}

/** A chair's button on a request: an icon, its name said for screen readers. */
function chairButton(cls, iconName, key, r, event) {
  const btn = el("button", "btn btn-sm " + cls + " py-0", "");
  btn.type = "button";
  btn.title = t(key);
  btn.setAttribute("aria-label", t(key) + ": " + r.user.full_name);
  btn.appendChild(icon(iconName));
  btn.addEventListener("click", () => { chairAction(event, r.id); });
  return btn;
}

function requestRow(r) {
  const li = el("li", "list-group-item d-flex align-items-center gap-2 small" + (r.user.id === me ? " is-me" : ""));
  li.dataset.requestId = r.id;
  li.appendChild(el("span", "flex-grow-1 min-w-0 text-truncate fw-semibold", r.user.full_name));
  li.appendChild(el("span", "text-body-secondary", new Date(r.requested_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  if (P.can_run_speakers) {
    li.append(
      chairButton("btn-success", "mic", "oc_give_floor", r, "speakers:grant"),
      chairButton("btn-outline-danger", "x-lg", "oc_remove", r, "speakers:remove"),
    );
  }
  return li;
}

function render() {
  const current = speakers.current;
  renderCurrent(current);
  $("speaker-queue").replaceChildren(...speakers.queue.map(requestRow));
  const empty = $("speaker-queue-empty");
  empty.textContent = t("oc_queue_empty");
  empty.classList.toggle("d-none", speakers.queue.length > 0);
  setBadges("speakers", speakers.queue.length);
  const lowerAll = $("speaker-lower-all");
  if (lowerAll) lowerAll.classList.toggle("d-none", speakers.queue.length < 2);
  const toggle = $("speaker-toggle");
  if (toggle) {
    const mine = (current && current.user.id === me) || speakers.queue.some((r) => r.user.id === me);
    toggle.querySelector("span").textContent = mine ? t("oc_lower_hand") : t("oc_raise_hand");
    toggle.classList.toggle("btn-outline-primary", !mine);
    toggle.classList.toggle("btn-warning", mine);
    toggle.dataset.raised = mine ? "1" : "0";
    toggle.disabled = meetingStatus === "ended" || meetingStatus === "cancelled";
  }
}

async function chairAction(event, requestId) {
  try { speakers = (await App.emit(event, { request_id: requestId })).speakers; render(); } catch (err) { showError(err); }
}
const toggle = $("speaker-toggle");
if (toggle) {
  toggle.addEventListener("click", async () => {
    const event = toggle.dataset.raised === "1" ? "speakers:lower" : "speakers:raise";
    try { speakers = (await App.emit(event, { meeting_id: D.meeting_id })).speakers; render(); } catch (err) { showError(err); }
  });
}
const lowerAll = $("speaker-lower-all");
if (lowerAll) {
  lowerAll.addEventListener("click", async () => {
    try { speakers = (await App.emit("speakers:lower_all", { meeting_id: D.meeting_id })).speakers; render(); } catch (err) { showError(err); }
  });
}
function tickSpeaker() {
  const timer = $("speaker-current-timer");
  if (timer && speakers.current) timer.textContent = duration(secondsSince(speakers.current.granted_at));
}
everySecond(tickSpeaker);

room.on("speakers:updated", (s) => { speakers = s; render(); });
room.on("status", (status) => {
  meetingStatus = status && status.status ? status.status : status;
  render();
});

/** After a reconnect: the queue as it is now. */
export async function refresh() {
  speakers = await App.api("GET", base + "/speakers");
  render();
}

render();

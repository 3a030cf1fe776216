/* Recording the call (Janus mode): the chair's Ghi hình / Dừng ghi button (media:record), and for
 * everyone in the room the red "Đang ghi hình" badge while it records, so nobody is recorded unaware.
 * When the files are converted (media:recordings) a toast links to the meeting page that lists them. */
import { room } from "./hub.js";

const App = window.App;
const { t } = App;
const badge = document.getElementById("call-recording");
const button = document.getElementById("call-record");
let recording = !!(room.data.call && room.data.call.recording);

function render() {
  if (badge) badge.classList.toggle("d-none", !recording);
  if (!button) return;
  button.classList.toggle("d-none", room.status !== "live");
  button.setAttribute("aria-pressed", recording ? "true" : "false");
  button.classList.toggle("btn-danger", recording);
  button.classList.toggle("btn-outline-danger", !recording);
  const icon = document.createElement("i");
  icon.className = "bi bi-" + (recording ? "stop-circle-fill" : "record-circle");
  icon.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.className = "call-btn-label";
  label.textContent = recording ? t("call_record_stop") : t("call_record_start");
  button.replaceChildren(icon, label);
  button.title = label.textContent;
}

if (badge) {
  if (button) {
    button.addEventListener("click", () => {
      button.disabled = true;
      App.emit("media:record", { meeting_id: room.meetingId, on: !recording })
        .then((ack) => { recording = ack.recording; render(); })
        .catch((err) => { App.toast(err.message, "danger"); })
        .finally(() => { button.disabled = false; });
    });
  }
  room.on("media:recording", (r) => { recording = !!r.on; render(); });
  room.on("media:recordings", () => {
    App.toast(t("call_recordings_ready"), "success", "/meetings/" + room.meetingId + "#call-recordings");
  });
  room.on("status", (s) => {
    if (s.status !== "live") recording = false;
    render();
  });
  render();
}

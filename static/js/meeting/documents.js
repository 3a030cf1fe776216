/* Presenting a paper in the live room (templates/meetings/_room_documents.html, meetings/presenting.py).
 *
 * The presenter (chair, secretary, an agenda item's presenter) picks a document and presses "Trình chiếu":
 * document:present. Every page in the room opens it in its viewer and follows the presenter's page
 * (document:page) until document:stop. An attendee who turns a page themself reads on their own; the button
 * "Theo dõi người trình bày" brings them back to the presenter's page. On every join (also after a reconnect)
 * the page asks document:state, so a late joiner lands on the current page. */
import { room } from "./hub.js";
import { createViewer } from "./doc_viewer.js";

const App = window.App;
const t = App.t;
const dataEl = document.getElementById("room-documents-data");
const card = document.getElementById("present-card");

if (dataEl && card && App.socket) {
  const D = JSON.parse(dataEl.textContent);
  const statusEl = document.getElementById("present-status");
  const nameEl = document.getElementById("present-name");
  const viewerEl = document.getElementById("present-viewer");
  const followBtn = document.getElementById("present-follow");
  const startBtn = document.getElementById("present-start");
  const stopBtn = document.getElementById("present-stop");
  const select = document.getElementById("present-document");

  let current = null; // {document, page, presenter}
  let following = true;
  const iPresent = () => current && current.presenter && current.presenter.id === room.userId && D.can_present;

  const viewer = createViewer(viewerEl, {
    workerUrl: D.worker_url,
    fontsUrl: D.fonts_url,
    fitHeight: () => Math.max(window.innerHeight * 0.7, 320),
    onNavigate(page) {
      if (!current) return;
      if (iPresent()) {
        viewer.show(page);
        current.page = page;
        App.emit("document:page", { meeting_id: room.meetingId, document_id: current.document.id, page: page })
          .catch((err) => App.toast(err.message || t("doc_present_error"), "danger"));
        return;
      }
      following = false; // reading on one's own until "follow" is pressed
      viewer.show(page);
      render();
    },
  });
  let image = null;

  function render() {
    card.dataset.state = current ? (iPresent() ? "presenting" : following ? "following" : "away") : "idle";
    viewerEl.classList.toggle("d-none", !current);
    nameEl.classList.toggle("d-none", !current);
    nameEl.textContent = current ? current.document.name : "";
    if (!current) statusEl.textContent = "";
    else if (iPresent()) statusEl.textContent = t("doc_you_present");
    else statusEl.textContent = App.fmt("doc_presenting", { name: current.presenter.full_name }) + " · "
      + (following ? t("doc_following") : t("doc_away"));
    followBtn.classList.toggle("d-none", !current || following || iPresent());
    if (stopBtn) stopBtn.classList.toggle("d-none", !current);
    if (startBtn && select) {
      startBtn.disabled = false;
      if (current && Array.from(select.options).some((o) => Number(o.value) === current.document.id)) {
        select.value = String(current.document.id);
      }
    }
  }

  function showImage(doc) {
    viewer.close();
    if (!image) {
      image = App.el("img", "img-fluid d-block mx-auto doc-present-image");
      viewerEl.append(image);
    }
    image.alt = doc.name;
    image.src = doc.view_url;
    viewerEl.dataset.page = "1";
  }

  function apply(state) {
    const was = current;
    current = state && state.presenting ? state.presenting : null;
    if (!current) {
      viewer.close();
      if (image) { image.remove(); image = null; }
      render();
      if (was) App.toast(t("doc_stopped"), "info");
      return;
    }
    if (!was || was.document.id !== current.document.id) following = true; // a new presentation: follow it
    render();
    if (current.document.pdf) {
      if (image) { image.remove(); image = null; }
      if (following || viewer.url !== current.document.view_url) viewer.open(current.document.view_url, current.page);
    } else {
      showImage(current.document);
    }
  }

  function ask() {
    App.emit("document:state", { meeting_id: room.meetingId }).then(apply).catch(() => { /* next join */ });
  }

  room.on("joined", ask);
  room.on("document:present", apply);
  room.on("document:page", (p) => {
    if (!current || p.document_id !== current.document.id) { ask(); return; }
    current.page = p.page;
    if (following && !iPresent()) viewer.show(p.page);
  });
  room.on("document:stop", () => apply(null));
  room.on("status", (p) => { if (p.status === "ended" || p.status === "cancelled") apply(null); });

  followBtn.addEventListener("click", () => {
    following = true;
    render();
    if (current && current.document.pdf) viewer.open(current.document.view_url, current.page);
  });
  if (startBtn && select) {
    startBtn.addEventListener("click", () => {
      startBtn.disabled = true;
      App.emit("document:present", { meeting_id: room.meetingId, document_id: Number(select.value), page: 1 })
        .then(apply)
        .catch((err) => { startBtn.disabled = false; App.toast(err.message || t("doc_present_error"), "danger"); });
    });
  }
  if (stopBtn) {
    stopBtn.addEventListener("click", () => {
      App.emit("document:stop", { meeting_id: room.meetingId }).then(() => apply(null))
        .catch((err) => App.toast(err.message || t("doc_present_error"), "danger"));
    });
  }
  apply(D.state);
}

/* The call in the live room: the card, the grid of people, our microphone, camera and screen, the
 * chair's controls. Who is in the call comes from the room's socket (media:* events); the media go
 * through a transport: peer-to-peer (call_mesh.js) or Janus (call_sfu.js), as /media says.
 *
 * Muting, turning the camera off and changing devices swap the sent track (transport.replaceTrack).
 * After a socket reconnect the server has dropped us from the call: join again.
 * Test hooks: window.meetingCall.stats() (per person: decoded frames, audio bytes), .mode, and in the
 * mesh .peers, a Map of user id -> RTCPeerConnection. */
import { room } from "./hub.js";
import { createMesh } from "./call_mesh.js";
import { createSfu } from "./call_sfu.js";

const App = window.App;
const { t, fmt, el } = App;
const card = document.getElementById("call-card");
const me = room.userId;
const names = new Map((room.data.participants || []).map((p) => [p.id, p.full_name]));
const participant = names.has(me);  // a leader looking in uninvited hears no call (the server agrees)

const peers = new Map();  // user id -> {name, audio, video, stream, tile, unannounced}
let transport = null;     // the media: createMesh or createSfu, while in the call
let media = null;         // what /media said: mode, ice servers, (SFU) server, room and token
let publisherId = null;   // our call member id: our feed in the Janus room
window.meetingCall = {
  get peers() { return transport && transport.pcs ? transport.pcs : new Map(); },
  get mode() { return transport ? transport.mode : (media ? media.mode : null); },
  stats() { return transport ? transport.stats() : Promise.resolve({}); },
};

const local = { stream: null, audio: null, video: null, screen: null, micOn: true, camOn: true, videoAllowed: true };
let iceServers = [];
let inCall = false;      // joined, or joining
let rejoin = false;      // the socket dropped while in the call: join again once it is back
let closed = false;      // the room is closed to us (removed, meeting over)

const $ = (id) => document.getElementById(id);
const btnJoin = $("call-join");
const btnMic = $("call-mic");
const btnCam = $("call-camera");
const btnLeave = $("call-leave");
const btnScreen = $("call-screen");
const btnMuteAll = $("call-mute-all");
const btnDevices = $("call-devices-toggle");
const devicesBox = $("call-devices");
const selMic = $("call-mic-select");
const selCam = $("call-camera-select");
const gridEl = $("call-grid");
const messageEl = $("call-message");
const stateEl = $("call-state");
const outcomes = $("outcomes-data");
let floorUserId = floorOf(outcomes ? JSON.parse(outcomes.textContent).speakers : null);  // who has the floor

// the chair gave me the floor while my microphone is off: I turn it on myself (never without the click)
const floorEl = el("div", "alert alert-primary py-2 small mt-2 mb-0 call-floor-prompt d-none");
floorEl.setAttribute("role", "status");
const floorBtn = el("button", "btn btn-sm btn-primary");
floorBtn.type = "button";
floorBtn.setAttribute("data-testid", "media-floor-unmute");
floorEl.append(el("span", "call-floor-text"), floorBtn);
if (messageEl) messageEl.before(floorEl);  // no card once the meeting is over

// -- messages and controls -------------------------------------------------------------
function say(text, kind) {
  messageEl.textContent = text || "";
  messageEl.className = "alert py-2 small mt-2 mb-0 " + (text ? "alert-" + (kind || "info") : "d-none");
}

function setState(key) {
  stateEl.textContent = key ? t(key) : "";
  card.dataset.callState = key || "idle";
}

function renderControls() {
  const live = room.status === "live" && !closed;
  btnJoin.classList.toggle("d-none", inCall);
  btnJoin.disabled = !live || !participant;
  [btnMic, btnCam, btnLeave, btnDevices].forEach((b) => b.classList.toggle("d-none", !inCall));
  // presenting: a computer's browser can share its screen (phones cannot)
  btnScreen.classList.toggle("d-none", !inCall || !navigator.mediaDevices.getDisplayMedia);
  btnScreen.disabled = !local.videoAllowed;
  btnScreen.setAttribute("aria-pressed", local.screen ? "true" : "false");
  btnScreen.classList.toggle("btn-primary", !!local.screen);
  btnScreen.classList.toggle("btn-outline-secondary", !local.screen);
  setButton(btnScreen, "display", local.screen ? t("call_screen_stop") : t("call_screen_start"));
  if (btnMuteAll) btnMuteAll.classList.toggle("d-none", !inCall);
  if (!inCall) devicesBox.classList.add("d-none");
  const micOn = local.micOn && !!local.audio;
  btnMic.dataset.muted = micOn ? "0" : "1";
  btnMic.setAttribute("aria-pressed", micOn ? "false" : "true");
  btnMic.disabled = !local.audio || local.listening;
  btnMic.classList.toggle("btn-danger", !micOn);
  btnMic.classList.toggle("btn-outline-secondary", micOn);
  setButton(btnMic, micOn ? "mic-fill" : "mic-mute-fill", micOn ? t("call_mic_off") : t("call_mic_on"));
  const camOn = local.camOn && !!local.video;
  btnCam.dataset.off = camOn ? "0" : "1";
  btnCam.setAttribute("aria-pressed", camOn ? "false" : "true");
  btnCam.disabled = !local.videoAllowed;
  btnCam.classList.toggle("btn-danger", !camOn && local.videoAllowed);
  btnCam.classList.toggle("btn-outline-secondary", camOn || !local.videoAllowed);
  setButton(btnCam, camOn ? "camera-video-fill" : "camera-video-off-fill", camOn ? t("call_camera_off") : t("call_camera_on"));
  renderFloor();
  if (inCall || closed) return;  // a closing message stays
  if (!participant) say(t("call_not_participant"), "secondary");
  else if (!live) say(room.status === "scheduled" ? t("call_not_live") : "", "secondary");
}

// -- the spotlight: whoever has the floor (the speaker queue), else whoever presents their screen, else the
// chair once three or more are in the call; offered an unmute if the floor is mine ----------------------
const chairId = (room.data.participants || []).filter((p) => p.role === "chair").map((p) => p.id)[0];

function floorOf(speakers) {
  return speakers && speakers.current && speakers.current.user ? Number(speakers.current.user.id) : null;
}

/** [user id, reason] of the spotlit tile, or [null, null]. */
function spotlight() {
  const inGrid = (id) => !!gridEl.querySelector(`.call-tile[data-user-id="${id}"]`);
  if (floorUserId !== null && inGrid(floorUserId)) return [floorUserId, "floor"];
  if (local.screen) return [me, "presenting"];
  const presenter = Array.from(peers.entries()).find(([, p]) => p.screen);
  if (presenter) return [presenter[0], "presenting"];
  if (chairId !== undefined && inGrid(chairId) && gridEl.children.length >= 3) return [chairId, "chair"];
  return [null, null];
}

const SPOTLIGHT_LABELS = { floor: ["mic-fill", "call_floor_label"], presenting: ["display", "call_presenting_label"],
  chair: ["person-badge", "call_chair_label"] };

function renderFloor() {
  const [spot, reason] = spotlight();
  gridEl.querySelectorAll(".call-tile").forEach((tile) => {
    const on = Number(tile.dataset.userId) === spot;
    tile.classList.toggle("is-spotlight", on);
    tile.classList.toggle("is-floor", on && reason === "floor");
    if (on && tile.dataset.spotlight !== reason) {
      const [icon, key] = SPOTLIGHT_LABELS[reason];
      const i = el("i", "bi bi-" + icon);
      i.setAttribute("aria-hidden", "true");
      tile.querySelector(".call-floor-badge").replaceChildren(i, el("span", "", t(key)));
    }
    tile.dataset.spotlight = on ? reason : "";
  });
  const ask = inCall && floorUserId === me && !!local.audio && !local.micOn;
  floorEl.querySelector(".call-floor-text").textContent = t("call_floor_prompt");
  setButton(floorBtn, "mic-fill", t("call_mic_on"));
  floorEl.classList.toggle("d-none", !ask);
}

function setButton(btn, iconName, label) {
  const i = el("i", "bi bi-" + iconName);
  i.setAttribute("aria-hidden", "true");
  btn.replaceChildren(i, el("span", "call-btn-label", label));
  btn.title = label;
}

// -- tiles -------------------------------------------------------------------------------
function initials(name) {
  const words = String(name || "?").trim().split(/\s+/);
  return (words.length > 1 ? words[words.length - 2][0] + words[words.length - 1][0] : words[0].slice(0, 2)).toUpperCase();
}

function makeTile(userId, name, mine) {
  const tile = el("div", "call-tile" + (mine ? " is-me" : ""));
  tile.dataset.userId = String(userId);
  const video = el("video", "call-video");
  // a shared screen or a wide camera is shown whole; a phone's portrait tile crops a camera picture
  video.addEventListener("resize", () => {
    tile.classList.toggle("is-wide", video.videoWidth > 1.4 * video.videoHeight);
  });
  video.autoplay = true;
  video.playsInline = true;
  if (mine) video.muted = true;  // never hear oneself
  const avatar = el("div", "call-avatar", initials(name));
  avatar.setAttribute("aria-hidden", "true");
  const label = el("div", "call-name");
  const micIcon = el("i", "bi bi-mic-mute-fill call-muted-icon");
  micIcon.title = t("call_muted");
  label.append(micIcon, el("span", "text-truncate", mine ? fmt("call_you", { name: name }) : name));
  tile.append(video, avatar, label, el("div", "call-floor-badge"));
  if (!mine && room.perms.is_chair) {
    const tools = el("div", "call-tile-tools d-flex gap-1");
    tools.append(
      chairButton(userId, name, "audio", "mic-mute", "media-mute-", "call_mute_one"),
      chairButton(userId, name, "video", "camera-video-off", "media-stop-video-", "call_stop_video_one"),
    );
    tile.append(tools);
  }
  if (mine) gridEl.prepend(tile); else gridEl.append(tile);
  layoutGrid();
  renderFloor();
  return tile;
}

/** A chair's button on a tile: turn that person's microphone or camera off. */
function chairButton(userId, name, kind, iconName, testid, key) {
  const btn = el("button", "btn btn-sm btn-dark");
  btn.type = "button";
  btn.setAttribute("data-testid", testid + userId);
  btn.title = t(key);
  btn.setAttribute("aria-label", t(key) + ": " + name);
  const i = el("i", "bi bi-" + iconName);
  i.setAttribute("aria-hidden", "true");
  btn.append(i);
  btn.addEventListener("click", () => { muteOthers(userId, kind); });
  return btn;
}

function showTileState(tile, audio, video) {
  if (!tile) return;
  tile.classList.toggle("mic-off", !audio);
  tile.classList.toggle("cam-off", !video);
}

function attach(tile, stream) {
  const video = tile.querySelector("video");
  if (video.srcObject !== stream) video.srcObject = stream;
  const p = video.play();
  if (p && p.catch) p.catch(() => { /* autoplay waits for the next gesture */ });
}

function layoutGrid() {
  const n = gridEl.children.length;
  gridEl.dataset.count = String(n);
  gridEl.classList.toggle("call-grid-many", n > 4);  // a phone fits three small tiles a row
  gridEl.classList.toggle("d-none", n === 0);
}

// -- local media -------------------------------------------------------------------------------
async function openMedia(kind, deviceId) {
  const constraints = kind === "audio"
    ? { echoCancellation: true, noiseSuppression: true }
    : { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
  if (deviceId) { constraints.deviceId = { exact: deviceId }; delete constraints.facingMode; }
  try {
    const s = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    return s.getTracks()[0];
  } catch {
    return null;
  }
}

function localStream() {
  if (!local.stream) local.stream = new MediaStream();
  const shown = [local.audio, local.screen || local.video];
  local.stream.getTracks().forEach((tr) => { if (!shown.includes(tr)) local.stream.removeTrack(tr); });
  [local.audio, local.screen || local.video].forEach((tr) => {
    if (tr && !local.stream.getTracks().includes(tr)) local.stream.addTrack(tr);
  });
  return local.stream;
}

/** The track each peer gets now: none while muted or off. */
function sending(kind) {
  if (kind === "audio") return local.micOn ? local.audio : null;
  if (!local.videoAllowed) return null;
  return local.screen || (local.camOn ? local.video : null);
}

function replaceEverywhere(kind) {
  if (transport) transport.replaceTrack(kind);
}

function sendState() {
  if (!inCall || !room.socket || !room.socket.connected) return;
  const payload = Object.assign({ meeting_id: room.meetingId, audio: !!sending("audio"), video: !!sending("video"),
    screen: !!local.screen && !!sending("video") },
    transport ? transport.mids() : {});
  App.emit("media:state", payload).catch(() => {});
  const mine = gridEl.querySelector(".call-tile.is-me");
  showTileState(mine, payload.audio, payload.video);
}

async function fillDevices() {
  let devices;
  try { devices = await navigator.mediaDevices.enumerateDevices(); } catch { return; }
  fillSelect(selMic, devices.filter((d) => d.kind === "audioinput"), local.audio, "call_mic_n");
  fillSelect(selCam, devices.filter((d) => d.kind === "videoinput"), local.video, "call_camera_n");
}

function fillSelect(select, devices, track, key) {
  const current = track && track.getSettings ? track.getSettings().deviceId : "";
  select.replaceChildren(...devices.map((d, i) => {
    const o = el("option", "", d.label || fmt(key, { n: i + 1 }));
    o.value = d.deviceId;
    o.selected = d.deviceId === current;
    return o;
  }));
  select.disabled = devices.length < 2;
}

async function switchDevice(kind, deviceId) {
  const track = await openMedia(kind, deviceId);
  if (!track) { App.toast(t("call_device_failed"), "danger"); return; }
  const old = local[kind];
  local[kind] = track;
  if (kind === "audio") track.enabled = local.micOn;
  if (old) old.stop();
  localStream();
  replaceEverywhere(kind);
  if (kind === "audio") speaker.watch(me, localStream());
}

// -- the active speaker: the loudest voice, by the audio level of each stream ----------------
const speaker = {
  ctx: null, meters: new Map(), timer: null,
  watch(userId, stream) {
    if (!window.AudioContext || !stream.getAudioTracks().length) return;
    if (!this.ctx) this.ctx = new AudioContext();
    this.unwatch(userId);
    const source = this.ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    this.meters.set(userId, { source, analyser, data: new Uint8Array(analyser.fftSize) });
    if (!this.timer) this.timer = setInterval(() => this.tick(), 300);
  },
  unwatch(userId) {
    const m = this.meters.get(userId);
    if (m) { m.source.disconnect(); this.meters.delete(userId); }
  },
  tick() {
    let best = null;
    let bestLevel = 0.02;  // below this, silence: nobody is highlighted
    this.meters.forEach((m, userId) => {
      m.analyser.getByteTimeDomainData(m.data);
      let sum = 0;
      for (const v of m.data) sum += ((v - 128) / 128) ** 2;
      const level = Math.sqrt(sum / m.data.length);
      const muted = userId === me ? !local.micOn : (peers.get(userId) && !peers.get(userId).audio);
      if (!muted && level > bestLevel) { best = userId; bestLevel = level; }
    });
    gridEl.querySelectorAll(".call-tile").forEach((tile) => {
      tile.classList.toggle("is-speaking", Number(tile.dataset.userId) === best);
    });
  },
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.meters.forEach((m) => m.source.disconnect());
    this.meters.clear();
    if (this.ctx) { this.ctx.close().catch(() => {}); this.ctx = null; }
  },
};

// -- peers: a tile and a stream per person; the transport brings their tracks -----------------------------
function addPeer(userId, name, audio, video, screen) {
  dropPeer(userId);
  const p = { name: name || names.get(userId) || "", audio: audio !== false, video: video !== false, screen: !!screen,
    stream: new MediaStream() };
  peers.set(userId, p);
  p.tile = makeTile(userId, p.name, false);
  showTileState(p.tile, p.audio, p.video);
  return p;
}

function dropPeer(userId) {
  const p = peers.get(userId);
  if (!p) return;
  if (transport) transport.peerLeft(userId);
  speaker.unwatch(userId);
  p.tile.remove();
  peers.delete(userId);
  layoutGrid();
  renderFloor();
}

/** What the transports get from the page. */
const callbacks = {
  meetingId: room.meetingId,
  userId: me,
  get sfu() { return media && media.sfu; },
  emit(event, payload) {
    if (room.socket && room.socket.connected) App.emit(event, payload).catch(() => {});
  },
  iceServers: () => iceServers,
  sending,
  localStream,
  localTrack(kind) { return kind === "audio" ? local.audio : (local.videoAllowed ? local.screen || local.video : null); },
  publisherId: () => publisherId,
  remoteTrack(userId, track) {
    const p = peers.get(userId);
    if (!p) return;
    p.stream.getTracks().filter((t) => t.kind === track.kind).forEach((t) => p.stream.removeTrack(t));
    p.stream.addTrack(track);
    attach(p.tile, p.stream);
    if (track.kind === "audio") speaker.watch(userId, p.stream);
    track.addEventListener("ended", () => { p.stream.removeTrack(track); });
  },
  remoteTrackGone(userId, track) {
    const p = peers.get(userId);
    if (p) p.stream.removeTrack(track);
  },
  connection(userId, state) {
    const p = peers.get(userId);
    if (p) p.tile.dataset.connection = state;
  },
  published() { sendState(); },
  sendingAll() { replaceEverywhere("audio"); replaceEverywhere("video"); },
  listeningOnly() {  // Janus has as many publishers as the room carries: we see and hear, nobody hears us
    local.listening = true;
    local.micOn = false;
    cameraOff();
    renderControls();
    sendState();
    say(t("call_listening_only"), "warning");
  },
  failed(message) {
    if (!inCall) return;
    if (room.socket && room.socket.connected) App.emit("media:leave", { meeting_id: room.meetingId }).catch(() => {});
    teardown(message ? t("call_server_lost") : t("call_ended_meeting_over"));
  },
};

function onSignal(msg) {
  if (!inCall || !transport) return;
  transport.onSignal(msg, (from) => {
    addPeer(from, null, true, true).unannounced = true;  // their offer overtook media:peer_joined
    return true;
  });
}

// -- joining and leaving ----------------------------------------------------------------------------------
/** /media: the mode, the ICE servers and (SFU) a token for this join. False when we cannot join. */
async function fetchMedia() {
  try {
    media = await App.api("GET", "/api/v1/meetings/" + room.meetingId + "/media");
  } catch (err) {
    fail(err.status === 404 ? t("call_not_participant") : err.message);
    return false;
  }
  if (!media.live) { fail(t("call_not_live"), "secondary"); return false; }
  iceServers = media.ice_servers || [];
  return true;
}

async function join() {
  if (inCall || closed) return;
  inCall = true;
  btnJoin.disabled = true;
  setState("call_connecting");
  say("");
  if (!await fetchMedia()) return;
  if (!local.audio && !local.video) {
    local.audio = await openMedia("audio");
    local.video = await openMedia("video");
    local.micOn = true;
    local.camOn = !!local.video;
  }
  if (!inCall) { stopLocal(); return; }  // left while the browser asked for the devices
  enterCall();
}

function fail(text, kind) {
  inCall = false;
  setState(null);
  renderControls();
  say(text, kind || "warning");
}

/** Announce ourselves (media:join) with the media we have; offer to everyone already in the call. */
function enterCall() {
  const payload = { meeting_id: room.meetingId, audio: !!sending("audio"), video: !!local.video && local.camOn };
  if (media.sfu) payload.token = media.sfu.token;
  App.emit("media:join", payload).then((ack) => {
    if (!inCall) {  // left meanwhile: out of the call again
      App.emit("media:leave", { meeting_id: room.meetingId }).catch(() => {});
      return;
    }
    iceServers = ack.ice_servers || iceServers;
    publisherId = ack.publisher_id;
    local.videoAllowed = ack.video_allowed !== false;
    const notes = [];
    if (!local.videoAllowed) {
      cameraOff();
      notes.push(fmt("call_audio_only", { n: ack.video_limit }));
    }
    if (!local.audio && !local.video) notes.push(t("call_no_devices"));
    else if (!local.audio) notes.push(t("call_no_mic"));
    else if (!local.video && local.videoAllowed) notes.push(t("call_no_camera"));
    say(notes.join(" "), "warning");
    const mine = gridEl.querySelector(".call-tile.is-me") || makeTile(me, names.get(me) || t("meeting_you"), true);
    attach(mine, localStream());
    speaker.watch(me, localStream());
    setState("call_in_call");
    renderControls();
    sendState();
    (ack.peers || []).forEach((peer) => { addPeer(peer.user_id, peer.full_name, peer.audio, peer.video, peer.screen); });
    transport = media.mode === "sfu" ? createSfu(callbacks) : createMesh(callbacks);
    transport.start(ack);
    fillDevices();
  }).catch((err) => {
    const code = err.ack && err.ack.error;
    stopLocal();
    fail(code === "not_found" ? t("call_not_participant") : err.message);
  });
}

function dropAllPeers() {
  if (transport) transport.stop();
  transport = null;
  Array.from(peers.keys()).forEach(dropPeer);
}

function stopLocal() {
  [local.audio, local.video, local.screen].forEach((tr) => { if (tr) tr.stop(); });
  local.audio = local.video = local.screen = local.stream = null;
  local.micOn = local.camOn = local.videoAllowed = true;
  local.listening = false;
  speaker.stop();
  gridEl.replaceChildren();
  layoutGrid();
}

/** Out of the call: every connection closed, the camera and microphone released. */
function teardown(message, kind) {
  inCall = false;
  rejoin = false;
  dropAllPeers();
  stopLocal();
  setState(null);
  renderControls();
  if (message) say(message, kind || "warning");  // also to those not in the call: the card says why it is shut
}

function leave() {
  if (inCall && room.socket && room.socket.connected) {
    App.emit("media:leave", { meeting_id: room.meetingId }).catch(() => {});
  }
  teardown();
  say("");
}

// -- presenting: the screen goes out in place of the camera (replaceTrack), back to it when stopped ----
async function toggleScreen() {
  if (local.screen) { stopScreen(); return; }
  let track;
  try {
    const s = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10, max: 15 } }, audio: false });
    track = s.getVideoTracks()[0];
  } catch (err) {
    if (err && err.name !== "NotAllowedError") App.toast(t("call_screen_failed"), "danger");  // not a "cancel"
    return;
  }
  if (!inCall) { track.stop(); return; }
  track.contentHint = "detail";  // text on slides stays sharp rather than smooth
  track.onended = stopScreen;    // the browser's own "Stop sharing"
  local.screen = track;
  showOwnVideo();
}

/** The camera released (its light goes out); the peers get no frames from it. */
function cameraOff() {
  local.camOn = false;
  if (local.video) local.video.stop();
  local.video = null;
}

function stopScreen() {
  if (!local.screen) return;
  local.screen.onended = null;
  local.screen.stop();
  local.screen = null;
  showOwnVideo();
}

/** The own tile and every peer get the current video: the screen, the camera, or none. */
function showOwnVideo() {
  localStream();
  replaceEverywhere("video");
  const mine = gridEl.querySelector(".call-tile.is-me");
  if (mine) {
    mine.classList.toggle("is-presenting", !!local.screen);
    attach(mine, localStream());
  }
  sendState();
  renderControls();
}

// -- the chair: mute one or everyone ----------------------------------------------------------------
function muteOthers(userId, kind) {
  const payload = { meeting_id: room.meetingId, kind: kind };
  if (userId) payload.user_id = userId;
  const name = userId ? (peers.get(userId) || {}).name || "" : "";
  App.emit("media:mute", payload).then(() => {
    if (!userId) App.toast(t("call_muted_all"), "success");
    else App.toast(fmt(kind === "video" ? "call_stopped_video_one" : "call_muted_one", { name: name }), "success");
  }).catch((err) => { App.toast(err.message, "danger"); });
}

// -- wiring ---------------------------------------------------------------------------------------------
if (card && room.socket && window.RTCPeerConnection && navigator.mediaDevices) {
  btnJoin.addEventListener("click", join);
  btnLeave.addEventListener("click", leave);
  const setMic = (on) => {
    local.micOn = on;
    if (local.audio) local.audio.enabled = local.micOn;
    replaceEverywhere("audio");
    sendState();
    renderControls();
  };
  btnMic.addEventListener("click", () => { setMic(!local.micOn); });
  floorBtn.addEventListener("click", () => { if (inCall && !local.micOn) setMic(true); });
  room.on("speakers:updated", (s) => { floorUserId = floorOf(s); renderFloor(); });
  btnCam.addEventListener("click", async () => {
    if (local.camOn && local.video) {
      cameraOff();
    } else {
      btnCam.disabled = true;
      local.video = await openMedia("video", selCam.value || undefined);
      local.camOn = !!local.video;
      if (!local.video) App.toast(t("call_device_failed"), "danger");
    }
    showOwnVideo();
  });
  btnScreen.addEventListener("click", toggleScreen);
  btnDevices.addEventListener("click", () => {
    devicesBox.classList.toggle("d-none");
    btnDevices.setAttribute("aria-expanded", devicesBox.classList.contains("d-none") ? "false" : "true");
    fillDevices();
  });
  selMic.addEventListener("change", () => { switchDevice("audio", selMic.value); });
  selCam.addEventListener("change", () => {
    if (local.camOn) switchDevice("video", selCam.value).then(() => {
      const mine = gridEl.querySelector(".call-tile.is-me");
      if (mine) attach(mine, localStream());
    });
  });
  if (btnMuteAll) btnMuteAll.addEventListener("click", () => { muteOthers(null, "audio"); });

  room.on("media:peer_joined", (p) => {
    const id = Number(p.user_id);
    if (!inCall || id === me) return;
    names.set(id, p.full_name);
    const known = peers.get(id);
    if (known && known.unannounced) {
      known.unannounced = false;
      known.name = p.full_name;
      known.tile.querySelector(".call-name .text-truncate").textContent = p.full_name;
      return;
    }
    addPeer(id, p.full_name, p.audio, p.video, p.screen);  // a new (or rejoining) member
    if (transport) transport.peerJoined(p);
  });
  room.on("media:signal", onSignal);
  room.on("media:peer_state", (s) => {
    const p = peers.get(Number(s.user_id));
    if (!p) return;
    p.audio = !!s.audio;
    p.video = !!s.video;
    p.screen = !!s.screen;
    showTileState(p.tile, p.audio, p.video);
    renderFloor();
  });
  room.on("media:peer_left", (p) => { dropPeer(Number(p.user_id)); });
  room.on("media:muted", (m) => {
    if (!inCall) return;
    if (m.kind === "video") {
      cameraOff();
      stopScreen();
      showOwnVideo();
    } else if (m.kind === "audio") {
      local.micOn = false;
      if (local.audio) local.audio.enabled = false;
      replaceEverywhere("audio");
    }
    sendState();
    renderControls();
    say(m.kind === "video" ? t("call_chair_stopped_video") : t("call_chair_muted_you"), "info");
  });
  room.on("media:ended", (e) => {
    const reason = e && e.reason;
    teardown(t("call_ended_" + reason) !== "call_ended_" + reason ? t("call_ended_" + reason) : t("call_ended_meeting_over"));
  });
  room.on("meeting:removed", () => { closed = true; teardown(t("call_ended_removed")); });
  room.on("status", (s) => {
    if (s.status === "ended" || s.status === "cancelled") {
      closed = true;
      teardown(t("call_ended_meeting_over"), "secondary");
    }
    if (s.status === "live" && !inCall) say("");
    renderControls();
  });
  // the server drops a disconnected socket from the call (peers get media:peer_left): we rejoin
  room.socket.on("disconnect", () => {
    if (!inCall) return;
    rejoin = true;
    dropAllPeers();
    setState("call_reconnecting");
  });
  room.on("joined", async () => {
    if (!rejoin || !inCall) return;
    rejoin = false;
    setState("call_connecting");
    if (await fetchMedia()) enterCall();  // a new token: the server took the old one back
    // a turn given or ended while we were offline
    App.api("GET", "/api/v1/meetings/" + room.meetingId + "/speakers").then((s) => {
      floorUserId = floorOf(s);
      renderFloor();
    }).catch(() => {});
  });
  window.addEventListener("pagehide", () => {
    if (inCall && room.socket.connected) room.socket.emit("media:leave", { meeting_id: room.meetingId });
    teardown();
  });
  renderControls();
} else if (card) {
  btnJoin.disabled = true;
  say(t("call_unsupported"), "secondary");
}

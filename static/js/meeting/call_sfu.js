/* The call through Janus (MEDIA_SFU_URL set): each browser sends its microphone and camera once, to the
 * meeting's VideoRoom, and receives everyone else's on one subscriber connection. janus.js (vendored)
 * speaks the Janus API; the app stays the authority: /media gives the server, the room and a token that
 * only this room accepts, the media:* events keep who is in the call, and the chair's mute is held in
 * Janus by the server.
 *
 * Our publisher id in the room is the call member id the app gave us (publisher_id), so every feed maps
 * to a person. Muting and turning the camera off swap the sent track (replaceTrack); a track that was
 * not published at first (no camera at join) is added by renegotiating. */

/**
 * @param {object} call what the call page gives every transport (see call_mesh.js), plus sfu: {url, room,
 *   token} from /media, userId, and failed(message) for a connection that cannot be made or is lost
 */
export function createSfu(call) {
  const feeds = new Map();     // publisher id -> user id (from the app: ack peers, media:peer_joined)
  const midFeed = new Map();   // subscriber mid -> publisher id
  const subscribed = new Set();  // "feed/mid" already asked for
  const early = new Map();     // publisher id -> tracks that came before the app said whose feed it is
  let janus = null;
  let pub = null;              // our publisher handle
  let sub = null;              // the subscriber handle (one for all feeds)
  let subJoining = false;
  let pending = [];            // streams to subscribe once the subscriber handle exists
  let privateId = null;
  let stopped = false;
  let listening = false;       // the room is full of publishers: we only listen

  function userOfMid(mid) {
    const feed = midFeed.get(mid);
    return feed === undefined ? undefined : feeds.get(feed);
  }

  // -- the connection to Janus ---------------------------------------------------------------------
  function connect(ack) {
    Janus.init({
      debug: false,
      dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
      callback: () => {
        janus = new Janus({
          server: call.sfu.url,
          token: call.sfu.token,
          iceServers: call.iceServers(),
          success: () => attachPublisher(ack),
          error: (err) => { if (!stopped) call.failed(String(err)); },
          destroyed: () => {},
        });
      },
    });
  }

  function attachPublisher(ack) {
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: (handle) => {
        pub = handle;
        pub.send({ message: { request: "join", ptype: "publisher", room: call.sfu.room, id: ack.publisher_id,
          display: String(call.userId), token: call.sfu.token } });
      },
      error: (err) => call.failed(String(err)),
      onmessage: onPublisherMessage,
      onlocaltrack: () => {},
      onremotetrack: () => {},
      webrtcState: (on) => { if (on) call.published(mids()); },
    });
  }

  function onPublisherMessage(msg, jsep) {
    if (jsep) pub.handleRemoteJsep({ jsep: jsep });
    const event = msg.videoroom;
    if (event === "joined") {
      privateId = msg.private_id;
      publish();
      offerStreams(msg.publishers);
    } else if (event === "event") {
      if (msg.publishers) offerStreams(msg.publishers);
      if (msg.error_code === 432) {  // the room's publisher cap: listen only
        listening = true;
        pub.hangup();  // the offer Janus refused: its connection goes, the subscriber stays
        call.listeningOnly();
      } else if (msg.error && !stopped) {
        console.warn("call: Janus", msg.error_code, msg.error);
      }
    } else if (event === "destroyed") {
      if (!stopped) call.failed(null);
    }
  }

  /** Send what we have: the microphone and the camera (or screen), each on its own m-line. */
  function publish() {
    const tracks = [];
    const audio = call.localTrack("audio");
    const video = call.localTrack("video");
    // dontStop: the tracks are ours (the own tile shows them; a rejoin reuses them)
    if (audio) tracks.push({ type: "audio", capture: audio, recv: false, dontStop: true });
    if (video) tracks.push({ type: "video", capture: video, recv: false, dontStop: true });
    if (!tracks.length) return;  // nothing to send: we listen
    pub.createOffer({
      tracks: tracks,
      success: (offer) => {
        pub.send({ message: { request: "configure", audio: !!audio, video: !!video }, jsep: offer });
        call.sendingAll();  // apply mute and camera state to the new senders
      },
      error: (err) => { console.warn("call: publish", err); },
    });
  }

  // -- receiving: one subscriber handle for every feed ---------------------------------------------------
  function offerStreams(publishers) {
    const wanted = [];
    (publishers || []).forEach((p) => {
      if (p.dummy || p.id === call.publisherId()) return;
      (p.streams || []).forEach((s) => {
        const key = p.id + "/" + s.mid;
        if (s.disabled || subscribed.has(key)) return;
        subscribed.add(key);
        wanted.push({ feed: p.id, mid: s.mid });
      });
    });
    if (!wanted.length) return;
    if (sub && !subJoining) sub.send({ message: { request: "update", subscribe: wanted } });
    else pending = pending.concat(wanted);
    if (!sub && !subJoining) attachSubscriber();
  }

  function attachSubscriber() {
    subJoining = true;
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: (handle) => {
        sub = handle;
        const streams = pending;
        pending = [];
        sub.send({ message: { request: "join", ptype: "subscriber", room: call.sfu.room, streams: streams,
          private_id: privateId, token: call.sfu.token } });
      },
      error: (err) => { subJoining = false; console.warn("call: subscribe", err); },
      onmessage: (msg, jsep) => {
        if (msg.videoroom === "attached" || msg.videoroom === "updated") {
          subJoining = false;
          if (pending.length) {
            sub.send({ message: { request: "update", subscribe: pending } });
            pending = [];
          }
        }
        (msg.streams || []).forEach((s) => {
          if (s.feed_id !== undefined) midFeed.set(s.mid, s.feed_id);
        });
        if (jsep) {
          sub.createAnswer({
            jsep: jsep,
            tracks: [{ type: "data" }],
            success: (answer) => { sub.send({ message: { request: "start", room: call.sfu.room }, jsep: answer }); },
            error: (err) => { console.warn("call: subscriber answer", err); },
          });
        }
      },
      onremotetrack: (track, mid, on) => {
        const userId = userOfMid(mid);
        if (userId === undefined) {  // Janus announced the feed before the app's media:peer_joined came
          const feed = midFeed.get(mid);
          if (on && feed !== undefined) early.set(feed, (early.get(feed) || []).concat([track]));
          return;
        }
        if (on) call.remoteTrack(userId, track);
        else call.remoteTrackGone(userId, track);
      },
      iceState: (state) => {
        midFeed.forEach((feed) => { const u = feeds.get(feed); if (u !== undefined) call.connection(u, state); });
      },
    });
  }

  /** A feed that left: forget its streams so a rejoin (a new publisher id) is asked for afresh. */
  function forgetFeed(feed) {
    Array.from(subscribed).forEach((key) => { if (key.startsWith(feed + "/")) subscribed.delete(key); });
    Array.from(midFeed).forEach(([mid, f]) => { if (f === feed) midFeed.delete(mid); });
  }

  // -- sending: our transceivers, found by kind ---------------------------------------------------------
  function transceivers() {
    const pc = pub && pub.webrtcStuff && pub.webrtcStuff.pc;
    return pc ? pc.getTransceivers().filter((t) => !t.stopped && t.sender) : [];
  }

  function transceiverOf(kind) {
    return transceivers().find((t) => t.receiver && t.receiver.track && t.receiver.track.kind === kind);
  }

  function mids() {
    const out = {};
    ["audio", "video"].forEach((kind) => {
      const t = transceiverOf(kind);
      if (t && t.mid !== null) out[kind + "_mid"] = t.mid;
    });
    return out;
  }

  function replaceTrack(kind) {
    const track = call.sending(kind);
    const t = transceiverOf(kind);
    if (t) {
      t.sender.replaceTrack(track).catch(() => {});
    } else if (track && pub && !listening && pub.webrtcStuff && pub.webrtcStuff.pc) {
      // not published at first (no camera or microphone at join): add it by renegotiating
      pub.createOffer({
        tracks: [{ type: kind, capture: track, recv: false, add: true, dontStop: true }],
        success: (offer) => { pub.send({ message: { request: "configure", [kind]: true }, jsep: offer }); },
        error: (err) => { console.warn("call: add", kind, err); },
      });
    }
  }

  async function stats() {
    const out = {};
    const pc = sub && sub.webrtcStuff && sub.webrtcStuff.pc;
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      const userId = userOfMid(s.mid);
      if (userId === undefined) return;
      const r = out[userId] || (out[userId] = { state: pc.connectionState, frames: 0, audio: 0, width: 0 });
      if (s.kind === "video") {
        r.frames += s.framesDecoded || 0;
        r.width = s.frameWidth || r.width;
      }
      if (s.kind === "audio") r.audio += s.bytesReceived || 0;
    });
    return out;
  }

  return {
    mode: "sfu",
    start(ack) {
      (ack.peers || []).forEach((p) => feeds.set(p.publisher_id, p.user_id));
      connect(ack);
    },
    peerJoined(peer) {
      feeds.set(peer.publisher_id, peer.user_id);
      (early.get(peer.publisher_id) || []).forEach((track) => call.remoteTrack(peer.user_id, track));
      early.delete(peer.publisher_id);
    },
    peerLeft(userId) {
      Array.from(feeds).forEach(([feed, u]) => { if (u === userId) { feeds.delete(feed); forgetFeed(feed); } });
    },
    onSignal() {},
    replaceTrack,
    mids,
    stop() {
      stopped = true;
      if (janus) janus.destroy({ cleanupHandles: true, notifyDestroyed: false });
      janus = pub = sub = null;
    },
    stats,
  };
}

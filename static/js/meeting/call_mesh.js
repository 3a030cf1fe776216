/* The call's peer-to-peer mesh (no MEDIA_SFU_URL): one RTCPeerConnection per peer, signalled over the
 * room's socket (media:signal; the server relays only between members of this call).
 *
 * The one who joins offers to every peer already in the call; those only answer (no glare). ICE
 * candidates wait until the remote description is set. Muting, turning the camera off and changing
 * devices swap the sent track (RTCRtpSender.replaceTrack): no renegotiation. */

/**
 * @param {object} call what the call page gives every transport: meetingId, emit(event, payload),
 *   iceServers(), sending(kind), localStream(), remoteTrack(userId, track), connection(userId, state)
 */
export function createMesh(call) {
  const pcs = new Map();    // user id -> RTCPeerConnection
  const links = new Map();  // user id -> {pc, queue, chain, offerer, unannounced}

  function signal(userId, body) {
    call.emit("media:signal", Object.assign({ meeting_id: call.meetingId, to_user_id: userId }, body));
  }

  function transceiverKind(tr) {
    return tr.receiver && tr.receiver.track ? tr.receiver.track.kind : null;
  }

  function connect(userId, offerer) {
    disconnect(userId);
    const pc = new RTCPeerConnection({ iceServers: call.iceServers() });
    const link = { pc, offerer, queue: [], chain: Promise.resolve() };
    pc.onicecandidate = (e) => { if (e.candidate) signal(userId, { candidate: e.candidate.toJSON() }); };
    pc.ontrack = (e) => { call.remoteTrack(userId, e.track); };
    pc.onconnectionstatechange = () => {
      call.connection(userId, pc.connectionState);
      // the offerer restarts ICE when the path is lost (a network change, a NAT timeout)
      if (pc.connectionState === "failed" && link.offerer) offer(userId, true);
    };
    links.set(userId, link);
    pcs.set(userId, pc);
    if (offerer) offer(userId, false);
    return link;
  }

  function disconnect(userId) {
    const link = links.get(userId);
    if (!link) return;
    link.pc.onicecandidate = link.pc.ontrack = link.pc.onconnectionstatechange = null;
    link.pc.close();
    links.delete(userId);
    pcs.delete(userId);
  }

  /** Our tracks on a connection's transceivers (made by us as offerer, or by the offer). */
  function sendOn(pc) {
    const stream = call.localStream();
    pc.getTransceivers().forEach((tr) => {
      const kind = transceiverKind(tr);
      if (!kind || tr.stopped) return;
      tr.direction = "sendrecv";
      tr.sender.replaceTrack(call.sending(kind)).catch(() => {});
      if (tr.sender.setStreams) tr.sender.setStreams(stream);
    });
  }

  function offer(userId, restart) {
    const link = links.get(userId);
    if (!link) return;
    link.chain = link.chain.then(async () => {
      if (!restart) {
        link.pc.addTransceiver("audio", { direction: "sendrecv" });
        link.pc.addTransceiver("video", { direction: "sendrecv" });
        sendOn(link.pc);
      }
      const desc = await link.pc.createOffer(restart ? { iceRestart: true } : undefined);
      await link.pc.setLocalDescription(desc);
      signal(userId, { description: { type: link.pc.localDescription.type, sdp: link.pc.localDescription.sdp } });
    }).catch((e) => { console.warn("call: offer to", userId, e); });
  }

  function onSignal(msg, accept) {
    const from = Number(msg.from_user_id);
    let link = links.get(from);
    if (!link) {
      if (!msg.description || msg.description.type !== "offer" || !accept(from)) return;  // stale
      link = connect(from, false);
    }
    const pc = link.pc;
    link.chain = link.chain.then(async () => {
      if (msg.description) {
        await pc.setRemoteDescription(msg.description);
        for (const c of link.queue.splice(0)) await pc.addIceCandidate(c).catch(() => {});
        if (msg.description.type === "offer") {
          sendOn(pc);
          await pc.setLocalDescription(await pc.createAnswer());
          signal(from, { description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
        }
      } else if (msg.candidate) {
        if (pc.remoteDescription) await pc.addIceCandidate(msg.candidate).catch(() => {});
        else link.queue.push(msg.candidate);
      }
    }).catch((e) => { console.warn("call: signal from", from, e); });
  }

  async function stats() {
    const out = {};
    for (const [uid, pc] of pcs) {
      const r = { state: pc.connectionState, frames: 0, audio: 0, width: 0 };
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          r.frames += s.framesDecoded || 0;
          r.width = s.frameWidth || r.width;
        }
        if (s.type === "inbound-rtp" && s.kind === "audio") r.audio += s.bytesReceived || 0;
      });
      out[uid] = r;
    }
    return out;
  }

  return {
    mode: "mesh",
    pcs,
    /** After media:join: offer to everyone already in the call. */
    start(ack) { (ack.peers || []).forEach((peer) => connect(peer.user_id, true)); },
    /** A new (or rejoining) member: they will offer. */
    peerJoined(peer) { if (!links.has(peer.user_id)) connect(peer.user_id, false); },
    peerLeft(userId) { disconnect(userId); },
    onSignal,
    replaceTrack(kind) {
      const track = call.sending(kind);
      links.forEach((link) => {
        link.pc.getTransceivers().forEach((tr) => {
          if (tr.sender && transceiverKind(tr) === kind) tr.sender.replaceTrack(track).catch(() => {});
        });
      });
    },
    mids() { return {}; },
    stop() { Array.from(links.keys()).forEach(disconnect); },
    stats,
  };
}

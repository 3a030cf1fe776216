"""The call of a live meeting: who is in it (CallMember, one row per socket), the signalling relayed
between its members (mesh), the chair's mute, and the ICE servers the browsers use. With MEDIA_SFU_URL set
the media go through Janus instead (meetings.sfu): the same events keep who is in the call, and the app
admits, moderates and dismisses members in Janus too. The only writer of CallMember; every event goes out
after commit (core.realtime). docs/meetings.md ("The call") describes the events.

Only participants of a live meeting get media; anyone else is told the meeting does not exist.
"""
import base64
import hashlib
import hmac
import time

from flask import current_app
from flask_babel import gettext as _

from auth.models import User
from core import audit
from core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from core.extensions import db, socketio
from core.realtime import after_commit, emit, leave_room_after_commit, publish
from core.validation import payload_id
from meetings import attendance, permissions, recordings, sfu
from meetings.models import MeetingStatus
from meetings.models_call import CallFeed, CallMember, CallRoom
from meetings.queries import load

#: what media:mute turns off
KINDS = ("audio", "video")
#: the SDP types a description may carry
DESCRIPTION_TYPES = ("offer", "answer", "pranswer", "rollback")


def call_room(meeting_id):
    """The Socket.IO room of one meeting's call (its members' sockets only)."""
    return f"call:{meeting_id}"


# -- ICE servers and the media description (GET /meetings/<id>/media) ---------------------

def turn_credentials(secret, user_id, ttl, now=None):
    """coturn's REST API scheme (use-auth-secret): the username carries its expiry, the password is
    base64(HMAC-SHA1(secret, username)), so coturn checks it without asking the app."""
    username = f"{int(now if now is not None else time.time()) + ttl}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user, now=None):
    """[{urls, username?, credential?}] from MEDIA_TURN_URLS: STUN as it is, TURN with time-limited
    credentials when MEDIA_TURN_SECRET is set. None configured: [] (on a LAN host candidates connect)."""
    config = current_app.config
    urls = config["MEDIA_TURN_URLS"]
    stun = [u for u in urls if not u.startswith("turn")]
    turn = [u for u in urls if u.startswith("turn")]  # turn: and turns:
    servers = [{"urls": stun}] if stun else []
    if turn:
        entry = {"urls": turn}
        if config["MEDIA_TURN_SECRET"]:
            entry["username"], entry["credential"] = turn_credentials(
                config["MEDIA_TURN_SECRET"], user.id, config["MEDIA_TURN_TTL"], now)
        servers.append(entry)
    return servers


def media_info(user, meeting):
    """What a participant's browser needs to join: the mode, the ICE servers, the video limit; in SFU mode
    while the meeting is live, the Janus server, room and a token admitted to that room."""
    if not permissions.is_participant(user, meeting):
        raise NotFound(_("Meeting not found."))
    live = meeting.status == MeetingStatus.LIVE
    info = {"mode": "sfu" if sfu.enabled() else "mesh", "ice_servers": ice_servers(user),
            "video_limit": video_limit(), "live": live}
    if sfu.enabled() and live:
        info["sfu"] = _sfu_credentials(meeting, user)
    return info


def _sfu_credentials(meeting, user):
    room = sfu.room_for(meeting)
    token = sfu.member_token(meeting.id, user.id)
    try:
        sfu.admit(room, token)
    except sfu.JanusError as exc:
        current_app.logger.error("Janus refused meeting %s: %s", meeting.id, exc)
        raise ServiceUnavailable(_("The call server cannot be reached. Try again in a moment.")) from exc
    return {"url": room.server, "room": room.room, "token": token}


# -- reads ----------------------------------------------------------------------------------

def _call_meeting(user, data):
    """The meeting named in the payload if the user is one of its participants; else not_found."""
    meeting = load(payload_id(data, "meeting_id"))
    if meeting is None or not permissions.is_participant(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def _members(meeting_id, *criteria):
    return db.session.scalars(
        db.select(CallMember).where(CallMember.meeting_id == meeting_id, *criteria)
        .order_by(CallMember.joined_at, CallMember.id)
    ).all()


def _own_row(meeting, sid):
    row = db.session.scalar(db.select(CallMember).where(CallMember.meeting_id == meeting.id, CallMember.sid == sid))
    if row is None:
        raise NotFound(_("You are not in this call."))
    return row


def _flag(data, name):
    value = data.get(name, False)
    if not isinstance(value, bool):
        message = _("Must be true or false.")
        raise Invalid({name: message}, message)
    return value


def video_limit():
    """How many members send video: MEDIA_VIDEO_LIMIT in the mesh (every browser sends to every other), the
    room's publisher cap through Janus (each browser sends once)."""
    config = current_app.config
    return config["MEDIA_SFU_PUBLISHERS"] if sfu.enabled() else config["MEDIA_VIDEO_LIMIT"]


def _video_allowed(meeting_id, row):
    """The first video_limit() members of the call send video; later ones are audio-only."""
    ahead = db.session.scalar(db.select(db.func.count(CallMember.id)).where(
        CallMember.meeting_id == meeting_id, CallMember.id < row.id))
    return ahead < video_limit()


def _peer(row, user):
    """A member as the others see it; ``publisher_id`` is its feed in the Janus room (SFU mode)."""
    return {"user_id": row.user_id, "full_name": user.full_name, "audio": row.audio, "video": row.video,
            "screen": row.screen, "publisher_id": row.feed_id or row.id}


def _mid(data, name):
    value = data.get(name)
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 8):
        message = _("Must be a stream id of at most 8 characters.")
        raise Invalid({name: message}, message)
    return value


def still_in_call(meeting_id, sid):
    """Read again after the socket entered the call room: a removal between the join's commit and the
    room entry must not leave the socket inside."""
    db.session.commit()  # a new transaction (and snapshot) for the second look
    return db.session.scalar(db.select(CallMember.id).where(
        CallMember.meeting_id == meeting_id, CallMember.sid == sid)) is not None


# -- Janus (SFU mode): what the app enforces there, after its own commit -------------------------------

def _room_ref(meeting_id):
    room = db.session.get(CallRoom, meeting_id) if sfu.enabled() else None
    return sfu.RoomRef.of(room) if room else None


def _hold(meeting, rows, kind):
    """The chair's mute is held in Janus too: what the member still sends on that stream reaches nobody
    until they turn it on again themselves (media:state)."""
    ref = _room_ref(meeting.id)
    if ref is None:
        return
    for row in rows:
        mid = row.audio_mid if kind == "audio" else row.video_mid
        if mid:
            setattr(row, f"{kind}_held", True)
            after_commit(lambda r=row.feed_id, m=mid: sfu.moderate(ref, r, [m], True))


def _release_held(meeting, row):
    ref = _room_ref(meeting.id) if (row.audio_held or row.video_held) else None
    if ref is None:
        return
    for kind in KINDS:
        mid = row.audio_mid if kind == "audio" else row.video_mid
        if getattr(row, kind) and getattr(row, f"{kind}_held"):
            setattr(row, f"{kind}_held", False)
            after_commit(lambda r=row.feed_id, m=mid: sfu.moderate(ref, r, [m], False))


def _dismiss(rows):
    """Members gone from the call leave the Janus room too: token off the allowed list, publisher kicked."""
    by_meeting = {}
    for row in rows:
        by_meeting.setdefault(row.meeting_id, []).append({"id": row.feed_id, "token": row.sfu_token})
    for meeting_id, members in by_meeting.items():
        ref = _room_ref(meeting_id)
        if ref is not None:
            after_commit(lambda f=ref, m=members: sfu.dismiss(f, m))


# -- writes ---------------------------------------------------------------------------------

def _drop(rows, reason=None):
    """Delete call rows; the others see each one leave, and with ``reason`` its socket is told why."""
    _dismiss(rows)
    for row in rows:
        if reason:
            publish("media:ended", {"meeting_id": row.meeting_id, "reason": reason}, to=row.sid)
        publish("media:peer_left", {"meeting_id": row.meeting_id, "user_id": row.user_id},
                to=call_room(row.meeting_id))
        db.session.delete(row)
    db.session.flush()


def _leave_after_commit(sid, meeting_id):
    after_commit(lambda: socketio.server.leave_room(sid, call_room(meeting_id), namespace="/"))


def _replace_older(user, meeting, sid):
    """Before a join: the user's other socket in this call is replaced, and this socket leaves any call."""
    old = db.session.scalars(db.select(CallMember).where(db.or_(
        CallMember.sid == sid, db.and_(CallMember.meeting_id == meeting.id, CallMember.user_id == user.id)))).all()
    for row in old:
        if row.sid != sid or row.meeting_id != meeting.id:
            _leave_after_commit(row.sid, row.meeting_id)
    _drop([r for r in old if r.sid != sid], reason="replaced")
    _drop([r for r in old if r.sid == sid])


def join(user, data, sid):
    """The socket joins the call. Returns (meeting, ack); the caller puts the socket in the call room.

    A user is in the call once: a newer join replaces their older socket (told "replaced"); a socket is
    in one call at a time."""
    meeting = _call_meeting(user, data)
    audio, video = _flag(data, "audio"), _flag(data, "video")
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict(_("The call opens when the meeting starts."))
    token = _sfu_token(data, meeting, user)
    _replace_older(user, meeting, sid)
    row = CallMember(meeting_id=meeting.id, user_id=user.id, sid=sid, audio=audio, video=video, sfu_token=token)
    db.session.add(row)
    db.session.flush()
    attendance.joined_call(meeting.id, user.id)  # the attendance record notes who joined by call
    if token:  # its publisher id in the Janus room: a new feed, kept so that a recording names the person
        feed = CallFeed(meeting_id=meeting.id, user_id=user.id)
        db.session.add(feed)
        db.session.flush()
        row.feed_id = feed.id
    video_allowed = _video_allowed(meeting.id, row)
    row.video = video and video_allowed
    others = _members(meeting.id, CallMember.id != row.id)
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_([r.user_id for r in others])))}
    joined = dict(_peer(row, user), meeting_id=meeting.id)
    after_commit(lambda: emit("media:peer_joined", joined, to=call_room(meeting.id), skip_sid=sid))
    db.session.commit()
    return meeting, {"ok": True, "self_user_id": user.id, "peers": [_peer(r, users[r.user_id]) for r in others],
                     "video_allowed": video_allowed, "video_limit": video_limit(),
                     "publisher_id": row.feed_id or row.id, "mode": "sfu" if sfu.enabled() else "mesh",
                     "ice_servers": ice_servers(user)}


def _sfu_token(data, meeting, user):
    """SFU mode: the token /media gave this user for this meeting (checked, so a token of another meeting or
    person is refused); it comes off the room's allowed list when they leave. Mesh: none."""
    if not sfu.enabled():
        return None
    token = data.get("token")
    if not isinstance(token, str) or not sfu.token_is_for(token, meeting.id, user.id):
        message = _("Must be the token /media gave you for this meeting.")
        raise Invalid({"token": message}, message)
    return token


def _signal_parts(data):
    """The description and/or candidate to relay, checked for shape (the size limit already applies)."""
    parts = {}
    if data.get("description") is not None:
        description = data["description"]
        if (not isinstance(description, dict) or description.get("type") not in DESCRIPTION_TYPES
                or not isinstance(description.get("sdp", ""), str)):
            message = _("Must be a session description {type, sdp}.")
            raise Invalid({"description": message}, message)
        parts["description"] = {"type": description["type"], "sdp": description.get("sdp", "")}
    if "candidate" in data:
        candidate = data["candidate"]
        if candidate is not None and not isinstance(candidate, dict):
            message = _("Must be an ICE candidate object or null.")
            raise Invalid({"candidate": message}, message)
        parts["candidate"] = candidate
    if not parts:
        message = _("Send a description or a candidate.")
        raise Invalid({"description": message}, message)
    return parts


def signal(user, data, sid):
    """Relay an offer, answer or ICE candidate to one member of the same call, on their call socket only."""
    meeting = _call_meeting(user, data)
    _own_row(meeting, sid)
    to_user_id = payload_id(data, "to_user_id")
    target = db.session.scalar(db.select(CallMember).where(
        CallMember.meeting_id == meeting.id, CallMember.user_id == to_user_id))
    if target is None:
        raise NotFound(_("They are not in this call."))
    publish("media:signal", dict(_signal_parts(data), meeting_id=meeting.id, from_user_id=user.id), to=target.sid)
    db.session.commit()


def set_state(user, data, sid):
    """The socket's microphone and camera are on or off; the call sees it. Video stays off beyond the limit."""
    meeting = _call_meeting(user, data)
    row = _own_row(meeting, sid)
    row.audio = _flag(data, "audio")
    row.video = _flag(data, "video") and _video_allowed(meeting.id, row)
    row.screen = _flag(data, "screen") and row.video
    row.audio_mid = _mid(data, "audio_mid") or row.audio_mid
    row.video_mid = _mid(data, "video_mid") or row.video_mid
    _release_held(meeting, row)
    publish("media:peer_state", {"meeting_id": meeting.id, "user_id": user.id, "audio": row.audio,
                                 "video": row.video, "screen": row.screen}, to=call_room(meeting.id))
    db.session.commit()


def leave(user, data, sid):
    """The socket leaves the call (leaving a call one is not in changes nothing). Returns the meeting."""
    meeting = _call_meeting(user, data)
    _drop(_members(meeting.id, CallMember.sid == sid))
    db.session.commit()
    return meeting


def mute(user, data):
    """The chair turns one member's (``user_id``) or everyone else's microphone or camera off: their
    socket is told (``media:muted``) and their client turns the track off. Returns the user ids told."""
    meeting = _call_meeting(user, data)
    if not permissions.can_moderate_call(user, meeting):
        raise Forbidden(_("Only the chair can mute others."))
    target = payload_id(data, "user_id", required=False)
    kind = data.get("kind")
    if kind not in KINDS:
        message = _("Must be audio or video.")
        raise Invalid({"kind": message}, message)
    criteria = [CallMember.user_id == target] if target is not None else [CallMember.user_id != user.id]
    rows = _members(meeting.id, *criteria)
    if target is not None and not rows:
        raise NotFound(_("They are not in this call."))
    for row in rows:
        publish("media:muted", {"meeting_id": meeting.id, "kind": kind, "by": user.id}, to=row.sid)
    _hold(meeting, rows, kind)
    muted = sorted({row.user_id for row in rows})
    audit.record(user, "call.mute", meeting, track=kind, user_ids=muted)
    db.session.commit()
    return muted


# -- the call ends for someone or for everyone (called by the socket layer and meetings.services) -----

def drop_socket(connection):
    """Disconnect hook: the socket's call row goes and the others see it leave. The caller commits."""
    _drop(db.session.scalars(db.select(CallMember).where(CallMember.sid == connection.sid)).all())


def drop_users(meeting, user_ids):
    """Users taken off the meeting leave its call at once: their sockets leave the call room (queued
    first, so nothing after reaches them), each is told "removed", the others see them leave."""
    leave_room_after_commit(call_room(meeting.id), user_ids)
    _drop(_members(meeting.id, CallMember.user_id.in_(list(user_ids))), reason="removed")
    ref = _room_ref(meeting.id)
    if ref is not None:  # a token fetched but not yet used would still open the room
        after_commit(lambda: sfu.revoke_users(ref, meeting.id, list(user_ids)))


def end_call(meeting):
    """The meeting ends or is cancelled: everyone in the call is told, the rows go, the room closes."""
    ref = _room_ref(meeting.id)
    if ref is not None:
        after_commit(lambda: sfu.close(ref))
        recordings.stopped_with_meeting(meeting.id)
    rows = _members(meeting.id)
    if not rows:
        return
    publish("media:ended", {"meeting_id": meeting.id, "reason": "meeting_over"}, to=call_room(meeting.id))
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    after_commit(lambda: socketio.close_room(call_room(meeting.id)))

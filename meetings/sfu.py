"""The call through a Janus SFU (MEDIA_SFU_URL set): one VideoRoom per meeting, created by the app with the
plugin's admin key and a random secret of its own, so only the app can kick, moderate, record or destroy.

Each join gets a signed token (Janus ``token_auth_secret``) that names the VideoRoom plugin and this one join;
the app puts it on the room's allowed list and takes it off when the member leaves, so a token is good for one
room only. Browsers reach Janus at the MEDIA_SFU_URL entry the room records; the app talks to the same
servers (or MEDIA_SFU_API_URL, e.g. loopback behind nginx) over Janus's WebSocket API. The only writer of
CallRoom; meetings.call keeps who is in the call.
"""
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import simple_websocket
from flask import current_app
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from meetings.models_call import CallRoom

log = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
#: VideoRoom error codes the app expects and treats as "already so"
ROOM_EXISTS, NO_SUCH_ROOM, NO_SUCH_FEED = 427, 426, 428


class JanusError(Exception):
    """Janus refused a request or could not be reached."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def enabled():
    return bool(current_app.config["MEDIA_SFU_URL"])


# -- tokens -----------------------------------------------------------------------------------------------

def sign_token(secret, descriptors, ttl, now=None):
    """Janus's signed token: ``expiry,janus,<descriptor>...:base64(HMAC-SHA1(secret, data))``. Janus checks the
    expiry, the realm "janus" and that the plugin is listed; the extra descriptor makes each token unique."""
    expiry = int(now if now is not None else time.time()) + ttl
    data = ",".join([str(expiry), "janus", *descriptors])
    signature = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


def _holder(meeting_id, user_id):
    return f"m{meeting_id}-u{user_id}-"


def member_token(meeting_id, user_id):
    """A participant's token: the VideoRoom plugin, and a descriptor naming the meeting and the user (with a
    nonce, so each is new). It opens only the rooms whose allowed list holds it: this meeting's."""
    config = current_app.config
    return sign_token(config["MEDIA_SFU_TOKEN_SECRET"], [PLUGIN, _holder(meeting_id, user_id) + secrets.token_hex(6)],
                      config["MEDIA_SFU_TOKEN_TTL"])


def token_is_for(token, meeting_id, user_id, now=None):
    """The app signed this token, for this meeting and user, and it has not expired."""
    data, _sep, signature = token.partition(":")
    parts = data.split(",")
    if len(parts) != 4 or parts[1] != "janus" or parts[2] != PLUGIN or not parts[0].isdigit():
        return False
    expected = base64.b64encode(hmac.new(current_app.config["MEDIA_SFU_TOKEN_SECRET"].encode(), data.encode(),
                                         hashlib.sha1).digest()).decode()
    return (hmac.compare_digest(expected, signature) and parts[3].startswith(_holder(meeting_id, user_id))
            and int(parts[0]) >= (now if now is not None else time.time()))


def _app_token():
    return sign_token(current_app.config["MEDIA_SFU_TOKEN_SECRET"], [PLUGIN, "app"], 120)


# -- one short Janus API session ------------------------------------------------------------------------------

class Session:
    """A Janus API session over WebSocket with the VideoRoom attached: ``request(body)`` sends one
    synchronous VideoRoom request and returns its answer. Used as a context manager."""

    def __init__(self, url, timeout=None, token=None):
        self.url = url
        self.timeout = timeout or current_app.config["MEDIA_SFU_TIMEOUT"]
        self.token = token or _app_token()
        self.ws = self.session_id = self.handle_id = None

    def __enter__(self):
        try:
            url = self.url if urlsplit(self.url).path else self.url + "/"  # wsproto needs a target
            self.ws = simple_websocket.Client.connect(url, subprotocols=["janus-protocol"])
        except Exception as exc:  # refused, DNS, TLS: Janus is not there
            raise JanusError(f"cannot reach Janus at {self.url}: {exc}") from exc
        try:
            self.session_id = self._call({"janus": "create"})["data"]["id"]
            self.handle_id = self._call({"janus": "attach", "plugin": PLUGIN,
                                         "session_id": self.session_id})["data"]["id"]
        except BaseException:
            self.ws.close()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self.session_id:
                self._call({"janus": "destroy", "session_id": self.session_id})
        except JanusError:
            pass
        finally:
            self.ws.close()

    def _call(self, message):
        transaction = secrets.token_hex(8)
        self.ws.send(json.dumps(dict(message, transaction=transaction, token=self.token)))
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            raw = self.ws.receive(timeout=max(left, 0.01)) if left > 0 else None
            if raw is None:
                raise JanusError(f"Janus did not answer {message.get('janus')} in {self.timeout}s")
            answer = json.loads(raw)
            if answer.get("transaction") != transaction or answer.get("janus") == "ack":
                continue  # an event of the session, or the "ack" before a plugin's answer
            if answer.get("janus") == "error":
                error = answer.get("error", {})
                raise JanusError(error.get("reason", "Janus error"), error.get("code"))
            return answer

    def request(self, body):
        answer = self._call({"janus": "message", "session_id": self.session_id, "handle_id": self.handle_id,
                             "body": body})
        data = (answer.get("plugindata") or {}).get("data") or {}
        if data.get("error_code"):
            raise JanusError(data.get("error", "VideoRoom error"), data["error_code"])
        return data


# -- servers and rooms ----------------------------------------------------------------------------------------

def servers():
    """[(browser URL, API URL)] of the configured Janus servers, in MEDIA_SFU_URL order."""
    config = current_app.config
    public = config["MEDIA_SFU_URL"]
    api = config["MEDIA_SFU_API_URL"] or public
    if len(api) != len(public):
        raise JanusError("MEDIA_SFU_API_URL must list as many servers as MEDIA_SFU_URL")
    return list(zip(public, api, strict=True))


def api_url(server):
    for public, api in servers():
        if public == server:
            return api
    return server  # a server taken out of the configuration: its rooms are still reachable where they were


def _pick_server(meeting_id):
    """Spread meetings over the servers by meeting id (stable, so a retry lands on the same one)."""
    choices = servers()
    return choices[zlib.crc32(str(meeting_id).encode()) % len(choices)][0]


def _create_in_janus(janus, room):
    config = current_app.config
    body = {"request": "create", "admin_key": config["MEDIA_SFU_ADMIN_KEY"], "room": room.room,
            "secret": room.secret, "description": f"meeting {room.meeting_id}", "is_private": True,
            "publishers": config["MEDIA_SFU_PUBLISHERS"], "allowed": [], "bitrate": 512000, "fir_freq": 10,
            "audiolevel_event": True, "audio_active_packets": 50, "audio_level_average": 40,
            "notify_joining": True, "lock_record": True}
    if config["MEDIA_SFU_RECORD_DIR"]:
        body["rec_dir"] = record_folder(room.meeting_id)
    try:
        janus.request(body)
    except JanusError as exc:
        if exc.code != ROOM_EXISTS:
            raise


def record_folder(meeting_id):
    """Where Janus writes a meeting's recorded tracks (its room's rec_dir; Janus makes the folder)."""
    return str(Path(current_app.config["MEDIA_SFU_RECORD_DIR"]) / f"meeting-{meeting_id}")


def room_for(meeting):
    """The meeting's CallRoom, recorded (and committed) on first use."""
    room = db.session.get(CallRoom, meeting.id)
    if room is not None:
        return room
    room = CallRoom(meeting_id=meeting.id, server=_pick_server(meeting.id), room=secrets.randbits(52) + 1,
                    secret=secrets.token_urlsafe(24))
    db.session.add(room)
    try:
        db.session.commit()
    except IntegrityError:  # another process's first join won: use its room
        db.session.rollback()
        room = db.session.get(CallRoom, meeting.id)
    return room


@dataclass(frozen=True)
class RoomRef:
    """What the app needs to act on a room in Janus, read before a commit and used after it."""
    meeting_id: int
    server: str
    room: int
    secret: str

    @classmethod
    def of(cls, room):
        return cls(room.meeting_id, room.server, room.room, room.secret)


def admit(room, token):
    """Make sure the room exists in Janus (a restarted Janus has forgotten it) and put the token on its
    allowed list."""
    room = RoomRef.of(room)
    with Session(api_url(room.server)) as janus:
        _create_in_janus(janus, room)
        janus.request({"request": "allowed", "secret": room.secret, "room": room.room, "action": "add",
                       "allowed": [token]})


def record(room, on):
    """Janus records every publisher of the room (each track to its own .mjr file), or stops."""
    room = RoomRef.of(room)
    with Session(api_url(room.server)) as janus:
        _create_in_janus(janus, room)  # nobody may have joined yet
        janus.request({"request": "enable_recording", "room": room.room, "secret": room.secret, "record": on})


def _best_effort(room, requests):
    """Requests whose failure must not fail the app's own change (the member is already gone from the
    call in the database; Janus's session timeout drops them anyway). Logged."""
    try:
        with Session(api_url(room.server)) as janus:
            for body in requests:
                try:
                    janus.request(dict(body, secret=room.secret, room=room.room))
                except JanusError as exc:
                    if exc.code not in (NO_SUCH_ROOM, NO_SUCH_FEED):
                        log.warning("Janus %s for meeting %s: %s", body["request"], room.meeting_id, exc)
    except JanusError as exc:
        log.warning("Janus unreachable for meeting %s: %s", room.meeting_id, exc)


def revoke_users(room, meeting_id, user_ids):
    """Every token of these users comes off the room's allowed list ("enable" answers with the whole list)."""
    holders = tuple(_holder(meeting_id, uid) for uid in user_ids)
    try:
        with Session(api_url(room.server)) as janus:
            listed = janus.request({"request": "allowed", "secret": room.secret, "room": room.room,
                                    "action": "enable"}).get("allowed", [])
            theirs = [t for t in listed if t.split(":")[0].split(",")[-1].startswith(holders)]
            if theirs:
                janus.request({"request": "allowed", "secret": room.secret, "room": room.room,
                               "action": "remove", "allowed": theirs})
    except JanusError as exc:
        if exc.code != NO_SUCH_ROOM:
            log.warning("Janus: revoking tokens in meeting %s: %s", meeting_id, exc)


def dismiss(room, members):
    """Members leave: their tokens come off the allowed list and their publishers are kicked."""
    tokens = [m["token"] for m in members if m["token"]]
    requests = [{"request": "allowed", "action": "remove", "allowed": tokens}] if tokens else []
    requests += [{"request": "kick", "id": m["id"]} for m in members]
    _best_effort(room, requests)


def moderate(room, member_id, mids, mute):
    """Hold (or release) a member's streams in Janus: what they send reaches nobody."""
    _best_effort(room, [{"request": "moderate", "id": member_id, "mid": mid, "mute": mute} for mid in mids])


def close(room):
    """The meeting is over: the room goes from Janus, and with it every member's connection."""
    _best_effort(room, [{"request": "destroy"}])

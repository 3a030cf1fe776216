"""The call's models: who is in a live meeting's call, its Janus room, the feeds published there and the
recorded tracks (meetings.call, meetings.sfu, meetings.recordings write them)."""
from enum import StrEnum

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class CallMember(db.Model):
    """One socket in a live meeting's call (mesh or SFU), so every process knows who is in it.
    Written only by meetings.call."""

    __tablename__ = "meeting_call_members"

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting whose call it is
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: who is in the call
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the Socket.IO session that joined (a newer join of the same user replaces it)
    sid = db.Column(db.String(64), nullable=False, unique=True)
    #: when it joined
    joined_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: the microphone is on
    audio = db.Column(db.Boolean, nullable=False, default=False)
    #: the camera is on
    video = db.Column(db.Boolean, nullable=False, default=False)
    #: it presents: its screen goes out in place of the camera (the others spotlight it)
    screen = db.Column(db.Boolean, nullable=False, default=False)
    #: SFU mode: the signed Janus token this join was given (on the room's allowed list until it leaves)
    sfu_token = db.Column(db.String(300))
    #: SFU mode: its publisher id in the Janus room (a CallFeed)
    feed_id = db.Column(db.Integer)
    #: SFU mode: the mids of the microphone and camera streams it publishes (what the chair's mute holds)
    audio_mid = db.Column(db.String(8))
    video_mid = db.Column(db.String(8))
    #: SFU mode: the chair's mute is held in Janus until this member turns the microphone/camera on again
    audio_held = db.Column(db.Boolean, nullable=False, default=False)
    video_held = db.Column(db.Boolean, nullable=False, default=False)


class CallRoom(db.Model):
    """A meeting's room on a Janus SFU (SFU mode): which server holds it, its number and its secret.
    Written only by meetings.sfu."""

    __tablename__ = "meeting_call_rooms"

    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: the Janus server (an entry of MEDIA_SFU_URL, as browsers reach it)
    server = db.Column(db.String(500), nullable=False)
    #: the VideoRoom number (random, below 2**53 so a browser's number holds it exactly)
    room = db.Column(db.BigInteger, nullable=False)
    #: the room's secret: only the app can kick, moderate, record or destroy
    secret = db.Column(db.String(64), nullable=False)
    #: the chair is recording the call
    recording = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class TrackKind(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"


class CallFeed(db.Model):
    """A publisher in a meeting's Janus room, one per join: its id is the feed id there, and the row stays
    after they leave, so a recording's files name their person and a feed id is never given twice in a
    meeting. Written only by meetings.call."""

    __tablename__ = "meeting_call_feeds"

    #: the feed (publisher) id in the Janus room
    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class CallRecording(db.Model):
    """One track of a recorded call (SFU mode), converted by janus-pp-rec: a participant's sound (.opus) or
    picture (.webm). Participants of the meeting may download it. Written only by meetings.recordings."""

    __tablename__ = "meeting_call_recordings"
    __table_args__ = (one_of("kind", TrackKind),)

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: whose microphone or camera (or screen) it is; null if that account is gone
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: audio or video (TrackKind)
    kind = db.Column(db.String(8), nullable=False)
    #: the file under <instance>/recordings/
    stored_name = db.Column(db.String(255), nullable=False, unique=True)
    size = db.Column(db.Integer, nullable=False)
    #: when Janus started writing the track
    started_at = db.Column(UTCDateTime, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

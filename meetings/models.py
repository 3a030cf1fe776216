"""Meetings, their participants and agenda, attendance, and chat.

Outcome models (minutes revisions, votes, speaker queue, conclusions) follow below.
"""
from core.dbtypes import UTCDateTime, utcnow
from core.extensions import db

MEETING_STATUSES = ("scheduled", "live", "ended", "cancelled")
PARTICIPANT_ROLES = ("chair", "secretary", "member", "guest")


class Meeting(db.Model):
    __tablename__ = "meetings"

    id = db.Column(db.Integer, primary_key=True)
    #: e.g. "Họp giao ban tháng 11"
    title = db.Column(db.String(255), nullable=False)
    #: purpose and notes, plain text
    description = db.Column(db.Text, nullable=False, default="")
    #: planned start (UTC)
    starts_at = db.Column(UTCDateTime, nullable=False, index=True)
    #: planned end (UTC), optional
    ends_at = db.Column(UTCDateTime)
    #: a room name, or empty for online only
    place = db.Column(db.String(255), nullable=False, default="")
    #: held online in the live room
    online = db.Column(db.Boolean, nullable=False, default=True)
    #: the leader who chairs it (the creator by default)
    chair_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    #: who keeps the minutes, optional
    secretary_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: scheduled, live, ended or cancelled
    status = db.Column(db.String(16), nullable=False, default="scheduled", index=True)
    #: when the chair opened the live room
    started_at = db.Column(UTCDateTime)
    #: when the chair ended it
    ended_at = db.Column(UTCDateTime)
    #: an earlier meeting whose conclusions this one follows up
    follow_up_of_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    #: who created it
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: when it was created
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    chair = db.relationship("User", foreign_keys=[chair_id])
    secretary = db.relationship("User", foreign_keys=[secretary_id])
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    follow_up_of = db.relationship("Meeting", remote_side=[id])
    participants = db.relationship("Participant", back_populates="meeting", cascade="all, delete-orphan")
    agenda_items = db.relationship(
        "AgendaItem", back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )


class Participant(db.Model):
    """An invitation: one user in one meeting, with their role there."""

    __tablename__ = "meeting_participants"
    __table_args__ = (db.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_participants_meeting_user"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the invited user
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: chair, secretary, member or guest
    role = db.Column(db.String(16), nullable=False, default="member")
    #: invited because their whole agency was, if so
    via_agency_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="SET NULL"))
    #: when the invitation was made
    invited_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting", back_populates="participants")
    user = db.relationship("User")


class AgendaItem(db.Model):
    __tablename__ = "meeting_agenda_items"

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: order on the agenda, from 1
    position = db.Column(db.Integer, nullable=False, default=1)
    #: e.g. "Báo cáo tình hình kinh tế - xã hội"
    title = db.Column(db.String(500), nullable=False)
    #: who presents it, optional
    presenter_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: planned minutes, optional
    planned_minutes = db.Column(db.Integer)

    meeting = db.relationship("Meeting", back_populates="agenda_items")
    presenter = db.relationship("User")


class AttendanceSpan(db.Model):
    """One connected period of one socket of one user in a live meeting."""

    __tablename__ = "meeting_attendance_spans"
    __table_args__ = (db.Index("ix_attendance_open", "meeting_id", "user_id", "left_at"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: who was there
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the socket that joined (one user may have several tabs)
    sid = db.Column(db.String(64), nullable=False, index=True)
    #: when it joined
    joined_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when it left or dropped; null while present
    left_at = db.Column(UTCDateTime)


class ChatMessage(db.Model):
    """A chat line in a meeting, kept forever. Retries with the same client id store one row."""

    __tablename__ = "meeting_chat_messages"
    __table_args__ = (
        db.UniqueConstraint("meeting_id", "author_id", "client_id", name="uq_chat_meeting_author_client"),
        db.Index("ix_chat_meeting_id_id", "meeting_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: who wrote it
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: the text, shown as text (never HTML)
    body = db.Column(db.Text, nullable=False)
    #: the sender's idempotency key
    client_id = db.Column(db.String(64), nullable=False)
    #: when the server stored it
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    author = db.relationship("User")

"""Meetings, their participants and agenda, attendance, and chat.

Outcome models (minutes revisions, votes, speaker queue, conclusions) follow below.
"""
from enum import StrEnum

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Reply(StrEnum):
    """An invitee's answer to the invitation."""
    ATTEND = "attend"
    DECLINE = "decline"
    SUBSTITUTE = "substitute"


class ParticipantRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"
    GUEST = "guest"


class MinutesStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class VoteStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SpeakerStatus(StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"
    WITHDRAWN = "withdrawn"  # the hand lowered
    REMOVED = "removed"  # by the chair, or when the meeting ended


#: the speaker requests still in the queue (waiting) or holding the floor
SPEAKER_ACTIVE = (SpeakerStatus.WAITING, SpeakerStatus.SPEAKING)
#: a meeting in one of these states is over: chat, votes and the speaker queue are closed
MEETING_OVER = (MeetingStatus.ENDED, MeetingStatus.CANCELLED)


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (one_of("status", MeetingStatus),)

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
    #: scheduled, live, ended or cancelled (MeetingStatus)
    status = db.Column(db.String(16), nullable=False, default=MeetingStatus.SCHEDULED, index=True)
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
    #: the calendar invitation's SEQUENCE: grows with each change or cancellation sent, so calendars
    #: replace the older invitation
    ics_sequence = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    #: the link (http/https) of an external bridge for attendees who must join through one; empty if none
    bridge_url = db.Column(db.String(500), nullable=False, default="", server_default="")
    #: grows in the transaction of every change to who may join it (its participants, chair, secretary,
    #: status): a socket's cached invitation check holds while this equals the value it was made at
    access_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    chair = db.relationship("User", foreign_keys=[chair_id])
    secretary = db.relationship("User", foreign_keys=[secretary_id])
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    follow_up_of = db.relationship("Meeting", remote_side=[id])
    participants = db.relationship("Participant", back_populates="meeting", cascade="all, delete-orphan")
    agenda_items = db.relationship(
        "AgendaItem", back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )

    @property
    def is_over(self):
        """Ended or cancelled: its chat, votes and speaker queue are closed."""
        return self.status in MEETING_OVER


class Participant(db.Model):
    """An invitation: one user in one meeting, with their role there."""

    __tablename__ = "meeting_participants"
    __table_args__ = (
        db.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_participants_meeting_user"),
        one_of("role", ParticipantRole),
        one_of("response", Reply),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the invited user
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: chair, secretary, member or guest (ParticipantRole)
    role = db.Column(db.String(16), nullable=False, default=ParticipantRole.MEMBER)
    #: invited because their whole agency was, if so
    via_agency_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="SET NULL"))
    #: when the invitation was made
    invited_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: the answer (Reply), null until they answer; written only by meetings.replies
    response = db.Column(db.String(16))
    #: why they decline (or anything they add)
    response_reason = db.Column(db.String(500))
    responded_at = db.Column(UTCDateTime)
    #: who attends in their place (response "substitute")
    substitute_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: on a substitute's own invitation: whose place they take
    substitute_for_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when they first joined the meeting's call (meetings.attendance.joined_call); null if never
    joined_call_at = db.Column(UTCDateTime)

    meeting = db.relationship("Meeting", back_populates="participants")
    user = db.relationship("User", foreign_keys=[user_id])
    substitute = db.relationship("User", foreign_keys=[substitute_id])


#: what meetings.permissions.can_join/can_chat read of a meeting and of an invitation
_MEETING_ACCESS = ("chair_id", "secretary_id", "status", "participants")
_PARTICIPANT_ACCESS = ("meeting_id", "user_id", "role")


def _changed(obj, names):
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _bump_access_versions(session, _context, _instances):
    """Every writer of participants or of a meeting's chair, secretary or status bumps its access_version in
    the same flush (so the same transaction), whoever it is: services, replies, series, demo data."""
    meeting_ids = set()
    for obj in session.dirty:
        if isinstance(obj, Meeting) and _changed(obj, _MEETING_ACCESS):
            meeting_ids.add(obj.id)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Participant) and (obj not in session.dirty or _changed(obj, _PARTICIPANT_ACCESS)):
            # a moved invitation changes the meeting it left too
            meeting_ids.update(inspect(obj).attrs.meeting_id.history.deleted)
            meeting_ids.add(obj.meeting_id if obj.meeting_id is not None else getattr(obj.meeting, "id", None))
    meeting_ids.discard(None)
    for meeting_id in meeting_ids:
        meeting = session.identity_map.get(inspect(Meeting).identity_key_from_primary_key((meeting_id,)))
        if meeting is not None:
            if meeting not in session.deleted:
                meeting.access_version = Meeting.access_version + 1  # in SQL: two changes at once add two
        else:
            session.execute(db.update(Meeting.__table__).where(Meeting.__table__.c.id == meeting_id)
                            .values(access_version=Meeting.__table__.c.access_version + 1))


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
    #: when the chair opened it for discussion in the live room (the current item: opened, not closed)
    opened_at = db.Column(UTCDateTime)
    #: when the chair moved on from it
    closed_at = db.Column(UTCDateTime)

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


#: the most people one connection point may declare
MAX_PEOPLE_AT_POINT = 10000


class ConnectionPoint(db.Model):
    """A connection point (điểm cầu): one agency's hall linked to the meeting, many people in front of
    one camera, declared by the participant who operates it. Written only by meetings.connection_points."""

    __tablename__ = "meeting_connection_points"
    __table_args__ = (
        # one point per operator (declaring again updates it) and per agency (its people counted once)
        db.UniqueConstraint("meeting_id", "operator_id", name="uq_connection_points_meeting_operator"),
        db.UniqueConstraint("meeting_id", "agency_id", name="uq_connection_points_meeting_agency"),
        db.CheckConstraint(f"people_present BETWEEN 1 AND {MAX_PEOPLE_AT_POINT}", name="people_present"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting it is linked to (the unique constraints index it)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: the agency whose hall it is (one of the invited agencies, or the operator's own)
    agency_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False, index=True)
    #: the participant who operates it (declared it, sits at its camera)
    operator_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: how many people are present there, the operator included
    people_present = db.Column(db.Integer, nullable=False)
    #: when it was first declared
    declared_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when it was last changed (by its operator, or corrected by the chair or secretary)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: who changed it last
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))

    agency = db.relationship("Agency")
    operator = db.relationship("User", foreign_keys=[operator_id])


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


# --- outcomes: minutes, votes, speaker queue, conclusions ---


class Minutes(db.Model):
    """The minutes of one meeting: the pointer to the current revision, and draft/final.

    Like Indico's notes: every save is a new MinutesRevision; ``version`` names the
    current one, and a save must state the version it was based on (stale: 409).
    """

    __tablename__ = "meeting_minutes"
    __table_args__ = (one_of("status", MinutesStatus),)

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting (one minutes document per meeting)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, unique=True)
    #: the current revision's version number; 0 before the first save
    version = db.Column(db.Integer, nullable=False, default=0)
    #: draft (editable) or final (locked) (MinutesStatus)
    status = db.Column(db.String(16), nullable=False, default=MinutesStatus.DRAFT)
    #: when the chair finalized them
    finalized_at = db.Column(UTCDateTime)
    #: the chair who finalized them
    finalized_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: last change (save, restore, finalize)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting")
    finalized_by = db.relationship("User")


class MinutesRevision(db.Model):
    """One saved state of the minutes; never changed once written."""

    __tablename__ = "meeting_minutes_revisions"
    __table_args__ = (db.UniqueConstraint("meeting_id", "version", name="uq_minutes_revision_meeting_version"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: 1, 2, 3... per meeting
    version = db.Column(db.Integer, nullable=False)
    #: the minutes text, Markdown (rendered sanitised)
    body = db.Column(db.Text, nullable=False, default="")
    #: who saved it
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: when it was saved
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: the version it restores, when it was made by "restore"
    restored_from = db.Column(db.Integer)

    author = db.relationship("User")


class Vote(db.Model):
    """A vote (biểu quyết) the chair opens in a meeting."""

    __tablename__ = "meeting_votes"
    __table_args__ = (one_of("status", VoteStatus),)

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: what is put to the vote
    question = db.Column(db.String(500), nullable=False)
    #: the choices, a JSON list of strings, in order
    options = db.Column(db.JSON, nullable=False)
    #: anonymous: nobody (chair, API, pages, documents) learns who chose what
    anonymous = db.Column(db.Boolean, nullable=False, default=False)
    #: open (ballots accepted, changeable) or closed (VoteStatus)
    status = db.Column(db.String(16), nullable=False, default=VoteStatus.OPEN)
    #: the chair who opened it
    opened_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: when it opened
    opened_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when it closed
    closed_at = db.Column(UTCDateTime)
    #: the counts per option when it closed, a JSON list aligned with options
    result = db.Column(db.JSON)

    opened_by = db.relationship("User")


class Ballot(db.Model):
    """One participant's choice in one vote; changed in place until the vote closes.

    ``voter_key`` (an HMAC of vote and user) enforces one ballot per person for both
    kinds of vote; ``voter_id`` is stored only for named votes.
    """

    __tablename__ = "meeting_vote_ballots"
    __table_args__ = (db.UniqueConstraint("vote_id", "voter_key", name="uq_ballot_vote_voter"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the vote
    vote_id = db.Column(db.Integer, db.ForeignKey("meeting_votes.id", ondelete="CASCADE"), nullable=False, index=True)
    #: HMAC-SHA256 of (vote, user) with the app secret: one ballot per person, not reversible
    voter_key = db.Column(db.String(64), nullable=False)
    #: who voted; null for anonymous votes
    voter_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: index into Vote.options
    choice = db.Column(db.Integer, nullable=False)
    #: when the ballot was last cast or changed
    cast_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    voter = db.relationship("User")


class SpeakerRequest(db.Model):
    """A raised hand: the queue is the waiting requests ordered by time."""

    __tablename__ = "meeting_speaker_requests"
    __table_args__ = (
        db.Index("ix_speaker_queue", "meeting_id", "status", "requested_at"),
        one_of("status", SpeakerStatus),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: who asks to speak
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: waiting, speaking, done, withdrawn (hand lowered) or removed (by the chair) (SpeakerStatus)
    status = db.Column(db.String(16), nullable=False, default=SpeakerStatus.WAITING)
    #: when the hand was raised: the queue order
    requested_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when the chair gave the floor
    granted_at = db.Column(UTCDateTime)
    #: when the turn ended (done, withdrawn or removed)
    ended_at = db.Column(UTCDateTime)

    user = db.relationship("User")


class Conclusion(db.Model):
    """A conclusion recorded by the chair or secretary; may become directives."""

    __tablename__ = "meeting_conclusions"

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: order in the meeting's conclusions, from 1
    position = db.Column(db.Integer, nullable=False, default=1)
    #: the conclusion, plain text
    text = db.Column(db.Text, nullable=False)
    #: who recorded it
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: when it was recorded
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    created_by = db.relationship("User")


class ConclusionDirective(db.Model):
    """A directive issued from a conclusion ("Giao nhiệm vụ"); one conclusion may give several."""

    __tablename__ = "meeting_conclusion_directives"
    __table_args__ = (db.UniqueConstraint("directive_id", name="uq_conclusion_directive_directive"),)

    id = db.Column(db.Integer, primary_key=True)
    #: the conclusion
    conclusion_id = db.Column(
        db.Integer, db.ForeignKey("meeting_conclusions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: the directive issued from it (directives.id; kept without a foreign key so the modules migrate independently)
    directive_id = db.Column(db.Integer, nullable=False)
    #: when it was issued
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

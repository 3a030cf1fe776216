"""Around the meeting's date: recurring series and their occurrences, the reminders sent before a start,
and each user's private calendar feed. Written only by meetings.series, meetings.reminders and
meetings.calendar."""
from enum import StrEnum

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class RecurrenceFreq(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class MeetingSeries(db.Model):
    """A recurring meeting (e.g. the Monday giao ban): an RRULE whose occurrences are ordinary meetings,
    created ahead up to a horizon (meetings.series.HORIZON_DAYS), never infinitely."""

    __tablename__ = "meeting_series"
    __table_args__ = (one_of("freq", RecurrenceFreq),)

    id = db.Column(db.Integer, primary_key=True)
    #: weekly or monthly (RecurrenceFreq)
    freq = db.Column(db.String(16), nullable=False)
    #: every N weeks or months
    interval = db.Column(db.Integer, nullable=False, default=1)
    #: how many occurrences in all; null when open-ended or bounded by ``until``
    count = db.Column(db.Integer)
    #: no occurrence starts after this (UTC); null when open-ended or bounded by ``count``
    until = db.Column(UTCDateTime)
    #: the first occurrence's planned start: the rule counts from it (its weekday, day of month, time)
    dtstart = db.Column(UTCDateTime, nullable=False)
    #: occurrences exist for every start of the rule up to this one (the job creates later ones)
    generated_until = db.Column(UTCDateTime, nullable=False)
    #: the rest of the series was cancelled from this occurrence's start on: nothing more is created
    stopped_at = db.Column(UTCDateTime)
    #: who created it
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class SeriesOccurrence(db.Model):
    """A meeting that is one occurrence of a series. Moving the meeting keeps ``recurrence_at`` (the
    calendar's RECURRENCE-ID), so the .ics says which occurrence moved."""

    __tablename__ = "meeting_series_occurrences"
    __table_args__ = (db.UniqueConstraint("series_id", "recurrence_at", name="uq_series_occurrences_series_start"),)

    #: the meeting (one series at most)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: its series
    series_id = db.Column(db.Integer, db.ForeignKey("meeting_series.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    #: the start the rule gives this occurrence (UTC)
    recurrence_at = db.Column(UTCDateTime, nullable=False)

    series = db.relationship("MeetingSeries")
    meeting = db.relationship("Meeting")


class MeetingReminderSent(db.Model):
    """One reminder before a meeting's start that went out to one invitee. The unique constraint makes a
    second run (or a second process) send nothing; ``starts_at`` re-arms the reminders of a moved meeting."""

    __tablename__ = "meeting_reminders_sent"
    __table_args__ = (
        db.UniqueConstraint("meeting_id", "user_id", "offset_minutes", "starts_at", name="uq_meeting_reminders_sent"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    #: the invitee reminded
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: minutes before the start (an entry of MEETING_REMINDERS)
    offset_minutes = db.Column(db.Integer, nullable=False)
    #: the start it reminded of (a meeting moved to another time is reminded again)
    starts_at = db.Column(UTCDateTime, nullable=False)
    #: when it went out
    sent_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class CalendarFeed(db.Model):
    """A user's private iCalendar feed (/calendar/<token>.ics) for Outlook, Thunderbird and phones. Making a
    new link replaces the token, so the old URL answers 404."""

    __tablename__ = "calendar_feeds"

    #: whose feed it is
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: the secret in the URL (random, 43 URL-safe characters)
    token = db.Column(db.String(64), nullable=False, unique=True)
    #: when this link was made
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

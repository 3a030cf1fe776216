"""The .ics of a recurring meeting: one VEVENT with the RRULE (the first occurrence's details), EXDATE for
each cancelled occurrence, and a VEVENT with RECURRENCE-ID for each occurrence that differs from the rule
(moved, or edited with "this and the following")."""
from icalendar import Calendar, Event

from core.dbtypes import utcnow
from meetings import ics
from meetings.models import MeetingStatus
from meetings.queries import participants_of
from meetings.series import occurrences, rrule_dict

#: the details that make an occurrence differ from the rule's copy of the first one
_DETAILS = ("title", "description", "place", "online", "bridge_url")


def series_uid(series):
    """series-<id>@<host>, beside the single meetings' meeting-<id>@<host>."""
    return ics.uid(series).replace("meeting-", "series-", 1)


def build_series(series, method="REQUEST"):
    rows = occurrences(series.id)
    cal = Calendar()
    cal.add("prodid", "-//UBND tinh//Chi dao va Hop truc tuyen//VI")
    cal.add("version", "2.0")
    cal.add("method", method)
    if not rows:
        return cal.to_ical()
    first_occ, first = rows[0]
    length = length_of(first)
    sequence = max(m.ics_sequence for _o, m in rows)
    master = meeting_event(first, series_uid(series), first_occ.recurrence_at, length, sequence)
    master.add("rrule", rrule_dict(series))
    for occ, meeting in rows:
        if meeting.status == MeetingStatus.CANCELLED:
            master.add("exdate", occ.recurrence_at)
    cal.add_component(master)
    for occ, meeting in rows:
        if meeting.status != MeetingStatus.CANCELLED and _differs(meeting, occ, first, length):
            event = meeting_event(meeting, series_uid(series), meeting.starts_at, length_of(meeting), sequence)
            event.add("recurrence-id", occ.recurrence_at)
            cal.add_component(event)
    return cal.to_ical()


def length_of(meeting):
    return (meeting.ends_at - meeting.starts_at) if meeting.ends_at else ics.DEFAULT_LENGTH


def _differs(meeting, occ, first, length):
    return (meeting.starts_at != occ.recurrence_at or length_of(meeting) != length
            or any(getattr(meeting, name) != getattr(first, name) for name in _DETAILS))


def meeting_event(meeting, uid, start, length, sequence, status="CONFIRMED", attendees=True):
    """One VEVENT of a meeting (its details, link and place); ``attendees``: the chair and the invitees too."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("summary", meeting.title)
    url = ics.meeting_url(meeting)
    event.add("description", ics._description(meeting, url))
    location = ics._location(meeting, url)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", status)
    if attendees and meeting.chair is not None:
        event.add("organizer", ics._address(meeting.chair))
    for participant in participants_of(meeting) if attendees else ():
        if participant.user_id != meeting.chair_id:
            event.add("attendee", ics._attendee(participant.user), encode=0)
    return event

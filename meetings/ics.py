"""iCalendar (.ics) invitations: METHOD:REQUEST to invite or update, METHOD:CANCEL to cancel."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from core.dbtypes import utcnow

DEFAULT_LENGTH = timedelta(hours=2)


def uid(meeting):
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "http://localhost").hostname or "localhost"
    return f"meeting-{meeting.id}@{host}"


def meeting_url(meeting):
    return f"{current_app.config.get('PUBLIC_URL', '').rstrip('/')}/meetings/{meeting.id}"


def _address(user):
    address = vCalAddress(f"mailto:{user.email or user.username + '@invalid'}")
    address.params["CN"] = vText(user.full_name)
    return address


def build(meeting, participants, method="REQUEST", sequence=0, attendees=()):
    """The calendar as bytes. ``participants``: the Participant rows (with their users); ``attendees``:
    further users listed as attendees (one taken off the invitation, in the CANCEL sent to them)."""
    cal = Calendar()
    cal.add("prodid", "-//UBND tinh//Chi dao va Hop truc tuyen//VI")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH)
    event.add("summary", meeting.title)
    url = meeting_url(meeting)
    event.add("description", _description(meeting, url))
    location = _location(meeting, url)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if meeting.chair is not None:
        event.add("organizer", _address(meeting.chair))
    for participant in participants:
        if participant.user_id != meeting.chair_id:
            event.add("attendee", _attendee(participant.user, participant.response), encode=0)
    for user in attendees:
        removed = _attendee(user)
        removed.params["RSVP"] = vText("FALSE")  # nothing to answer
        event.add("attendee", removed, encode=0)
    cal.add_component(event)
    return cal.to_ical()


def _description(meeting, url):
    """The purpose, the agenda, the link: what a calendar shows under the title."""
    agenda = "\n".join(f"{item.position}. {item.title}" for item in meeting.agenda_items)
    return "\n\n".join(part for part in ((meeting.description or "").strip(), agenda, url) if part)


def _location(meeting, url):
    location = meeting.place or ""
    if meeting.online:
        location = f"{location} · {url}" if location else url
    return location


#: the app's answer to the invitation as the calendar's participation status
PARTSTAT = {"attend": "ACCEPTED", "decline": "DECLINED", "substitute": "DELEGATED"}


def _attendee(user, response=None):
    """An invitee, with their answer so far; RSVP asks the calendar to offer accept and decline (the answer
    that counts is given in the app: POST /meetings/<id>/rsvp)."""
    attendee = _address(user)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText(PARTSTAT.get(response, "NEEDS-ACTION"))
    attendee.params["RSVP"] = vText("TRUE")
    return attendee

"""Every change to a meeting and its invitations: schedule, change, start, end, cancel. The only
writer of meetings and participants (presence, chat and the outcomes have their own modules).

Pages, the JSON API and the socket handlers all call these functions. Each
checks permissions (meetings.permissions), validates, writes an audit row,
queues realtime events (sent after commit) and commits.
"""
from flask import current_app
from flask_babel import gettext as _

from auth.models import Agency, User
from auth.queries import users_in_agencies
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.i18n import datetime_filter
from core.realtime import leave_room_after_commit, publish, user_room
from core.validation import Fields
from meetings import agenda as agenda_control
from meetings import call, connection_points, ics, permissions, speakers, votes
from meetings.models import AgendaItem, AttendanceSpan, Meeting, MeetingStatus, Participant, ParticipantRole
from meetings.presence import close_spans
from meetings.queries import participants_of, room
from meetings.schemas import status_payload

MAX_AGENDA_ITEMS = 50
MAX_DESCRIPTION = 5000


# -- scheduling -----------------------------------------------------------------

def _active_users(ids):
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids), User.active.is_(True)))}


def _parse(data):
    """Validated meeting fields, the invitation list and the agenda, or one Invalid naming every bad field."""
    f = Fields(data)
    values = _meeting_values(f)
    participant_ids = f.int_list("participant_ids")
    agency_ids = f.int_list("agency_ids")
    values["secretary_id"] = f.int("secretary_id", required=False, min_value=1)
    _check_people(f, participant_ids, values["secretary_id"])
    _check_agencies(f, agency_ids)
    agenda = _parse_agenda(data.get("agenda"), f)
    f.check()
    return values, participant_ids, agency_ids, agenda


def _meeting_values(f):
    values = {
        "title": f.str("title", max_len=255),
        "description": f.str("description", required=False, max_len=MAX_DESCRIPTION, default="", multiline=True),
        "starts_at": f.datetime("starts_at"),
        "ends_at": f.datetime("ends_at", required=False),
        "place": f.str("place", required=False, max_len=255, default=""),
        "online": f.bool("online", default=True),
        "bridge_url": f.url("bridge_url", max_len=500, default=""),
    }
    if values["starts_at"] and values["ends_at"] and values["ends_at"] <= values["starts_at"]:
        f.error("ends_at", _("The end must be after the start."))
    return values


def _check_people(f, participant_ids, secretary_id):
    users = _active_users(set(participant_ids) | ({secretary_id} if secretary_id else set()))
    unknown = [uid for uid in participant_ids if uid not in users]
    if unknown:
        f.error("participant_ids", _("Unknown or inactive users: %(ids)s", ids=", ".join(map(str, unknown))))
    if secretary_id and secretary_id not in users:
        f.error("secretary_id", _("Unknown or inactive user."))


def _check_agencies(f, agency_ids):
    if not agency_ids:
        return
    active = set(db.session.scalars(db.select(Agency.id).where(Agency.id.in_(agency_ids), Agency.active.is_(True))))
    missing = [aid for aid in agency_ids if aid not in active]
    if missing:
        f.error("agency_ids", _("Unknown or inactive agencies: %(ids)s", ids=", ".join(map(str, missing))))


def _parse_agenda(raw, f):
    """[{id, title, presenter_id, planned_minutes}] from the API's list, the page's editor (the same list)
    or a text of one title per line. Each problem is reported on ``agenda.<n>.<field>`` (n from 1, as the
    editor numbers its rows) and the first one also on ``agenda``."""
    entries = _agenda_entries(raw, f)
    items = [_agenda_item(n, entry, f) for n, entry in enumerate(entries, start=1)]
    if None in items:
        return []
    active = _active_users({i["presenter_id"] for i in items if i["presenter_id"]})
    for n, item in enumerate(items, start=1):
        if item["presenter_id"] and item["presenter_id"] not in active:
            _agenda_error(f, n, "presenter_id", _("Unknown or inactive user."))
    return items


def _agenda_error(f, n, field, message):
    """A problem of row ``n``'s field: on that field, and (the first one) on the agenda as a whole."""
    f.error(f"agenda.{n}.{field}", message)
    f.error("agenda", _("Item %(n)d, %(field)s: %(message)s", n=n, field=agenda_field_label(field), message=message))


def agenda_field_label(field):
    return {"title": _("title"), "presenter_id": _("presenter"), "planned_minutes": _("planned minutes")}.get(
        field, field)


def _check_presenters(agenda, invited):
    """Each presenter is one of the meeting's invitees (the chair and the secretary included)."""
    f = Fields({})
    for n, item in enumerate(agenda, start=1):
        if item["presenter_id"] and item["presenter_id"] not in invited:
            _agenda_error(f, n, "presenter_id", _("The presenter must be one of the invitees."))
    f.check()


def _agenda_entries(raw, f):
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):  # the page's textarea: one item per line
        raw = [{"title": line} for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list):
        f.error("agenda", _("Must be a list of items."))
        return []
    if len(raw) > MAX_AGENDA_ITEMS:
        f.error("agenda", _("At most %(n)d items.", n=MAX_AGENDA_ITEMS))
        return []
    return raw


def _agenda_item(n, entry, f):
    """Item ``n`` validated, or None after reporting its problem on ``agenda``."""
    if isinstance(entry, str):
        entry = {"title": entry}
    if not isinstance(entry, dict):
        f.error("agenda", _("Item %(n)d must be an object with a title.", n=n))
        return None
    sub = Fields(entry)
    item = {
        "id": sub.int("id", required=False, min_value=1),
        "title": sub.str("title", max_len=500),
        "presenter_id": sub.int("presenter_id", required=False, min_value=1),
        "planned_minutes": sub.int("planned_minutes", required=False, min_value=1, max_value=1440),
    }
    for name, message in sub.errors.items():
        _agenda_error(f, n, name, message)
    return None if sub.errors else item


def _desired_invitations(chair, secretary_id, participant_ids, agency_ids):
    """user_id -> (role, via_agency_id): explicit invitations win over agency-wide ones."""
    desired = {}
    if agency_ids:
        for user in agency_invitees(agency_ids):
            desired[user.id] = (ParticipantRole.MEMBER, user.agency_id)
    for uid in participant_ids:
        desired[uid] = (ParticipantRole.MEMBER, None)
    if secretary_id:
        desired[secretary_id] = (ParticipantRole.SECRETARY, desired.get(secretary_id, (None, None))[1])
    desired[chair.id] = (ParticipantRole.CHAIR, None)
    return desired


def agency_invitees(agency_ids):
    """Who an invitation to agencies reaches: each agency's meeting contacts (they answer for it and name
    who attends); an agency that names none, all its active accounts."""
    users = db.session.scalars(users_in_agencies(agency_ids)).all()
    with_contacts = {u.agency_id for u in users if u.meeting_contact}
    return [u for u in users if u.meeting_contact or u.agency_id not in with_contacts]


def _set_agenda(meeting, agenda):
    """An item given with the id of one of the meeting's items keeps its row (its papers, its place in the
    live room) with the new values and position; the others are new, and items not given are deleted."""
    existing = {a.id: a for a in meeting.agenda_items}
    rows = []
    for position, item in enumerate(agenda, start=1):
        row = existing.pop(item.get("id"), None) or AgendaItem()
        row.position, row.title = position, item["title"]
        row.presenter_id, row.planned_minutes = item["presenter_id"], item["planned_minutes"]
        rows.append(row)
    meeting.agenda_items = rows  # delete-orphan: the items left out go
    db.session.flush()


def _sync_invitations(meeting, desired, now):
    """Make the Participant rows match ``desired``; returns the ids of the users newly invited
    and of those no longer invited."""
    existing = {p.user_id: p for p in db.session.scalars(
        db.select(Participant).where(Participant.meeting_id == meeting.id))}
    added, removed = [], []
    for user_id, participant in existing.items():
        if user_id not in desired and participant.substitute_for_id not in desired:  # a substitute stays with
            db.session.delete(participant)                                          # the one they stand in for
            removed.append(user_id)
    for user_id, (role, via) in desired.items():
        participant = existing.get(user_id)
        if participant is None:
            db.session.add(Participant(meeting_id=meeting.id, user_id=user_id, role=role, via_agency_id=via,
                                       invited_at=now))
            added.append(user_id)
        else:
            participant.role = role
            participant.via_agency_id = via
    db.session.flush()
    return added, removed


def create_meeting(actor, data):
    if data.get("recurrence") not in (None, "", {}):
        from meetings import series

        return series.create_series(actor, data)  # a recurring meeting: its occurrences, one invitation
    if not permissions.can_create(actor):
        raise Forbidden(_("Only leaders and administrators schedule meetings."))
    values, participant_ids, agency_ids, agenda = _parse(data)
    chair = _chair_for(actor, data)
    desired = _desired_invitations(chair, values["secretary_id"], participant_ids, agency_ids)
    _check_presenters(agenda, desired)
    now = utcnow()
    meeting = Meeting(chair_id=chair.id, created_by_id=actor.id, status=MeetingStatus.SCHEDULED, created_at=now,
                      **values)
    db.session.add(meeting)
    db.session.flush()
    _set_agenda(meeting, agenda)
    added, _removed = _sync_invitations(meeting, desired, now)
    audit.record(actor, "meeting.create", meeting, title=meeting.title, starts_at=isoformat(meeting.starts_at),
                 invited=len(desired), agency_ids=agency_ids)
    invite(meeting, [uid for uid in added if uid != actor.id], actor)
    db.session.commit()
    return meeting


def _chair_for(actor, data):
    """Who chairs a new meeting: ``chair_id`` (an active leader) when given, else its creator, who
    must then be a leader or an admin (office staff schedule meetings for a leader)."""
    f = Fields(data)
    may_chair_it = permissions.is_staff(actor) or permissions.may_chair(actor)
    chair_id = f.int("chair_id", required=not may_chair_it, min_value=1)
    f.check()
    if chair_id is None or (chair_id == actor.id and may_chair_it):
        return actor
    chair = db.session.get(User, chair_id)
    if chair is None or not chair.active or not permissions.may_chair(chair):
        raise Invalid({"chair_id": _("The chair must be an active leader.")})
    return chair


#: the details an invitee's calendar shows: changing one sends them the updated invitation
_CALENDAR_FIELDS = {"title", "starts_at", "ends_at", "place", "online", "bridge_url"}


def update_meeting(actor, meeting, data, tell=True):
    """``tell=False``: the invitees are not told (a later occurrence of a series edited with this one)."""
    if not permissions.can_change(actor, meeting):
        _refuse_change(actor, meeting)
    from meetings import series

    if series.wants_following(data):
        return series.update_following(actor, meeting, data)
    if meeting.is_over:
        raise Conflict(_("An ended or cancelled meeting cannot be changed."), code="meeting_closed")
    values, participant_ids, agency_ids, agenda = _parse(data)
    if isinstance(data.get("agenda"), str):
        _keep_agenda_details(meeting, agenda)
    chair = db.session.get(User, meeting.chair_id)
    desired = _desired_invitations(chair, values["secretary_id"], participant_ids, agency_ids)
    _check_presenters(agenda, desired)
    changed = {key: [str(old), str(new)] for key, (old, new) in audit.apply_changes(meeting, values).items()}
    _set_agenda(meeting, agenda)
    added, removed = _sync_invitations(meeting, desired, utcnow())
    audit.record(actor, "meeting.update", meeting, changed=changed, invited=len(desired), added=added,
                 removed=removed)
    _next_ics_sequence(meeting)
    revoke_access(meeting, removed)
    connection_points.drop_operators(meeting, removed)
    if tell:
        _tell_invitees(meeting, actor, desired, added, removed,
                       calendar_changed=bool(set(changed) & _CALENDAR_FIELDS))
    publish("meeting:updated", {"meeting_id": meeting.id, "status": meeting.status}, to=room(meeting.id))
    db.session.commit()
    return meeting


def _tell_invitees(meeting, actor, desired, added, removed, calendar_changed):
    """The newly invited get an invitation, the removed a withdrawal, and the others an update when
    what their calendar shows has changed (the actor is never told of their own change)."""
    invite(meeting, [uid for uid in added if uid != actor.id], actor)
    invite(meeting, removed, actor, "removed")
    if calendar_changed:
        invite(meeting, [uid for uid in desired if uid not in added and uid != actor.id], actor, "changed")


def _refuse_change(actor, meeting):
    """Someone who may not even see the meeting is told it does not exist."""
    if not permissions.can_view(actor, meeting):
        raise NotFound(_("Meeting not found."))
    raise Forbidden(_("Only the chair can change this meeting."))


def _keep_agenda_details(meeting, agenda):
    """The page edits titles only: keep each kept item's presenter and planned minutes."""
    kept = {a.title: a for a in meeting.agenda_items}
    for item in agenda:
        old = kept.get(item["title"])
        if old is not None:
            item["presenter_id"] = item["presenter_id"] or old.presenter_id
            item["planned_minutes"] = item["planned_minutes"] or old.planned_minutes


def revoke_access(meeting, user_ids):
    """Users taken off the invitation who may no longer see the meeting leave it at once: their
    sockets leave the room (on every process), their presence ends, and their page is told."""
    users = db.session.scalars(db.select(User).where(User.id.in_(list(user_ids)))).all() if user_ids else []
    gone = [u.id for u in users if not permissions.can_join(u, meeting)]
    if not gone:
        return
    # queued before anything else this change sends to the room, so none of it reaches them
    leave_room_after_commit(room(meeting.id), gone)
    for user_id in gone:
        publish("meeting:removed", {"meeting_id": meeting.id}, to=user_room(user_id))
    close_spans([AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.user_id.in_(gone)])
    call.drop_users(meeting, gone)


def _next_ics_sequence(meeting):
    """One more change sent to the calendars. Counted in SQL, so two changes at once (the row is locked
    by the first) still send two numbers."""
    meeting.ics_sequence = Meeting.ics_sequence + 1
    db.session.flush()


def invitation_ics(meeting, method="REQUEST"):
    return ics.build(meeting, participants_of(meeting), method=method, sequence=meeting.ics_sequence)


def removal_ics(meeting, user):
    """The CANCEL sent to one invitee taken off the list (RFC 5546: the same UID, a higher SEQUENCE, the
    removed attendee named), so their calendar drops the meeting while it goes on for the others."""
    return ics.build(meeting, [], method="CANCEL", sequence=meeting.ics_sequence, attendees=[user])


def _invitation_text(meeting, kind):
    when = datetime_filter(meeting.starts_at)
    return {
        "invited": lambda: _('Invitation: "%(title)s", %(when)s', title=meeting.title, when=when),
        "changed": lambda: _('Changed: "%(title)s", now %(when)s', title=meeting.title, when=when),
        "cancelled": lambda: _('Cancelled: "%(title)s", %(when)s', title=meeting.title, when=when),
        "removed": lambda: _('You are no longer invited: "%(title)s", %(when)s', title=meeting.title, when=when),
    }[kind]()


def _invitation_subject(meeting, kind):
    return {
        "invited": lambda: _("Meeting invitation: %(title)s", title=meeting.title),
        "changed": lambda: _("Meeting changed: %(title)s", title=meeting.title),
        "cancelled": lambda: _("Meeting cancelled: %(title)s", title=meeting.title),
        "removed": lambda: _("Invitation withdrawn: %(title)s", title=meeting.title),
    }[kind]()


def invite(meeting, user_ids, actor, kind="invited"):
    """Tell these users about the meeting: a notification each and, when mail is on, an e-mail
    with the calendar entry (.ics: REQUEST to invite or update, CANCEL when cancelled)."""
    if not user_ids:
        return
    from notifications import mail
    from notifications.services import notify

    users = db.session.scalars(db.select(User).where(User.id.in_(list(user_ids)))).all()
    link = "/meetings" if kind == "removed" else f"/meetings/{meeting.id}"  # the meeting is no longer theirs to open
    notify(users, f"meeting.{kind}", lambda user: _invitation_text(meeting, kind), link)
    if mail.mail_enabled():
        _mail_invitations(meeting, users, kind)


def _mail_invitations(meeting, users, kind):
    """One e-mail per user with an address, in their language, with the .ics attached."""
    from flask_babel import force_locale

    from notifications import mail

    db.session.flush()
    method = "CANCEL" if kind in ("cancelled", "removed") else "REQUEST"
    attachment = [("moi-hop.ics" if method == "REQUEST" else "huy-hop.ics", "text/calendar",
                   invitation_ics(meeting, method=method))]
    for user in users:
        if not user.email:
            continue
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            details = _(
                "Time: %(when)s\nPlace: %(place)s\nChair: %(chair)s\nDetails: %(url)s",
                when=datetime_filter(meeting.starts_at), place=meeting.place or _("Online"),
                chair=meeting.chair.full_name if meeting.chair else "", url=ics.meeting_url(meeting),
            )
            body = f"{_invitation_text(meeting, kind)}\n\n{details}"
            subject = _invitation_subject(meeting, kind)
        if kind == "removed":
            attachment = [("huy-hop.ics", "text/calendar", removal_ics(meeting, user))]
        mail.send_after_commit(user.email, subject, body, attachments=attachment)


def cancel_meeting(actor, meeting, reason="", tell=True):
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can cancel this meeting."))
    f = Fields({"reason": reason})
    reason = f.str("reason", required=False, max_len=500, default="", multiline=True)
    f.check()
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(_("Only a meeting that has not started can be cancelled."), code="not_scheduled")
    meeting.status = MeetingStatus.CANCELLED
    meeting.ended_at = utcnow()
    _close_outcomes(meeting)
    call.end_call(meeting)
    audit.record(actor, "meeting.cancel", meeting, reason=reason)
    _next_ics_sequence(meeting)
    if tell:
        invite(meeting, [p.user_id for p in participants_of(meeting) if p.user_id != actor.id], actor, "cancelled")
    publish("meeting:status", status_payload(meeting), to=room(meeting.id))
    db.session.commit()
    return meeting


def start_meeting(actor, meeting):
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can start the meeting."))
    if meeting.status == MeetingStatus.LIVE:
        return meeting  # starting twice changes nothing
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(_("This meeting is over."), code="meeting_ended")
    meeting.status = MeetingStatus.LIVE
    meeting.started_at = utcnow()
    audit.record(actor, "meeting.start", meeting)
    publish("meeting:status", status_payload(meeting), to=room(meeting.id))
    from notifications.services import notify

    invitees = [p.user for p in participants_of(meeting) if p.user_id != actor.id]
    notify(invitees, "meeting.live", lambda user: _('The meeting "%(title)s" has started.', title=meeting.title),
           f"/meetings/{meeting.id}/room")
    db.session.commit()
    return meeting


def end_meeting(actor, meeting):
    """Live -> ended: chat closes, every open attendance span is closed at the end time."""
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can end the meeting."))
    if meeting.status == MeetingStatus.ENDED:
        return meeting
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict(_("Only a live meeting can be ended."), code="not_live")
    now = utcnow()
    meeting.status = MeetingStatus.ENDED
    meeting.ended_at = now
    _close_outcomes(meeting)
    call.end_call(meeting)
    db.session.execute(
        db.update(AttendanceSpan)
        .where(AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.left_at.is_(None))
        .values(left_at=now)
    )
    audit.record(actor, "meeting.end", meeting)
    publish("meeting:status", status_payload(meeting), to=room(meeting.id))
    publish("meeting:presence", {"meeting_id": meeting.id, "present": []}, to=room(meeting.id))
    db.session.commit()
    return meeting


def _close_outcomes(meeting):
    """A meeting that ends or is cancelled closes its open votes, with their result, and its
    speaker queue, in the same transaction as the status change."""
    votes.close_all(meeting, reason="meeting_over")
    speakers.clear(meeting)
    agenda_control.close_when_over(meeting)


def current_values(meeting):
    """The meeting as the input dict its services take (a PATCH merges into it)."""
    participants = participants_of(meeting)
    return {
        "title": meeting.title,
        "description": meeting.description,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "online": meeting.online,
        "bridge_url": meeting.bridge_url,
        "secretary_id": meeting.secretary_id,
        "participant_ids": [p.user_id for p in participants
                            if p.via_agency_id is None and p.role != ParticipantRole.CHAIR],
        "agency_ids": sorted({p.via_agency_id for p in participants if p.via_agency_id}),
        "agenda": [{"id": a.id, "title": a.title, "presenter_id": a.presenter_id,
                    "planned_minutes": a.planned_minutes} for a in meeting.agenda_items],
    }

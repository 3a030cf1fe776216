"""Every change to meetings, invitations, presence and chat: the only writer.

Pages, the JSON API and the socket handlers all call these functions. Each
checks permissions (meetings.permissions), validates, writes an audit row,
queues realtime events (sent after commit) and commits.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from auth.models import Agency, User
from auth.protocol import person_key
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, ServiceError
from core.extensions import db
from core.i18n import datetime_filter
from core.realtime import SocketConnection, leave_room_after_commit, publish, user_room
from core.validation import Fields, payload_id, text_problem
from meetings import attendance as attendance_calc
from meetings import ics, permissions
from meetings.models import AgendaItem, AttendanceSpan, ChatMessage, Meeting, Participant

MAX_AGENDA_ITEMS = 50
MAX_DESCRIPTION = 5000
HISTORY_PAGE = 50
MAX_PAGE = 200
#: at most this many missed messages come back in one join ack; the client pages the rest
MAX_REPLAY = 1000


def room(meeting_id):
    """The Socket.IO room of one meeting."""
    return f"meeting:{meeting_id}"


# -- reading --------------------------------------------------------------------

def _load(meeting_id, *options):
    try:
        meeting_id = int(meeting_id)
    except (TypeError, ValueError):
        return None
    if options:
        return db.session.scalar(db.select(Meeting).where(Meeting.id == meeting_id).options(*options))
    return db.session.get(Meeting, meeting_id)


def get_meeting(user, meeting_id, full=False):
    """The meeting if ``user`` may see it; NotFound otherwise (also when it exists)."""
    options = ()
    if full:
        options = (
            selectinload(Meeting.participants).joinedload(Participant.user).joinedload(User.agency),
            selectinload(Meeting.agenda_items).joinedload(AgendaItem.presenter),
            joinedload(Meeting.chair),
            joinedload(Meeting.secretary),
        )
    meeting = _load(meeting_id, *options)
    if meeting is None or not permissions.can_view(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def participants_of(meeting):
    """Participant rows with users and agencies: the chair, the secretary, then protocol order."""
    rows = db.session.scalars(
        db.select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(Participant.meeting_id == meeting.id)
        .options(joinedload(Participant.user).joinedload(User.agency))
    ).all()
    rank = {"chair": 0, "secretary": 1, "member": 2, "guest": 3}
    return sorted(rows, key=lambda p: (rank.get(p.role, 9), person_key(p.user)))


def list_for(user, scope="mine", now=None):
    """Meetings for the list page: {"live": [...], "upcoming": [...], "past": [...]}.

    ``scope="all"`` (leaders and admins) lists every meeting, otherwise the ones
    the user is invited to.
    """
    now = now or utcnow()
    query = db.select(Meeting).options(joinedload(Meeting.chair))
    if not (scope == "all" and permissions.is_staff(user)):
        invited = db.select(Participant.meeting_id).where(Participant.user_id == user.id)
        query = query.where(db.or_(Meeting.id.in_(invited), Meeting.chair_id == user.id))
    live = db.session.scalars(query.where(Meeting.status == "live").order_by(Meeting.started_at.desc())).all()
    upcoming = db.session.scalars(
        query.where(Meeting.status == "scheduled").order_by(Meeting.starts_at)
    ).all()
    past = db.session.scalars(
        query.where(Meeting.status.in_(("ended", "cancelled")))
        .order_by(db.func.coalesce(Meeting.ended_at, Meeting.starts_at).desc())
        .limit(100)
    ).all()
    counts = participant_counts([m.id for m in live + upcoming + past])
    return {"live": live, "upcoming": upcoming, "past": past, "counts": counts}


def participant_counts(meeting_ids):
    if not meeting_ids:
        return {}
    return dict(
        db.session.execute(
            db.select(Participant.meeting_id, db.func.count(Participant.id))
            .where(Participant.meeting_id.in_(meeting_ids))
            .group_by(Participant.meeting_id)
        ).all()
    )


def today_for(user, now=None):
    """The home section: the user's live meetings and those planned for today (display time zone)."""
    from core.validation import display_zone

    now = now or utcnow()
    local = now.astimezone(display_zone())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    invited = db.select(Participant.meeting_id).where(Participant.user_id == user.id)
    rows = db.session.scalars(
        db.select(Meeting)
        .where(Meeting.id.in_(invited))
        .where(
            db.or_(
                Meeting.status == "live",
                db.and_(Meeting.status == "scheduled", Meeting.starts_at >= day_start, Meeting.starts_at < day_end),
            )
        )
        .order_by(Meeting.status != "live", Meeting.starts_at)
        .options(joinedload(Meeting.chair))
    ).all()
    return rows


# -- scheduling -----------------------------------------------------------------

def _active_users(ids):
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids), User.active.is_(True)))}


def _parse(data, actor):
    """Validated meeting fields, the invitation list and the agenda, or one Invalid naming every bad field."""
    f = Fields(data)
    values = {
        "title": f.str("title", max_len=255),
        "description": f.str("description", required=False, max_len=MAX_DESCRIPTION, default="", multiline=True),
        "starts_at": f.datetime("starts_at"),
        "ends_at": f.datetime("ends_at", required=False),
        "place": f.str("place", required=False, max_len=255, default=""),
        "online": f.bool("online", default=True),
    }
    participant_ids = f.int_list("participant_ids")
    agency_ids = f.int_list("agency_ids")
    secretary_id = f.int("secretary_id", required=False, min_value=1)
    if values["starts_at"] and values["ends_at"] and values["ends_at"] <= values["starts_at"]:
        f.error("ends_at", _("The end must be after the start."))

    users = _active_users(set(participant_ids) | ({secretary_id} if secretary_id else set()))
    unknown = [uid for uid in participant_ids if uid not in users]
    if unknown:
        f.error("participant_ids", _("Unknown or inactive users: %(ids)s", ids=", ".join(map(str, unknown))))
    if secretary_id and secretary_id not in users:
        f.error("secretary_id", _("Unknown or inactive user."))
    agencies = {}
    if agency_ids:
        agencies = {a.id: a for a in db.session.scalars(
            db.select(Agency).where(Agency.id.in_(agency_ids), Agency.active.is_(True)))}
        missing = [aid for aid in agency_ids if aid not in agencies]
        if missing:
            f.error("agency_ids", _("Unknown or inactive agencies: %(ids)s", ids=", ".join(map(str, missing))))

    agenda = _parse_agenda(data.get("agenda"), f)
    f.check()
    values["secretary_id"] = secretary_id
    return values, participant_ids, agency_ids, users, agenda


def _parse_agenda(raw, f):
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
    items = []
    for n, entry in enumerate(raw, start=1):
        if isinstance(entry, str):
            entry = {"title": entry}
        if not isinstance(entry, dict):
            f.error("agenda", _("Item %(n)d must be an object with a title.", n=n))
            return []
        sub = Fields(entry)
        title = sub.str("title", max_len=500)
        presenter_id = sub.int("presenter_id", required=False, min_value=1)
        planned = sub.int("planned_minutes", required=False, min_value=1, max_value=1440)
        if sub.errors:
            name, message = next(iter(sub.errors.items()))
            f.error("agenda", _("Item %(n)d, %(field)s: %(message)s", n=n, field=name, message=message))
            return []
        items.append({"title": title, "presenter_id": presenter_id, "planned_minutes": planned})
    presenters = {i["presenter_id"] for i in items if i["presenter_id"]}
    if presenters and len(_active_users(presenters)) != len(presenters):
        f.error("agenda", _("Unknown presenter."))
    return items


def _desired_invitations(chair, secretary_id, participant_ids, agency_ids):
    """user_id -> (role, via_agency_id): explicit invitations win over agency-wide ones."""
    desired = {}
    if agency_ids:
        for user_id, agency_id in db.session.execute(
            db.select(User.id, User.agency_id).where(User.agency_id.in_(agency_ids), User.active.is_(True))
        ):
            desired[user_id] = ("member", agency_id)
    for uid in participant_ids:
        desired[uid] = ("member", None)
    if secretary_id:
        desired[secretary_id] = ("secretary", desired.get(secretary_id, (None, None))[1])
    desired[chair.id] = ("chair", None)
    return desired


def _set_agenda(meeting, agenda):
    meeting.agenda_items.clear()
    db.session.flush()
    for position, item in enumerate(agenda, start=1):
        meeting.agenda_items.append(
            AgendaItem(position=position, title=item["title"], presenter_id=item["presenter_id"],
                       planned_minutes=item["planned_minutes"])
        )


def _sync_invitations(meeting, desired, now):
    """Make the Participant rows match ``desired``; returns the ids of the users newly invited
    and of those no longer invited."""
    existing = {p.user_id: p for p in db.session.scalars(
        db.select(Participant).where(Participant.meeting_id == meeting.id))}
    added, removed = [], []
    for user_id, participant in existing.items():
        if user_id not in desired:
            db.session.delete(participant)
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
    if not permissions.can_create(actor):
        raise Forbidden(_("Only leaders and administrators schedule meetings."))
    values, participant_ids, agency_ids, _users, agenda = _parse(data, actor)
    chair = _chair_for(actor, data)
    now = utcnow()
    meeting = Meeting(chair_id=chair.id, created_by_id=actor.id, status="scheduled", created_at=now, **values)
    db.session.add(meeting)
    db.session.flush()
    _set_agenda(meeting, agenda)
    desired = _desired_invitations(chair, values["secretary_id"], participant_ids, agency_ids)
    added, _removed = _sync_invitations(meeting, desired, now)
    audit.record(actor, "meeting.create", meeting, title=meeting.title, starts_at=isoformat(meeting.starts_at),
                 invited=len(desired), agency_ids=agency_ids)
    _invite(meeting, [uid for uid in added if uid != actor.id], actor)
    db.session.commit()
    return meeting


def _chair_for(actor, data):
    """Who chairs a new meeting: ``chair_id`` (an active leader) when given, else its creator, who
    must then be a leader or an admin (office staff schedule meetings for a leader)."""
    f = Fields(data)
    chair_id = f.int("chair_id", required=not permissions.is_staff(actor), min_value=1)
    f.check()
    if chair_id is None or (chair_id == actor.id and permissions.is_staff(actor)):
        return actor
    chair = db.session.get(User, chair_id)
    if chair is None or not chair.active or chair.role != "leader":
        raise Invalid({"chair_id": _("The chair must be an active leader.")})
    return chair


def update_meeting(actor, meeting, data):
    if not permissions.can_change(actor, meeting):
        raise NotFound(_("Meeting not found.")) if not permissions.can_view(actor, meeting) else Forbidden(
            _("Only the chair can change this meeting."))
    if meeting.status not in ("scheduled", "live"):
        raise Conflict(_("An ended or cancelled meeting cannot be changed."), code="meeting_closed")
    values, participant_ids, agency_ids, _users, agenda = _parse(data, actor)
    if isinstance(data.get("agenda"), str):
        # the page edits titles only: keep each kept item's presenter and planned minutes
        kept = {a.title: a for a in meeting.agenda_items}
        for item in agenda:
            old = kept.get(item["title"])
            if old is not None:
                item["presenter_id"] = item["presenter_id"] or old.presenter_id
                item["planned_minutes"] = item["planned_minutes"] or old.planned_minutes
    before = {k: getattr(meeting, k) for k in values}
    for key, value in values.items():
        setattr(meeting, key, value)
    _set_agenda(meeting, agenda)
    chair = db.session.get(User, meeting.chair_id)
    desired = _desired_invitations(chair, values["secretary_id"], participant_ids, agency_ids)
    added, removed = _sync_invitations(meeting, desired, utcnow())
    changed = {k: [str(before[k]), str(v)] for k, v in values.items() if before[k] != v}
    audit.record(actor, "meeting.update", meeting, changed=changed, invited=len(desired), added=added,
                 removed=removed)
    _revoke_access(meeting, removed)
    _invite(meeting, [uid for uid in added if uid != actor.id], actor)
    _invite(meeting, removed, actor, "removed")
    if set(changed) & {"title", "starts_at", "ends_at", "place", "online"}:
        kept = [uid for uid in desired if uid not in added and uid != actor.id]
        _invite(meeting, kept, actor, "changed")
    publish("meeting:updated", {"meeting_id": meeting.id, "status": meeting.status}, to=room(meeting.id))
    db.session.commit()
    return meeting


def _revoke_access(meeting, user_ids):
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
    _close_spans([AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.user_id.in_(gone)])


def ics_sequence(meeting):
    """Grows with each change, so calendars replace the older invitation."""
    return db.session.scalar(
        db.select(db.func.count())
        .select_from(audit.AuditLog)
        .where(audit.AuditLog.object_type == "meeting", audit.AuditLog.object_id == meeting.id,
               audit.AuditLog.action.in_(("meeting.update", "meeting.cancel")))
    ) or 0


def invitation_ics(meeting, method="REQUEST"):
    return ics.build(meeting, participants_of(meeting), method=method, sequence=ics_sequence(meeting))


def _invite(meeting, user_ids, actor, kind="invited"):
    """Tell these users about the meeting: a notification each and, when mail is on, an e-mail
    with the calendar entry (.ics: REQUEST to invite or update, CANCEL when cancelled)."""
    if not user_ids:
        return
    from flask_babel import force_locale

    from notifications import mail
    from notifications.services import notify

    users = db.session.scalars(db.select(User).where(User.id.in_(list(user_ids)))).all()
    when = meeting.starts_at
    texts = {
        "invited": lambda: _('Invitation: "%(title)s", %(when)s', title=meeting.title, when=datetime_filter(when)),
        "changed": lambda: _('Changed: "%(title)s", now %(when)s', title=meeting.title, when=datetime_filter(when)),
        "cancelled": lambda: _('Cancelled: "%(title)s", %(when)s', title=meeting.title, when=datetime_filter(when)),
        "removed": lambda: _('You are no longer invited: "%(title)s", %(when)s', title=meeting.title,
                             when=datetime_filter(when)),
    }
    link = "/meetings" if kind == "removed" else f"/meetings/{meeting.id}"  # the meeting is no longer theirs to open
    notify(users, f"meeting.{kind}", lambda user: texts[kind](), link)
    if not mail.mail_enabled():
        return
    db.session.flush()
    method = "CANCEL" if kind in ("cancelled", "removed") else "REQUEST"
    attachment = [("moi-hop.ics" if method == "REQUEST" else "huy-hop.ics", "text/calendar",
                   invitation_ics(meeting, method=method))]
    for user in users:
        if not user.email:
            continue
        with force_locale(user.locale or "vi"):
            subjects = {
                "invited": _("Meeting invitation: %(title)s", title=meeting.title),
                "changed": _("Meeting changed: %(title)s", title=meeting.title),
                "cancelled": _("Meeting cancelled: %(title)s", title=meeting.title),
                "removed": _("Invitation withdrawn: %(title)s", title=meeting.title),
            }
            details = _(
                "Time: %(when)s\nPlace: %(place)s\nChair: %(chair)s\nDetails: %(url)s",
                when=datetime_filter(when), place=meeting.place or _("Online"),
                chair=meeting.chair.full_name if meeting.chair else "", url=ics.meeting_url(meeting),
            )
            body = f"{texts[kind]()}\n\n{details}"
            subject = subjects[kind]
        mail.send_after_commit(user.email, subject, body, attachments=attachment)


def cancel_meeting(actor, meeting, reason=""):
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can cancel this meeting."))
    f = Fields({"reason": reason})
    reason = f.str("reason", required=False, max_len=500, default="", multiline=True)
    f.check()
    if meeting.status != "scheduled":
        raise Conflict(_("Only a meeting that has not started can be cancelled."), code="not_scheduled")
    meeting.status = "cancelled"
    meeting.ended_at = utcnow()
    audit.record(actor, "meeting.cancel", meeting, reason=reason)
    _invite(meeting, [p.user_id for p in participants_of(meeting) if p.user_id != actor.id], actor, "cancelled")
    publish("meeting:status", _status_payload(meeting), to=room(meeting.id))
    db.session.commit()
    return meeting


def _status_payload(meeting):
    return {
        "meeting_id": meeting.id,
        "status": meeting.status,
        "started_at": isoformat(meeting.started_at),
        "ended_at": isoformat(meeting.ended_at),
    }


def start_meeting(actor, meeting):
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can start the meeting."))
    if meeting.status == "live":
        return meeting  # starting twice changes nothing
    if meeting.status != "scheduled":
        raise Conflict(_("This meeting is over."), code="meeting_ended")
    meeting.status = "live"
    meeting.started_at = utcnow()
    audit.record(actor, "meeting.start", meeting)
    publish("meeting:status", _status_payload(meeting), to=room(meeting.id))
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
    if meeting.status == "ended":
        return meeting
    if meeting.status != "live":
        raise Conflict(_("Only a live meeting can be ended."), code="not_live")
    now = utcnow()
    meeting.status = "ended"
    meeting.ended_at = now
    db.session.execute(
        db.update(AttendanceSpan)
        .where(AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.left_at.is_(None))
        .values(left_at=now)
    )
    audit.record(actor, "meeting.end", meeting)
    publish("meeting:status", _status_payload(meeting), to=room(meeting.id))
    publish("meeting:presence", {"meeting_id": meeting.id, "present": []}, to=room(meeting.id))
    db.session.commit()
    return meeting


# -- presence -------------------------------------------------------------------

def present_user_ids(meeting_id):
    """Users with an open attendance span (a socket in the room), sorted."""
    return sorted(db.session.scalars(
        db.select(AttendanceSpan.user_id).distinct()
        .where(AttendanceSpan.meeting_id == meeting_id, AttendanceSpan.left_at.is_(None))
    ).all())


def _user_open_spans(meeting_id, user_id):
    return db.session.scalar(
        db.select(db.func.count(AttendanceSpan.id)).where(
            AttendanceSpan.meeting_id == meeting_id, AttendanceSpan.user_id == user_id,
            AttendanceSpan.left_at.is_(None))
    )


def _publish_presence(meeting_id):
    publish("meeting:presence", {"meeting_id": meeting_id, "present": present_user_ids(meeting_id)},
            to=room(meeting_id))


def _meeting_for_socket(user, data):
    """The meeting named in a socket payload, or the ack error the API contract names.

    A meeting the user may not join answers exactly as one that does not exist: no id oracle."""
    meeting = _load(payload_id(data, "meeting_id"))
    if meeting is None or not permissions.can_join(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def join(user, data, sid, now=None):
    """A socket enters the room: an attendance span opens while the meeting runs.

    Returns (meeting, last_message_id). The caller puts the socket in the room,
    then asks :func:`replay` for what it missed, so nothing falls in between.
    """
    meeting = _meeting_for_socket(user, data)
    last_id = payload_id(data, "last_message_id", required=False, minimum=0)
    if meeting.status in ("scheduled", "live") and db.session.get(SocketConnection, sid) is not None:
        already = db.session.scalar(
            db.select(AttendanceSpan.id).where(AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.sid == sid,
                                               AttendanceSpan.left_at.is_(None))
        )
        if already is None:
            was_present = _user_open_spans(meeting.id, user.id) > 0
            db.session.add(AttendanceSpan(meeting_id=meeting.id, user_id=user.id, sid=sid, joined_at=now or utcnow()))
            db.session.flush()
            if not was_present:
                _publish_presence(meeting.id)
            db.session.commit()
    return meeting, last_id


def still_allowed(user, meeting):
    """Read again after the socket entered the room: an invitation withdrawn between the join's
    check and the room entry must not leave the socket inside."""
    db.session.commit()  # a new transaction (and snapshot) for the second look
    fresh = _load(meeting.id)
    return fresh is not None and permissions.can_join(user, fresh)


def replay(meeting, last_id):
    """The join ack: who is present and the messages after ``last_id`` (or the latest page)."""
    if last_id is None:
        messages = list(reversed(db.session.scalars(
            db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id)
            .order_by(ChatMessage.id.desc()).limit(HISTORY_PAGE).options(joinedload(ChatMessage.author))
        ).all()))
    else:
        messages = db.session.scalars(
            db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id, ChatMessage.id > last_id)
            .order_by(ChatMessage.id).limit(MAX_REPLAY).options(joinedload(ChatMessage.author))
        ).all()
    return {
        "ok": True,
        "meeting_id": meeting.id,
        "status": meeting.status,
        "present": present_user_ids(meeting.id),
        "messages": [message_to_dict(m) for m in messages],
        "more": len(messages) >= (HISTORY_PAGE if last_id is None else MAX_REPLAY),
    }


def _close_spans(criteria, now=None):
    """Close open spans matching ``criteria``; publish presence where someone's last socket left."""
    spans = db.session.scalars(db.select(AttendanceSpan).where(AttendanceSpan.left_at.is_(None), *criteria)).all()
    if not spans:
        return 0
    now = now or utcnow()
    for span in spans:
        span.left_at = max(now, span.joined_at)
    db.session.flush()
    for meeting_id, user_id in {(s.meeting_id, s.user_id) for s in spans}:
        if _user_open_spans(meeting_id, user_id) == 0:
            _publish_presence(meeting_id)
    return len(spans)


def sweep_orphan_spans(now=None):
    """Close open spans whose socket is gone (its SocketConnection row was removed), e.g. a
    disconnect that raced a join. A scheduled job runs it; returns how many it closed."""
    live_sids = db.select(SocketConnection.sid)
    closed = _close_spans([AttendanceSpan.sid.not_in(live_sids)], now=now)
    db.session.commit()
    return closed


def leave(user, data, sid):
    meeting = _meeting_for_socket(user, data)
    _close_spans([AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.sid == sid])
    db.session.commit()
    return meeting


def close_socket(connection):
    """Disconnect hook: the socket's spans close (also for sockets of crashed processes)."""
    _close_spans([AttendanceSpan.sid == connection.sid])
    # the caller (core.realtime) commits


# -- chat -----------------------------------------------------------------------

def message_to_dict(message):
    return {
        "id": message.id,
        "meeting_id": message.meeting_id,
        "author": {"id": message.author_id, "full_name": message.author.full_name if message.author else ""},
        "body": message.body,
        "created_at": isoformat(message.created_at),
        "client_id": message.client_id,
    }


def _existing_message(meeting_id, author_id, client_id):
    return db.session.scalar(
        db.select(ChatMessage).where(ChatMessage.meeting_id == meeting_id, ChatMessage.author_id == author_id,
                                     ChatMessage.client_id == client_id)
    )


def _rate_limited(user, meeting, now):
    count, seconds = current_app.config.get("CHAT_RATE_LIMIT", (10, 10))
    recent = db.session.scalar(
        db.select(db.func.count(ChatMessage.id)).where(
            ChatMessage.meeting_id == meeting.id, ChatMessage.author_id == user.id,
            ChatMessage.created_at > now - timedelta(seconds=seconds))
    )
    return recent >= count


def send_message(user, data, now=None):
    """Store a chat message, then (after commit) broadcast ``chat:message`` to the room.

    Idempotent: the same ``client_id`` from the same user returns the stored message
    and broadcasts nothing new. Returns (message, created).
    """
    meeting = _meeting_for_socket(user, data)
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 64 or text_problem(client_id):
        raise BadRequest(_("client_id must be text of 1 to 64 characters."), code="bad_request")
    client_id = client_id.strip()
    existing = _existing_message(meeting.id, user.id, client_id)
    if existing is not None:
        return existing, False
    body = data.get("body")
    if not isinstance(body, str):
        raise BadRequest(_("The message must be text."), code="bad_request")
    body = body.strip()
    if not body:
        raise ServiceError(_("The message is empty."), code="empty", status=422)
    limit = current_app.config["CHAT_MAX_LENGTH"]
    if len(body) > limit:
        raise ServiceError(_("The message is longer than %(n)d characters.", n=limit), code="too_long", status=413)
    problem = text_problem(body, multiline=True)
    if problem:
        raise BadRequest(problem, code="bad_request", fields={"body": problem})
    if meeting.status == "cancelled":
        raise Conflict(_("This meeting was cancelled."), code="meeting_cancelled")
    if meeting.status == "ended":
        raise Conflict(_("This meeting has ended; the chat is closed."), code="meeting_ended")
    now = now or utcnow()
    if _rate_limited(user, meeting, now):
        raise ServiceError(_("Too many messages. Wait a few seconds."), code="rate_limited", status=429)
    message = ChatMessage(meeting_id=meeting.id, author_id=user.id, body=body, client_id=client_id, created_at=now)
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        # the same retry arrived on another socket or process at the same moment:
        # nothing else is pending in this transaction, so roll back and answer with the stored one
        db.session.rollback()
        existing = _existing_message(meeting.id, user.id, client_id)
        if existing is None:
            raise
        return existing, False
    message.author = user
    payload = message_to_dict(message)
    publish("chat:message", payload, to=room(meeting.id))
    db.session.commit()
    return message, True


def list_messages(user, meeting, after=None, before=None, limit=HISTORY_PAGE):
    """Messages oldest first: after an id, or the page just before an id (scroll-back), or the first page."""
    if not permissions.can_join(user, meeting):
        raise NotFound(_("Meeting not found."))
    limit = max(1, min(int(limit or HISTORY_PAGE), MAX_PAGE))
    query = db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id).options(joinedload(ChatMessage.author))
    if before is not None:
        query = query.where(ChatMessage.id < before)
        if after is not None:
            query = query.where(ChatMessage.id > after)
        rows = list(reversed(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit)).all()))
    else:
        if after is not None:
            query = query.where(ChatMessage.id > after)
        rows = db.session.scalars(query.order_by(ChatMessage.id).limit(limit)).all()
    return rows


# -- attendance -----------------------------------------------------------------

def attendance(user, meeting, now=None):
    """Rows for the attendance table / API over the whole invitation list (and uninvited joiners)."""
    if not permissions.can_see_attendance(user, meeting):
        if permissions.can_view(user, meeting):
            raise Forbidden(_("Only the chair, the secretary and leaders see attendance."))
        raise NotFound(_("Meeting not found."))
    now = now or utcnow()
    participants = participants_of(meeting)
    spans = [
        attendance_calc.Span(uid, joined, left)
        for uid, joined, left in db.session.execute(
            db.select(AttendanceSpan.user_id, AttendanceSpan.joined_at, AttendanceSpan.left_at)
            .where(AttendanceSpan.meeting_id == meeting.id)
        )
    ]
    rows = attendance_calc.compute(
        [p.user_id for p in participants], spans, starts_at=meeting.starts_at, started_at=meeting.started_at,
        ended_at=meeting.ended_at if meeting.status in ("ended", "cancelled") else None, now=now,
    )
    by_id = {p.user_id: p for p in participants}
    extra = [r["user_id"] for r in rows if r["user_id"] not in by_id]
    others = {u.id: u for u in db.session.scalars(
        db.select(User).where(User.id.in_(extra)).options(joinedload(User.agency)))} if extra else {}
    for row in rows:
        p = by_id.get(row["user_id"])
        person = p.user if p else others.get(row["user_id"])
        row["full_name"] = person.full_name if person else ""
        row["agency"] = person.agency.name if person and person.agency else ""
        row["role"] = p.role if p else "guest"
    return rows


def attendance_to_json(rows):
    out = []
    for row in rows:
        item = dict(row)
        item["first_joined_at"] = isoformat(row["first_joined_at"])
        item["last_left_at"] = isoformat(row["last_left_at"])
        out.append(item)
    return out


def meeting_to_dict(meeting, user=None, participants=None):
    participants = participants if participants is not None else participants_of(meeting)
    data = {
        "id": meeting.id,
        "title": meeting.title,
        "description": meeting.description,
        "starts_at": isoformat(meeting.starts_at),
        "ends_at": isoformat(meeting.ends_at),
        "place": meeting.place,
        "online": meeting.online,
        "status": meeting.status,
        "started_at": isoformat(meeting.started_at),
        "ended_at": isoformat(meeting.ended_at),
        "chair_id": meeting.chair_id,
        "secretary_id": meeting.secretary_id,
        "follow_up_of_id": meeting.follow_up_of_id,
        "created_by_id": meeting.created_by_id,
        "created_at": isoformat(meeting.created_at),
        "participants": [
            {
                "user_id": p.user_id,
                "full_name": p.user.full_name,
                "agency_id": p.user.agency_id,
                "role": p.role,
                "via_agency_id": p.via_agency_id,
            }
            for p in participants
        ],
        "agenda": [
            {"id": a.id, "position": a.position, "title": a.title, "presenter_id": a.presenter_id,
             "planned_minutes": a.planned_minutes}
            for a in meeting.agenda_items
        ],
    }
    if user is not None:
        data["permissions"] = permissions.room_perms(user, meeting)
    return data


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
        "secretary_id": meeting.secretary_id,
        "participant_ids": [p.user_id for p in participants if p.via_agency_id is None and p.role != "chair"],
        "agency_ids": sorted({p.via_agency_id for p in participants if p.via_agency_id}),
        "agenda": [{"title": a.title, "presenter_id": a.presenter_id, "planned_minutes": a.planned_minutes}
                   for a in meeting.agenda_items],
    }

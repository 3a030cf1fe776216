"""Conclusions of a meeting, the directives born from them ("Giao nhiệm vụ"), and the follow-up
of an earlier meeting's conclusions. The only writer of these tables.

Every action checks its permission (meetings.permissions), validates, writes an audit row in
the same transaction, queues its realtime event (emitted after commit) and commits.
"""
import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func

from auth.models import Agency
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import Fields, display_zone
from meetings import permissions as perms
from meetings.models import Conclusion, ConclusionDirective, Meeting, MeetingStatus, Participant
from meetings.queries import room, visible_meeting


def for_meeting(meeting):
    """The meeting's conclusions in their order."""
    return db.session.scalars(
        db.select(Conclusion).where(Conclusion.meeting_id == meeting.id).order_by(Conclusion.position, Conclusion.id)
    ).all()


def conclusion_links(meeting):
    """{conclusion_id: [directive ids]} in one query."""
    rows = db.session.execute(
        db.select(ConclusionDirective.conclusion_id, ConclusionDirective.directive_id)
        .join(Conclusion, Conclusion.id == ConclusionDirective.conclusion_id)
        .where(Conclusion.meeting_id == meeting.id)
        .order_by(ConclusionDirective.id)
    ).all()
    out = {}
    for conclusion_id, directive_id in rows:
        out.setdefault(conclusion_id, []).append(directive_id)
    return out


def conclusion_dict(conclusion, links=None):
    return {
        "id": conclusion.id,
        "meeting_id": conclusion.meeting_id,
        "position": conclusion.position,
        "text": conclusion.text,
        "created_at": isoformat(conclusion.created_at),
        "directive_ids": (links or {}).get(conclusion.id, []),
    }


def conclusions_payload(meeting):
    links = conclusion_links(meeting)
    return {"meeting_id": meeting.id, "items": [conclusion_dict(c, links) for c in for_meeting(meeting)]}


def _publish_conclusions(meeting):
    db.session.flush()
    publish("conclusions:updated", conclusions_payload(meeting), to=room(meeting.id))


def get_conclusion(user, conclusion_id):
    conclusion = db.session.get(Conclusion, conclusion_id) if conclusion_id is not None else None
    meeting = visible_meeting(user, conclusion.meeting_id) if conclusion is not None else None
    if meeting is None:
        raise NotFound(_("Conclusion not found."))
    return conclusion, meeting


def _conclusion_text(data):
    f = Fields(data)
    text = f.str("text", max_len=5000, multiline=True)
    f.check()
    return text


def add_conclusion(actor, meeting, data):
    if not perms.can_record_conclusions(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary record conclusions."))
    text = _conclusion_text(data)
    position = (db.session.scalar(
        db.select(func.max(Conclusion.position)).where(Conclusion.meeting_id == meeting.id)) or 0) + 1
    conclusion = Conclusion(meeting_id=meeting.id, position=position, text=text, created_by_id=actor.id,
                            created_at=utcnow())
    db.session.add(conclusion)
    audit.record(actor, "conclusion.create", conclusion, object_type="conclusion", meeting_id=meeting.id)
    _publish_conclusions(meeting)
    db.session.commit()
    return conclusion


def update_conclusion(actor, conclusion, meeting, data):
    if not perms.can_record_conclusions(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary record conclusions."))
    text = _conclusion_text(data)
    if text != conclusion.text:
        audit.record(actor, "conclusion.update", conclusion, object_type="conclusion", text=[conclusion.text, text])
        conclusion.text = text
        _publish_conclusions(meeting)
        db.session.commit()
    return conclusion


def delete_conclusion(actor, conclusion, meeting):
    if not perms.can_record_conclusions(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary record conclusions."))
    if db.session.scalar(db.select(ConclusionDirective.id).where(ConclusionDirective.conclusion_id == conclusion.id)):
        raise Conflict(_("A directive was issued from this conclusion; it cannot be deleted."), code="has_directives")
    audit.record(actor, "conclusion.delete", conclusion, object_type="conclusion", text=conclusion.text)
    db.session.delete(conclusion)
    _publish_conclusions(meeting)
    db.session.commit()


_DATE_IN_TEXT = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\d/])")


def _deadline_from_text(text, now):
    """The first dd/mm[/yyyy] in the text as 17:00 local time that day, if it is ahead; else None."""
    zone = display_zone()
    local_now = now.astimezone(zone)
    for match in _DATE_IN_TEXT.finditer(text or ""):
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else local_now.year
        try:
            when = datetime(year, month, day, 17, 0, tzinfo=zone)
        except ValueError:
            continue
        if not match.group(3) and when < local_now:
            when = when.replace(year=year + 1)
        if when > local_now:
            return when
    return None


def directive_defaults(conclusion, meeting, now=None):
    """The prefilled "Giao nhiệm vụ" form: title and content from the conclusion; the agencies it
    names (the first as lead, the others supporting); a date it mentions, else two weeks, as deadline."""
    now = now or utcnow()
    text = conclusion.text.strip()
    title = text.splitlines()[0] if text else ""
    if len(title) > 200:
        title = title[:197].rstrip() + "…"
    body = _("%(text)s\n\n(Conclusion of the meeting \"%(meeting)s\".)", text=conclusion.text, meeting=meeting.title)
    lowered = text.lower()
    named = []
    for agency_id, name in db.session.execute(db.select(Agency.id, Agency.name).where(Agency.active.is_(True))):
        at = lowered.find(name.lower())
        if at >= 0:
            named.append((at, -len(name), agency_id))
    named = [agency_id for _at, _len, agency_id in sorted(named)]
    deadline = _deadline_from_text(text, now)
    if deadline is None:
        deadline = (now + timedelta(days=14)).astimezone(display_zone()).replace(hour=17, minute=0, second=0,
                                                                                  microsecond=0)
    return {
        "title": title, "body": body, "priority": "normal",
        "lead_agency_id": named[0] if named else "",
        "support_agency_ids": named[1:],
        "deadline": deadline.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M"),
    }


def issue_directive_from_conclusion(actor, conclusion, meeting, data):
    """ "Giao nhiệm vụ": a leader turns the conclusion into a directive whose source is the meeting.

    The directive is issued by directives.services.issue_directive (which notifies the agencies
    live); the link to the conclusion is written in the same transaction when that service lets us.
    """
    if not perms.can_issue_from_conclusion(actor, meeting):
        raise Forbidden(_("Only leaders assign tasks from conclusions."))
    from directives import services as directive_services

    defaults = directive_defaults(conclusion, meeting)
    payload = dict(data or {})
    for key in ("title", "body", "priority"):  # the agencies and the deadline are the leader's choice
        value = payload.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            payload[key] = defaults[key]
    payload["source_meeting_id"] = meeting.id
    conclusion_id = conclusion.id

    def link(directive):
        db.session.add(ConclusionDirective(conclusion_id=conclusion_id, directive_id=directive.id, created_at=utcnow()))
        audit.record(actor, "conclusion.assign", conclusion, object_type="conclusion", directive_id=directive.id)
        _publish_conclusions(meeting)

    directive = directive_services.issue_directive(actor, payload)
    # the directives service committed the directive; the link follows in its own short transaction
    if not db.session.scalar(db.select(ConclusionDirective.id).where(ConclusionDirective.directive_id == directive.id)):
        link(directive)
        db.session.commit()
    return directive


def _directive_rows(meeting_id):
    """The directives born from a meeting, each with its assignments and their tracking, in two queries."""
    if meeting_id is None:
        return []
    from directives.models import Assignment, Directive
    from directives.tracking import tracking_of

    directives = db.session.scalars(
        db.select(Directive).where(Directive.source_meeting_id == meeting_id)
        .options(db.selectinload(Directive.assignments).joinedload(Assignment.agency))
        .order_by(Directive.issued_at, Directive.id)
    ).all()
    now = utcnow()
    out = []
    for directive in directives:
        assignments = [
            {
                "id": a.id,
                "agency_id": a.agency_id,
                "agency_name": a.agency.name if a.agency else "",
                "agency_kind": a.agency.kind if a.agency else None,
                "role": a.role,
                "status": a.status,
                "tracking": tracking_of(a, now=now),
                "deadline": isoformat(a.deadline),
                "progress": a.progress,
            }
            for a in directive.assignments
            if a.parent_id is None  # the agencies the meeting's directive went to; the cascade is on its page
        ]
        out.append({
            "id": directive.id,
            "number": directive.number,
            "title": directive.title,
            "status": directive.status,
            # the lead agency's deadline, which extensions move; the one given at issue beside it
            "deadline": isoformat(directive.current_deadline),
            "deadline_at_issue": isoformat(directive.deadline),
            "issued_at": isoformat(directive.issued_at),
            "assignments": assignments,
        })
    return out


def meeting_directives(meeting):
    """Directives whose source_meeting_id is this meeting."""
    return _directive_rows(meeting.id)


def follow_up_directives(meeting):
    """For a follow-up meeting: the directives born from the earlier meeting, with their status."""
    return _directive_rows(meeting.follow_up_of_id)



def _held_before(meeting):
    """Conditions for a meeting held before ``meeting``: it has started (live or ended) and, if
    ``meeting`` has started too, earlier than it. A scheduled meeting has not happened yet, whatever
    its planned date, so its conclusions cannot be followed up."""
    conditions = [Meeting.id != meeting.id, Meeting.status.in_((MeetingStatus.LIVE, MeetingStatus.ENDED)),
                  Meeting.started_at.is_not(None)]
    if meeting.started_at is not None:
        conditions.append(Meeting.started_at < meeting.started_at)
    return conditions


def follow_up_candidates(actor, meeting, limit=50):
    """Earlier meetings the actor may see that this one can follow up, newest first."""
    query = (
        db.select(Meeting)
        .where(*_held_before(meeting))
        .order_by(Meeting.started_at.desc())
    )
    if not perms.is_staff(actor):
        invited = db.select(Participant.meeting_id).where(Participant.user_id == actor.id)
        query = query.where(db.or_(Meeting.id.in_(invited), Meeting.chair_id == actor.id,
                                   Meeting.secretary_id == actor.id))
    return db.session.scalars(query.limit(limit)).all()


def set_follow_up(actor, meeting, data):
    """Mark the meeting as the follow-up of an earlier one (or clear it with an empty value)."""
    if not perms.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair marks a meeting as a follow-up."))
    f = Fields(data)
    earlier_id = f.int("follow_up_of_id", required=False)
    f.check()
    earlier = None
    if earlier_id is not None:
        earlier = db.session.get(Meeting, earlier_id)
        if earlier is None or not perms.can_view(actor, earlier):
            raise Invalid({"follow_up_of_id": _("No such meeting.")})
        held = db.session.scalar(db.select(Meeting.id).where(Meeting.id == earlier.id, *_held_before(meeting)))
        if held is None:
            raise Invalid({"follow_up_of_id": _(
                "“%(title)s” was not held before this meeting: choose a meeting that has already taken place.",
                title=earlier.title)})
    if meeting.follow_up_of_id != earlier_id:
        audit.record(actor, "meeting.follow_up", meeting, object_type="meeting",
                     follow_up_of_id=[meeting.follow_up_of_id, earlier_id])
        meeting.follow_up_of_id = earlier_id
        db.session.commit()
    return meeting


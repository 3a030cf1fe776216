"""Answers to a meeting invitation: attend, decline (with a reason), or send a substitute of one's own
agency, who is invited in one's place (notified, with the calendar entry). The chair, the secretary and
the organiser see the answers arrive live (``meeting:replies`` on their own sockets), and the attendance
report counts an agency as represented by its substitute.

The only writer of Participant.response, response_reason, responded_at, substitute_id and
substitute_for_id.
"""
from flask_babel import gettext as _

from auth.models import User
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.realtime import publish, user_room
from core.validation import Fields
from meetings import permissions
from meetings.models import MeetingStatus, Participant, ParticipantRole, Reply
from meetings.queries import participants_of

#: who may only attend or decline (the meeting cannot run with someone else in their chair)
NO_SUBSTITUTE = (ParticipantRole.CHAIR, ParticipantRole.SECRETARY)


def _invitation(actor, meeting):
    invitation = permissions.participant(actor, meeting)
    if invitation is None:
        raise NotFound(_("Meeting not found."))
    if meeting.status in (MeetingStatus.ENDED, MeetingStatus.CANCELLED):
        raise Conflict(_("The meeting is over: the invitation can no longer be answered."), code="meeting_over")
    return invitation


def _parse(data, invitation):
    f = Fields(data)
    response = f.choice("response", [r.value for r in Reply])
    reason = f.str("reason", required=False, max_len=500, multiline=True)
    substitute_id = f.int("substitute_id", required=response == Reply.SUBSTITUTE, min_value=1)
    f.check()
    if invitation.role == ParticipantRole.CHAIR and response != Reply.ATTEND:
        message = _("The chair attends: hand the meeting to another chair instead.")
        raise Invalid({"response": message}, message)
    if response == Reply.SUBSTITUTE and (invitation.role in NO_SUBSTITUTE or invitation.substitute_for_id):
        message = _("Only an invited member can send a substitute.")
        raise Invalid({"response": message}, message)
    return response, reason, substitute_id if response == Reply.SUBSTITUTE else None


def _check_substitute(actor, meeting, substitute_id, invitation):
    """A substitute is an active colleague of the same agency who is not already invited on their own."""
    user = db.session.get(User, substitute_id)
    if user is None or not user.active or user.id == actor.id or user.agency_id is None \
            or user.agency_id != actor.agency_id:
        message = _("Choose an active colleague of your own agency.")
        raise Invalid({"substitute_id": message}, message)
    theirs = permissions.participant(user, meeting)
    if theirs is not None and theirs.substitute_for_id != actor.id:
        message = _("%(name)s is already invited.", name=user.full_name)
        raise Invalid({"substitute_id": message}, message)
    return user


def reply(actor, meeting, data):
    """POST /meetings/<id>/rsvp: the invitee's answer; answering again replaces it (and its substitute)."""
    from meetings import services  # the invitation and withdrawal mails live there

    invitation = _invitation(actor, meeting)
    response, reason, substitute_id = _parse(data, invitation)
    substitute = _check_substitute(actor, meeting, substitute_id, invitation) if substitute_id else None
    previous = invitation.substitute_id
    if previous and previous != substitute_id:  # the earlier substitute is no longer invited
        old = db.session.scalar(db.select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.user_id == previous,
            Participant.substitute_for_id == actor.id))
        if old is not None:
            db.session.delete(old)
            db.session.flush()
            services.revoke_access(meeting, [previous])
            services.invite(meeting, [previous], actor, "removed")
    if substitute is not None and previous != substitute.id:
        db.session.add(Participant(meeting_id=meeting.id, user_id=substitute.id, role=ParticipantRole.MEMBER,
                                   via_agency_id=invitation.via_agency_id, substitute_for_id=actor.id,
                                   invited_at=utcnow()))
        db.session.flush()
        services.invite(meeting, [substitute.id], actor)
    invitation.response, invitation.response_reason = response, reason or None
    invitation.substitute_id = substitute.id if substitute else None
    invitation.responded_at = utcnow()
    audit.record(actor, "meeting.reply", meeting, response=response, substitute_id=invitation.substitute_id)
    _tell_organisers(meeting)
    db.session.commit()
    return {"response": response, "substitute_id": invitation.substitute_id}


def _tell_organisers(meeting):
    summary = replies_summary(meeting)
    for user_id in {meeting.chair_id, meeting.secretary_id, meeting.created_by_id} - {None}:
        publish("meeting:replies", summary, to=user_room(user_id))


def replies_for(user, meeting):
    """GET /meetings/<id>/replies: the organisers' and leaders' view of every answer; 403 for other invitees."""
    if not permissions.can_see_attendance(user, meeting):
        raise Forbidden(_("Only the chair, the secretary and leaders see the replies."))
    return replies_summary(meeting)


def replies_summary(meeting):
    """{meeting_id, counts: {attend, decline, substitute, none}, items: [...]}: every invitation's answer."""
    counts = {"attend": 0, "decline": 0, "substitute": 0, "none": 0}
    items = []
    for p in participants_of(meeting):
        counts[p.response or "none"] += 1
        items.append({
            "user_id": p.user_id, "full_name": p.user.full_name, "role": p.role, "response": p.response,
            "reason": p.response_reason, "responded_at": isoformat(p.responded_at),
            "substitute": {"id": p.substitute.id, "full_name": p.substitute.full_name} if p.substitute else None,
            "substitute_for_id": p.substitute_for_id,
        })
    return {"meeting_id": meeting.id, "counts": counts, "items": items}


def substitute_choices(actor, meeting):
    """Colleagues the invitee may send: active users of their agency not invited on their own."""
    if actor.agency_id is None:
        return []
    invited = {p.user_id: p for p in participants_of(meeting)}
    users = db.session.scalars(db.select(User).where(User.agency_id == actor.agency_id, User.active.is_(True),
                                                     User.id != actor.id).order_by(User.full_name)).all()
    return [u for u in users if u.id not in invited or invited[u.id].substitute_for_id == actor.id]


def page_context(user, meeting):
    """What the meeting page shows of the replies: the user's own invitation and whom they may send, and
    for the organisers every answer."""
    invitation = permissions.participant(user, meeting)
    answerable = invitation is not None and meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.LIVE)
    return {
        "my_invitation": invitation,
        "can_reply": answerable,
        "substitute_choices": substitute_choices(user, meeting)
        if answerable and invitation.role not in NO_SUBSTITUTE and not invitation.substitute_for_id else [],
        "substitute_for": db.session.get(User, invitation.substitute_for_id)
        if invitation is not None and invitation.substitute_for_id else None,
        "replies": replies_summary(meeting) if permissions.can_see_attendance(user, meeting) else None,
    }

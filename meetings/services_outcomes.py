"""Meeting outcomes: minutes (revisions, conflict check, final), votes, the speaker queue,
conclusions and the directives born from them. The only writer of these tables.

Every action checks its permission (meetings.permissions), validates, writes an audit
row in the same transaction, queues its realtime event (emitted after commit) and commits.
"""
import hashlib
import hmac
import logging
import re
from datetime import datetime, timedelta

import markdown as md
import nh3
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import event, func, inspect, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from auth.protocol import person_key
from core import audit
from core.collation import sort_key, sorted_vi
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import Fields, text_problem
from meetings import permissions as perms
from meetings.models import (
    SPEAKER_ACTIVE,
    Ballot,
    Conclusion,
    ConclusionDirective,
    Meeting,
    Minutes,
    MinutesRevision,
    Participant,
    SpeakerRequest,
    Vote,
)

log = logging.getLogger(__name__)

#: the longest minutes accepted (characters of Markdown)
MAX_MINUTES = 200_000
#: the usual choices of a Vietnamese meeting vote (data, not UI text: they go into the minutes as is)
DEFAULT_VOTE_OPTIONS = ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
MAX_VOTE_OPTIONS = 10


def room(meeting_id):
    return f"meeting:{meeting_id}"


def get_meeting(user, meeting_id):
    """The meeting if the user may see it, else NotFound (never reveal it exists)."""
    meeting = db.session.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting is None or not perms.can_view(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def _visible_meeting(user, meeting_id):
    """The meeting if the user may see it, else None."""
    meeting = db.session.get(Meeting, meeting_id)
    return meeting if meeting is not None and perms.can_view(user, meeting) else None


def _user_brief(user):
    return {"id": user.id, "full_name": user.full_name} if user is not None else None


def _require_open_meeting(meeting):
    if meeting.status in ("ended", "cancelled"):
        raise Conflict(_("The meeting is over."), code="meeting_over")


# -- Markdown -------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del",
    "blockquote", "ul", "ol", "li", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a",
    "sup", "sub", "dl", "dt", "dd",
}


def render_markdown(text):
    """Markdown to HTML that is safe to show: nh3 keeps only harmless tags, attributes and URLs."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


# -- minutes ------------------------------------------------------------------------

class MinutesConflict(Conflict):
    """A save based on a stale version: carries the current version and body (API.md: top level)."""

    def __init__(self, message, code, version, body, status="draft"):
        super().__init__(message, code=code, version=version, body=body, minutes_status=status)
        self.version, self.body, self.minutes_status = version, body, status

    def to_dict(self):
        data = super().to_dict()
        data["version"] = self.version
        data["body"] = self.body
        data["status"] = self.minutes_status
        return data


def _minutes_row(meeting):
    return db.session.scalar(db.select(Minutes).where(Minutes.meeting_id == meeting.id))


def _ensure_minutes(meeting):
    """The meeting's Minutes row, created at the first save (a racing creator wins, we reuse its row)."""
    row = _minutes_row(meeting)
    if row is not None:
        return row
    row = Minutes(meeting_id=meeting.id, version=0, status="draft", updated_at=utcnow())
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = _minutes_row(meeting)
    return row


def _current_body(meeting_id, version):
    if not version:
        return ""
    return db.session.scalar(
        db.select(MinutesRevision.body).where(
            MinutesRevision.meeting_id == meeting_id, MinutesRevision.version == version
        )
    ) or ""


def minutes_state(meeting):
    """{body, version, status} as API.md shows it (version 0 and empty before the first save)."""
    row = _minutes_row(meeting)
    if row is None:
        return {"body": "", "version": 0, "status": "draft"}
    return {"body": _current_body(meeting.id, row.version), "version": row.version, "status": row.status}


def minutes_payload(meeting, state, actor):
    """The minutes:updated event: the API fields plus the sanitised HTML (rendered once per broadcast)."""
    return {
        "meeting_id": meeting.id,
        "version": state["version"],
        "body": state["body"],
        "status": state["status"],
        "updated_by": actor.id if actor is not None else None,
        "updated_by_name": actor.full_name if actor is not None else None,
        "html": str(render_markdown(state["body"])),
    }


def _publish_minutes(meeting, actor):
    # read after the change, inside the transaction: the event carries what will be committed
    publish("minutes:updated", minutes_payload(meeting, minutes_state(meeting), actor), to=room(meeting.id))


def _stale(meeting, message=None):
    state = minutes_state(meeting)
    if state["status"] == "final":
        return MinutesConflict(_("The minutes are final and can no longer be edited."), "minutes_final",
                               state["version"], state["body"], "final")
    return MinutesConflict(
        message or _("Someone else saved the minutes meanwhile (version %(v)s). Merge your text with theirs and save again.",
                     v=state["version"]),
        "stale_version", state["version"], state["body"],
    )


def _write_revision(actor, meeting, base_version, body, restored_from=None):
    """Move the pointer from base_version to base_version+1 atomically and store the revision.

    The conditional UPDATE is the conflict check: on PostgreSQL a concurrent writer waits and then
    matches no row; on SQLite a writer whose snapshot is stale gets an error. Both become a 409.
    """
    row = _ensure_minutes(meeting)
    if row.status == "final":
        raise _stale(meeting)
    now = utcnow()
    try:
        result = db.session.execute(
            update(Minutes)
            .where(Minutes.id == row.id, Minutes.version == base_version, Minutes.status == "draft")
            .values(version=base_version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise _stale(meeting)
        revision = MinutesRevision(
            meeting_id=meeting.id, version=base_version + 1, body=body, author_id=actor.id,
            created_at=now, restored_from=restored_from,
        )
        db.session.add(revision)
        db.session.flush()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        raise _stale(meeting) from None
    db.session.expire(row)
    return revision


def save_minutes(actor, meeting, data):
    """PUT {body, base_version}: a new revision, or a 409 carrying the current text."""
    if not perms.can_keep_minutes(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary edit the minutes."))
    f = Fields(data)
    base_version = f.int("base_version", min_value=0)
    body = (data or {}).get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        f.error("body", _("Must be text."))
    elif len(body) > MAX_MINUTES:
        f.error("body", _("At most %(n)d characters.", n=MAX_MINUTES))
    elif text_problem(body, multiline=True):
        f.error("body", text_problem(body, multiline=True))
    f.check()
    body = body.replace("\r\n", "\n")
    row = _ensure_minutes(meeting)
    if row.status == "final":
        raise _stale(meeting)
    if row.version != base_version:
        raise _stale(meeting)
    if base_version and body == _current_body(meeting.id, base_version):
        return {"version": base_version, "unchanged": True}  # an autosave with nothing new
    revision = _write_revision(actor, meeting, base_version, body)
    audit.record(actor, "minutes.save", meeting, object_type="meeting", version=revision.version,
                 length=len(body))
    _publish_minutes(meeting, actor)
    db.session.commit()
    return {"version": revision.version}


def restore_revision(actor, meeting, version):
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    if not perms.can_keep_minutes(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary edit the minutes."))
    old = get_revision(meeting, version)
    row = _ensure_minutes(meeting)
    if row.status == "final":
        raise _stale(meeting)
    revision = _write_revision(actor, meeting, row.version, old.body, restored_from=old.version)
    audit.record(actor, "minutes.restore", meeting, object_type="meeting", version=revision.version,
                 restored_from=old.version)
    _publish_minutes(meeting, actor)
    db.session.commit()
    return revision


def finalize_minutes(actor, meeting):
    """Draft -> final (the chair); final is locked. Repeating it changes nothing."""
    if not perms.can_finalize_minutes(actor, meeting):
        raise Forbidden(_("Only the chair finalizes the minutes."))
    row = _ensure_minutes(meeting)
    if row.status == "final":
        return minutes_state(meeting)
    if row.version == 0:
        raise Conflict(_("The minutes are empty: write them before finalizing."), code="minutes_empty")
    row.status = "final"
    row.finalized_at = utcnow()
    row.finalized_by_id = actor.id
    row.updated_at = row.finalized_at
    audit.record(actor, "minutes.finalize", meeting, object_type="meeting", version=row.version)
    _publish_minutes(meeting, actor)
    db.session.commit()
    return minutes_state(meeting)


def minutes_row(meeting):
    return _minutes_row(meeting)


def revisions(meeting):
    """Every revision, newest first, with its author loaded (one query)."""
    return db.session.scalars(
        db.select(MinutesRevision)
        .where(MinutesRevision.meeting_id == meeting.id)
        .options(db.joinedload(MinutesRevision.author))
        .order_by(MinutesRevision.version.desc())
    ).all()


def get_revision(meeting, version):
    revision = db.session.scalar(
        db.select(MinutesRevision).where(MinutesRevision.meeting_id == meeting.id, MinutesRevision.version == version)
    )
    if revision is None:
        raise NotFound(_("Revision not found."))
    return revision


def revision_dict(revision):
    return {
        "version": revision.version,
        "author": _user_brief(revision.author),
        "created_at": isoformat(revision.created_at),
        "restored_from": revision.restored_from,
        "length": len(revision.body),
    }


# -- votes --------------------------------------------------------------------------

def voter_key(vote_id, user_id):
    """One ballot per person without storing who cast an anonymous one."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"vote:{vote_id}:user:{user_id}".encode(), hashlib.sha256).hexdigest()


def get_vote(user, vote_id):
    vote = db.session.get(Vote, vote_id) if vote_id is not None else None
    # one answer whether it does not exist or its meeting is hidden: no id oracle
    if vote is None or not _visible_meeting(user, vote.meeting_id):
        raise NotFound(_("Vote not found."))
    return vote


def tally(vote):
    """Counts per option (aligned with vote.options) and the number of ballots, in SQL."""
    counts = [0] * len(vote.options)
    rows = db.session.execute(
        db.select(Ballot.choice, func.count(Ballot.id)).where(Ballot.vote_id == vote.id).group_by(Ballot.choice)
    ).all()
    for choice, count in rows:
        if 0 <= choice < len(counts):
            counts[choice] = count
    return counts, sum(counts)


def _named_ballots(vote):
    """[{user_id, full_name, choice}] for a named vote; always [] for an anonymous one."""
    if vote.anonymous:
        return []
    from auth.models import User

    rows = db.session.execute(
        db.select(User.id, User.full_name, Ballot.choice)
        .join(User, User.id == Ballot.voter_id)
        .where(Ballot.vote_id == vote.id)
    ).all()
    return [{"user_id": uid, "full_name": name, "choice": choice}
            for uid, name, choice in sorted_vi(rows, key=lambda row: row[1])]


def eligible_voters(meeting):
    """How many may vote: the invited participants."""
    return db.session.scalar(db.select(func.count(Participant.id)).where(Participant.meeting_id == meeting.id)) or 0


def vote_dict(vote, user=None):
    counts, total = (vote.result, sum(vote.result)) if vote.status == "closed" and vote.result else tally(vote)
    data = {
        "id": vote.id,
        "meeting_id": vote.meeting_id,
        "question": vote.question,
        "options": list(vote.options),
        "anonymous": vote.anonymous,
        "status": vote.status,
        "opened_at": isoformat(vote.opened_at),
        "closed_at": isoformat(vote.closed_at),
        "counts": counts,
        "total": total,
        "ballots": _named_ballots(vote),
    }
    if user is not None:
        data["my_choice"] = my_choice(vote, user)
    return data


def my_choice(vote, user):
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        db.select(Ballot.choice).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter_key(vote.id, user.id))
    )


def meeting_votes(meeting, user=None):
    """Every vote of the meeting as vote_dict shows it, in four queries whatever the number of votes."""
    from auth.models import User

    votes = db.session.scalars(db.select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)).all()
    if not votes:
        return []
    ids = [v.id for v in votes]
    counts = {v.id: [0] * len(v.options) for v in votes}
    for vote_id, choice, count in db.session.execute(
        db.select(Ballot.vote_id, Ballot.choice, func.count(Ballot.id))
        .where(Ballot.vote_id.in_(ids)).group_by(Ballot.vote_id, Ballot.choice)
    ):
        if 0 <= choice < len(counts[vote_id]):
            counts[vote_id][choice] = count
    named = {v.id: [] for v in votes}
    named_ids = [v.id for v in votes if not v.anonymous]
    if named_ids:
        for vote_id, uid, name, choice in db.session.execute(
            db.select(Ballot.vote_id, User.id, User.full_name, Ballot.choice)
            .join(User, User.id == Ballot.voter_id)
            .where(Ballot.vote_id.in_(named_ids))
        ):
            named[vote_id].append({"user_id": uid, "full_name": name, "choice": choice})
    for voters in named.values():
        voters.sort(key=lambda row: sort_key(row["full_name"]))
    mine = {}
    if user is not None and getattr(user, "is_authenticated", False):
        keys = {voter_key(v.id, user.id): v.id for v in votes}
        for key, choice in db.session.execute(
            db.select(Ballot.voter_key, Ballot.choice).where(Ballot.vote_id.in_(ids), Ballot.voter_key.in_(keys))
        ):
            mine[keys[key]] = choice
    out = []
    for v in votes:
        shown = v.result if v.status == "closed" and v.result else counts[v.id]
        data = {
            "id": v.id, "meeting_id": v.meeting_id, "question": v.question, "options": list(v.options),
            "anonymous": v.anonymous, "status": v.status, "opened_at": isoformat(v.opened_at),
            "closed_at": isoformat(v.closed_at), "counts": shown, "total": sum(shown), "ballots": named[v.id],
        }
        if user is not None:
            data["my_choice"] = mine.get(v.id)
        out.append(data)
    return out


def open_vote(actor, meeting, data):
    """The chair puts a question to the vote."""
    if not perms.can_run_votes(actor, meeting):
        raise Forbidden(_("Only the chair opens votes."))
    _require_open_meeting(meeting)
    f = Fields(data)
    question = f.str("question", max_len=500)
    raw_options = (data or {}).get("options")
    if isinstance(raw_options, str):
        raw_options = raw_options.splitlines()
    if raw_options in (None, []):
        options = list(DEFAULT_VOTE_OPTIONS)
    elif not isinstance(raw_options, (list, tuple)) or not all(isinstance(o, str) for o in raw_options):
        f.error("options", _("Must be a list of choices."))
        options = []
    else:
        options = list(dict.fromkeys(o.strip() for o in raw_options if o.strip()))
        if len(options) < 2 or len(options) > MAX_VOTE_OPTIONS:
            f.error("options", _("Give between 2 and %(n)d different choices.", n=MAX_VOTE_OPTIONS))
        elif any(len(o) > 200 for o in options):
            f.error("options", _("At most %(n)d characters.", n=200))
        elif any(text_problem(o) for o in options):
            f.error("options", next(text_problem(o) for o in options if text_problem(o)))
    anonymous = f.bool("anonymous")
    f.check()
    vote = Vote(meeting_id=meeting.id, question=question, options=options, anonymous=anonymous,
                status="open", opened_by_id=actor.id, opened_at=utcnow())
    db.session.add(vote)
    audit.record(actor, "vote.open", vote, object_type="vote", meeting_id=meeting.id, question=question,
                 anonymous=anonymous)
    publish("vote:opened", vote_dict(vote), to=room(meeting.id))
    db.session.commit()
    return vote


def _tally_payload(vote, actor, choice):
    """The new counts; for a named vote also the one ballot that changed (not the whole list: a
    1,000-person vote must not send every name with every ballot). Anonymous: counts only."""
    counts, total = tally(vote)
    payload = {"meeting_id": vote.meeting_id, "vote_id": vote.id, "counts": counts, "total": total}
    if not vote.anonymous:
        payload["ballot"] = {"user_id": actor.id, "full_name": actor.full_name, "choice": choice}
    return payload


def cast_ballot(actor, vote, data):
    """Vote once; vote again to change the choice, until the chair closes the vote."""
    meeting = db.session.get(Meeting, vote.meeting_id)
    if not perms.can_cast_ballot(actor, meeting):
        raise Forbidden(_("Only the meeting's participants vote."))
    f = Fields(data)
    choice = f.int("choice", min_value=0, max_value=len(vote.options) - 1)
    f.check()
    if vote.status != "open":
        raise Conflict(_("This vote is closed."), code="vote_closed")
    key = voter_key(vote.id, actor.id)
    # an anonymous ballot keeps no time of its own: matching it with the audit trail's times
    # would tell who chose what
    now = vote.opened_at if vote.anonymous else utcnow()
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == key))
    if ballot is None:
        ballot = Ballot(vote_id=vote.id, voter_key=key, voter_id=None if vote.anonymous else actor.id,
                        choice=choice, cast_at=now)
        db.session.add(ballot)
        try:
            db.session.flush()
        except IntegrityError:  # the same person's other tab won the race: change that ballot
            db.session.rollback()
            ballot = db.session.scalar(db.select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == key))
            ballot.choice, ballot.cast_at = choice, now
    else:
        ballot.choice, ballot.cast_at = choice, now
    # the trail says who took part; for an anonymous vote never what they chose
    details = {"meeting_id": vote.meeting_id}
    if not vote.anonymous:
        details["choice"] = choice
    audit.record(actor, "vote.cast", vote, object_type="vote", **details)
    # the guard against a close that committed meanwhile: only an open vote takes ballots
    if db.session.scalar(db.select(Vote.status).where(Vote.id == vote.id)) != "open":
        db.session.rollback()
        raise Conflict(_("This vote is closed."), code="vote_closed")
    db.session.flush()
    publish("vote:tally", _tally_payload(vote, actor, choice), to=room(vote.meeting_id))
    db.session.commit()
    return choice


def close_vote(actor, vote):
    """The chair closes the vote; its counts are stored as the result. Repeating it changes nothing."""
    meeting = db.session.get(Meeting, vote.meeting_id)
    if not perms.can_run_votes(actor, meeting):
        raise Forbidden(_("Only the chair closes votes."))
    if vote.status == "closed":
        return vote
    changed = db.session.execute(
        update(Vote).where(Vote.id == vote.id, Vote.status == "open")
        .values(status="closed", closed_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(vote)
    if changed != 1:
        db.session.rollback()
        return vote
    counts, total = tally(vote)
    vote.result = counts
    audit.record(actor, "vote.close", vote, object_type="vote", meeting_id=vote.meeting_id, result=counts)
    db.session.flush()
    publish("vote:closed", vote_dict(vote), to=room(vote.meeting_id))
    db.session.commit()
    return vote


# -- speaker queue -----------------------------------------------------------------

def speakers_state(meeting):
    """{meeting_id, current, queue}: who has the floor and who waits, in order of raised hands."""
    rows = db.session.scalars(
        db.select(SpeakerRequest)
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.status.in_(SPEAKER_ACTIVE))
        .options(db.joinedload(SpeakerRequest.user))
        .order_by(SpeakerRequest.requested_at, SpeakerRequest.id)
    ).all()
    current = next((r for r in rows if r.status == "speaking"), None)
    return {
        "meeting_id": meeting.id,
        "current": _speaker_dict(current) if current else None,
        "queue": [_speaker_dict(r) for r in rows if r.status == "waiting"],
    }


def _speaker_dict(req):
    return {
        "id": req.id,
        "user": _user_brief(req.user),
        "status": req.status,
        "requested_at": isoformat(req.requested_at),
        "granted_at": isoformat(req.granted_at),
    }


def _publish_speakers(meeting):
    db.session.flush()
    publish("speakers:updated", speakers_state(meeting), to=room(meeting.id))


def _active_request(meeting, user_id):
    return db.session.scalar(
        db.select(SpeakerRequest)
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.user_id == user_id,
               SpeakerRequest.status.in_(SPEAKER_ACTIVE))
        .order_by(SpeakerRequest.id)
    )


def raise_hand(actor, meeting):
    """Ask for the floor; asking again while waiting changes nothing (the place in the queue is kept)."""
    if not perms.can_request_floor(actor, meeting):
        raise Forbidden(_("Only the meeting's participants ask for the floor."))
    _require_open_meeting(meeting)
    existing = _active_request(meeting, actor.id)
    if existing is not None:
        return existing
    req = SpeakerRequest(meeting_id=meeting.id, user_id=actor.id, status="waiting", requested_at=utcnow())
    db.session.add(req)
    audit.record(actor, "speaker.raise", req, object_type="speaker_request", meeting_id=meeting.id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def lower_hand(actor, meeting):
    """Withdraw one's own request (or end one's own turn). Nothing to withdraw: nothing changes."""
    if not perms.can_request_floor(actor, meeting):
        raise Forbidden(_("Only the meeting's participants ask for the floor."))
    req = _active_request(meeting, actor.id)
    if req is None:
        return None
    req.status = "withdrawn" if req.status == "waiting" else "done"
    req.ended_at = utcnow()
    audit.record(actor, "speaker.lower", req, object_type="speaker_request", meeting_id=meeting.id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def get_speaker_request(user, request_id):
    req = db.session.get(SpeakerRequest, request_id) if request_id is not None else None
    meeting = _visible_meeting(user, req.meeting_id) if req is not None else None
    if meeting is None:
        raise NotFound(_("Request not found."))
    return req, meeting


def grant_floor(actor, req, meeting):
    """The chair gives the floor: the current speaker (if any) is done, this request speaks."""
    if not perms.can_run_speakers(actor, meeting):
        raise Forbidden(_("Only the chair gives the floor."))
    if req.status == "speaking":
        return req
    if req.status != "waiting":
        raise Conflict(_("This request is no longer waiting."), code="not_waiting")
    now = utcnow()
    for current in db.session.scalars(
        db.select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.status == "speaking")
    ):
        current.status, current.ended_at = "done", now
    req.status, req.granted_at = "speaking", now
    audit.record(actor, "speaker.grant", req, object_type="speaker_request", meeting_id=meeting.id,
                 user_id=req.user_id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def remove_request(actor, req, meeting):
    """The chair removes a request from the queue (or takes the floor back)."""
    if not perms.can_run_speakers(actor, meeting):
        raise Forbidden(_("Only the chair manages the speaker queue."))
    if req.status not in SPEAKER_ACTIVE:
        return req
    req.status = "removed" if req.status == "waiting" else "done"
    req.ended_at = utcnow()
    audit.record(actor, "speaker.remove", req, object_type="speaker_request", meeting_id=meeting.id,
                 user_id=req.user_id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


# -- conclusions and the directives born from them ----------------------------------

def conclusions(meeting):
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
    return {"meeting_id": meeting.id, "items": [conclusion_dict(c, links) for c in conclusions(meeting)]}


def _publish_conclusions(meeting):
    db.session.flush()
    publish("conclusions:updated", conclusions_payload(meeting), to=room(meeting.id))


def get_conclusion(user, conclusion_id):
    conclusion = db.session.get(Conclusion, conclusion_id) if conclusion_id is not None else None
    meeting = _visible_meeting(user, conclusion.meeting_id) if conclusion is not None else None
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
    from core.validation import display_zone

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
    from auth.models import Agency
    from core.validation import display_zone

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
        deadline = (now + timedelta(days=14)).astimezone(display_zone()).replace(hour=17, minute=0, second=0, microsecond=0)
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
    try:
        from directives.models import Assignment, Directive
        from directives.tracking import tracking_of
    except ImportError:  # the directives module is not there yet
        return []
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


# -- attendance for the documents -----------------------------------------------------

def attendance_lists(meeting):
    """(present, absent): invited users who joined the live room at least once, and the others."""
    from auth.models import User
    from meetings.models import AttendanceSpan

    joined = db.select(AttendanceSpan.user_id).where(AttendanceSpan.meeting_id == meeting.id).distinct()
    rows = db.session.execute(
        db.select(User, Participant.role, User.id.in_(joined))
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.meeting_id == meeting.id)
        .options(db.joinedload(User.agency))
    ).all()
    rows = sorted(rows, key=lambda row: person_key(row[0]))  # protocol order, as in a biên bản
    present = [(user, role) for user, role, was_there in rows if was_there]
    absent = [(user, role) for user, role, was_there in rows if not was_there]
    return present, absent


# -- follow-up ------------------------------------------------------------------------------

def _held_before(meeting):
    """Conditions for a meeting held before ``meeting``: it has started (live or ended) and, if
    ``meeting`` has started too, earlier than it. A scheduled meeting has not happened yet, whatever
    its planned date, so its conclusions cannot be followed up."""
    conditions = [Meeting.id != meeting.id, Meeting.status.in_(("live", "ended")), Meeting.started_at.is_not(None)]
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


# -- when a meeting ends ------------------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _close_outcomes_of_ended_meetings(sess, _flush_context, _instances):
    """A meeting that ends (or is cancelled) closes its open votes, with their result, and its speaker
    queue, in the same transaction as the status change, whichever service changed it."""
    over = []
    for obj in sess.dirty:
        if isinstance(obj, Meeting) and obj.status in ("ended", "cancelled"):
            history = inspect(obj).attrs.status.history
            if history.has_changes():
                over.append(obj)
    if not over:
        return
    now = utcnow()
    with sess.no_autoflush:
        for meeting in over:
            votes = sess.scalars(db.select(Vote).where(Vote.meeting_id == meeting.id, Vote.status == "open")).all()
            for vote in votes:
                counts, _total = tally(vote)
                vote.status, vote.closed_at, vote.result = "closed", now, counts
                audit.record(None, "vote.close", vote, object_type="vote", meeting_id=meeting.id, result=counts,
                             reason="meeting_over")
                payload = vote_dict(vote)
                payload.update(status="closed", closed_at=isoformat(now), counts=counts, total=sum(counts))
                publish("vote:closed", payload, to=room(meeting.id))
            requests = sess.scalars(
                db.select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id,
                                                SpeakerRequest.status.in_(SPEAKER_ACTIVE))
            ).all()
            for req in requests:
                req.status = "done" if req.status == "speaking" else "removed"
                req.ended_at = now
            if requests:
                publish("speakers:updated", {"meeting_id": meeting.id, "current": None, "queue": []}, to=room(meeting.id))

"""Votes (biểu quyết) in a meeting: open, cast or change a ballot, close with the result; named
or anonymous. The only writer of votes and ballots.

Every action checks its permission (meetings.permissions), validates, writes an audit row in
the same transaction, queues its realtime event (emitted after commit) and commits.
"""
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from auth.models import User
from core import audit
from core.collation import sort_key, sorted_vi
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import Fields, text_problem
from meetings import permissions as perms
from meetings.models import Ballot, Meeting, Vote, VoteStatus
from meetings.queries import require_not_over, room, visible_meeting

#: the usual choices of a Vietnamese meeting vote (data, not UI text: they go into the minutes as is)
DEFAULT_VOTE_OPTIONS = ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
MAX_VOTE_OPTIONS = 10


def voter_key(vote_id, user_id):
    """One ballot per person without storing who cast an anonymous one."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"vote:{vote_id}:user:{user_id}".encode(), hashlib.sha256).hexdigest()


def get_vote(user, vote_id):
    vote = db.session.get(Vote, vote_id) if vote_id is not None else None
    # one answer whether it does not exist or its meeting is hidden: no id oracle
    if vote is None or not visible_meeting(user, vote.meeting_id):
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
    rows = db.session.execute(
        db.select(User.id, User.full_name, Ballot.choice)
        .join(User, User.id == Ballot.voter_id)
        .where(Ballot.vote_id == vote.id)
    ).all()
    return [{"user_id": uid, "full_name": name, "choice": choice}
            for uid, name, choice in sorted_vi(rows, key=lambda row: row[1])]


def _stored_result(vote):
    """The counts stored when the vote closed (shown instead of a new count), else None."""
    return vote.result if vote.status == VoteStatus.CLOSED and vote.result else None


def _shape(vote, counts, ballots):
    return {
        "id": vote.id,
        "meeting_id": vote.meeting_id,
        "question": vote.question,
        "options": list(vote.options),
        "anonymous": vote.anonymous,
        "status": vote.status,
        "opened_at": isoformat(vote.opened_at),
        "closed_at": isoformat(vote.closed_at),
        "counts": counts,
        "total": sum(counts),
        "ballots": ballots,
    }


def vote_dict(vote, user=None):
    counts = _stored_result(vote) or tally(vote)[0]
    data = _shape(vote, counts, _named_ballots(vote))
    if user is not None:
        data["my_choice"] = my_choice(vote, user)
    return data


def my_choice(vote, user):
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        db.select(Ballot.choice).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter_key(vote.id, user.id))
    )


def for_meeting(meeting):
    """The meeting's votes in the order they were opened."""
    return db.session.scalars(db.select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)).all()


def count(meeting):
    return db.session.scalar(db.select(func.count(Vote.id)).where(Vote.meeting_id == meeting.id))


def meeting_votes(meeting, user=None):
    """Every vote of the meeting as vote_dict shows it, in four queries whatever the number of votes."""
    votes = for_meeting(meeting)
    if not votes:
        return []
    counts, named, mine = _counts_of(votes), _ballots_of(votes), _choices_of(votes, user)
    out = []
    for vote in votes:
        data = _shape(vote, _stored_result(vote) or counts[vote.id], named[vote.id])
        if user is not None:
            data["my_choice"] = mine.get(vote.id)
        out.append(data)
    return out


def _counts_of(votes):
    """{vote id: counts per option} in one query."""
    counts = {v.id: [0] * len(v.options) for v in votes}
    for vote_id, choice, n in db.session.execute(
        db.select(Ballot.vote_id, Ballot.choice, func.count(Ballot.id))
        .where(Ballot.vote_id.in_(list(counts))).group_by(Ballot.vote_id, Ballot.choice)
    ):
        if 0 <= choice < len(counts[vote_id]):
            counts[vote_id][choice] = n
    return counts


def _ballots_of(votes):
    """{vote id: [{user_id, full_name, choice}] by name}; always [] for an anonymous vote."""
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
    return named


def _choices_of(votes, user):
    """{vote id: the user's choice} in one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    keys = {voter_key(v.id, user.id): v.id for v in votes}
    return {keys[key]: choice for key, choice in db.session.execute(
        db.select(Ballot.voter_key, Ballot.choice).where(Ballot.vote_id.in_(list(keys.values())),
                                                         Ballot.voter_key.in_(keys))
    )}


def open_vote(actor, meeting, data):
    """The chair puts a question to the vote."""
    if not perms.can_run_votes(actor, meeting):
        raise Forbidden(_("Only the chair opens votes."))
    require_not_over(meeting)
    f = Fields(data)
    question = f.str("question", max_len=500)
    options = _vote_options(f, (data or {}).get("options"))
    anonymous = f.bool("anonymous")
    f.check()
    vote = Vote(meeting_id=meeting.id, question=question, options=options, anonymous=anonymous,
                status=VoteStatus.OPEN, opened_by_id=actor.id, opened_at=utcnow())
    db.session.add(vote)
    audit.record(actor, "vote.open", vote, object_type="vote", meeting_id=meeting.id, question=question,
                 anonymous=anonymous)
    publish("vote:opened", vote_dict(vote), to=room(meeting.id))
    db.session.commit()
    return vote


def _vote_options(f, raw):
    """The choices: the usual three when none are given, else 2 to MAX_VOTE_OPTIONS distinct lines."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    if raw in (None, []):
        return list(DEFAULT_VOTE_OPTIONS)
    if not isinstance(raw, (list, tuple)) or not all(isinstance(o, str) for o in raw):
        f.error("options", _("Must be a list of choices."))
        return []
    options = list(dict.fromkeys(o.strip() for o in raw if o.strip()))
    problem = _options_problem(options)
    if problem:
        f.error("options", problem)
    return options


def _options_problem(options):
    if len(options) < 2 or len(options) > MAX_VOTE_OPTIONS:
        return _("Give between 2 and %(n)d different choices.", n=MAX_VOTE_OPTIONS)
    if any(len(o) > 200 for o in options):
        return _("At most %(n)d characters.", n=200)
    return next((text_problem(o) for o in options if text_problem(o)), None)


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
    if vote.status != VoteStatus.OPEN:
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
    if db.session.scalar(db.select(Vote.status).where(Vote.id == vote.id)) != VoteStatus.OPEN:
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
    if vote.status == VoteStatus.CLOSED:
        return vote
    changed = db.session.execute(
        update(Vote).where(Vote.id == vote.id, Vote.status == VoteStatus.OPEN)
        .values(status=VoteStatus.CLOSED, closed_at=utcnow()).execution_options(synchronize_session=False)
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



def close_all(meeting, reason):
    """Close every open vote of the meeting with its counts as the result (the meeting is over).
    No one closed them by hand, so the audit rows name no actor and say why."""
    now = utcnow()
    open_votes = db.select(Vote).where(Vote.meeting_id == meeting.id, Vote.status == VoteStatus.OPEN)
    for vote in db.session.scalars(open_votes).all():
        counts, _total = tally(vote)
        vote.status, vote.closed_at, vote.result = VoteStatus.CLOSED, now, counts
        audit.record(None, "vote.close", vote, object_type="vote", meeting_id=meeting.id, result=counts,
                     reason=reason)
        publish("vote:closed", vote_dict(vote), to=room(meeting.id))

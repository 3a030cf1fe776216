"""Concurrent writers on a real database (SQLite file and PostgreSQL): of several saves on the same
base version exactly one wins and the others get the 409 with the winner's text; two tabs of one
voter casting at once store one ballot."""
import threading

import pytest
import sqlalchemy as sa

from core.extensions import db
from tests.conftest import fresh_postgres_database
from tests.outcomes_support import MeetingSetup


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    with fresh_postgres_database("minutes") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


def run_at_once(app, n, action):
    """Run action(i) in n threads, each with its own app context and session, released together."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = ("ok", action(i))
            except Exception as exc:  # the outcome is what we check
                results[i] = ("error", exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_saves_on_one_base_version_store_exactly_one(app, factory):
    from auth.models import User
    from meetings import minutes
    from meetings.models import Meeting, MinutesRevision

    s = MeetingSetup(factory)
    minutes.save_minutes(s.secretary, s.meeting, {"body": "v1", "base_version": 0})
    editors = [s.secretary.id, s.chair.id] * 3
    meeting_id = s.meeting_id

    def save(i):
        user = db.session.get(User, editors[i])
        meeting = db.session.get(Meeting, meeting_id)
        return minutes.save_minutes(user, meeting, {"body": f"text {i}", "base_version": 1})["version"]

    results = run_at_once(app, len(editors), save)
    wins = [r for r in results if r[0] == "ok"]
    losses = [r[1] for r in results if r[0] == "error"]
    assert len(wins) == 1 and wins[0][1] == 2, results
    assert all(isinstance(e, minutes.MinutesConflict) for e in losses), losses
    db.session.expire_all()
    state = minutes.minutes_state(s.meeting)
    assert state["version"] == 2
    assert all(e.version in (1, 2) for e in losses)  # a loser sees the winner's text, or retries on v1's
    assert db.session.scalar(db.select(sa.func.count(MinutesRevision.id))) == 2


def test_two_tabs_of_one_voter_store_one_ballot(app, factory):
    from auth.models import User
    from meetings import votes
    from meetings.models import Ballot, Vote

    s = MeetingSetup(factory)
    vote_id = votes.open_vote(s.chair, s.meeting, {"question": "Q?"}).id
    member_id = s.member.id

    def cast(i):
        return votes.cast_ballot(db.session.get(User, member_id), db.session.get(Vote, vote_id), {"choice": i % 3})

    results = run_at_once(app, 4, cast)
    assert all(r[0] == "ok" for r in results), results
    db.session.expire_all()
    assert db.session.scalar(db.select(sa.func.count(Ballot.id)).where(Ballot.vote_id == vote_id)) == 1

"""Votes (biểu quyết): one ballot per person, changeable until closed, anonymous means anonymous."""
import json

import pytest

from core.audit import AuditLog
from core.extensions import db
from meetings import speakers, votes
from meetings.models import Ballot, Vote
from tests.conftest import bearer
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def setup(factory):
    return MeetingSetup(factory)


def open_vote(client, factory, s, **body):
    body.setdefault("question", "Thông qua kế hoạch đầu tư công năm 2027?")
    res = client.post(f"/api/v1/meetings/{s.meeting_id}/votes", json=body, headers=bearer(factory.token(s.chair)))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def cast(client, token, vote_id, choice):
    return client.put(f"/api/v1/votes/{vote_id}/ballot", json={"choice": choice}, headers=bearer(token))


def count(model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_default_options_and_one_ballot_per_person_changeable_until_close(client, factory, setup):
    vote = open_vote(client, factory, setup)
    assert vote["options"] == ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
    assert vote["status"] == "open" and vote["anonymous"] is False
    m1, m2 = factory.token(setup.member), factory.token(setup.member2)
    assert cast(client, m1, vote["id"], 0).status_code == 200
    assert cast(client, m1, vote["id"], 0).status_code == 200  # again: still one ballot
    assert cast(client, m2, vote["id"], 0).status_code == 200
    data = cast(client, m1, vote["id"], 1).get_json()  # changed her mind
    assert data["counts"] == [1, 1, 0] and data["total"] == 2 and data["my_choice"] == 1
    assert db.session.scalar(db.select(db.func.count(Ballot.id))) == 2
    names = {b["full_name"]: b["choice"] for b in data["ballots"]}
    assert names == {"Phạm Thị Hoa": 1, "Trần Văn Hùng": 0}  # a named vote shows who chose what
    closed = client.post(f"/api/v1/votes/{vote['id']}/close", headers=bearer(factory.token(setup.chair))).get_json()
    assert closed["status"] == "closed" and closed["counts"] == [1, 1, 0] and closed["closed_at"]
    res = cast(client, m1, vote["id"], 0)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "vote_closed"
    assert client.get(f"/api/v1/votes/{vote['id']}", headers=bearer(m1)).get_json()["counts"] == [1, 1, 0]
    assert db.session.scalar(db.select(Ballot.choice).where(Ballot.voter_id == setup.member.id)) == 1


def test_custom_options_and_validation(client, factory, setup):
    vote = open_vote(client, factory, setup, options=["Phương án A", "Phương án B"])
    assert vote["options"] == ["Phương án A", "Phương án B"]
    h = bearer(factory.token(setup.chair))
    res = client.post(f"/api/v1/meetings/{setup.meeting_id}/votes", json={"question": "", "options": ["x"]}, headers=h)
    assert res.status_code == 422 and set(res.get_json()["error"]["fields"]) == {"question", "options"}
    res = cast(client, factory.token(setup.member), vote["id"], 7)
    assert res.status_code == 422 and "choice" in res.get_json()["error"]["fields"]
    assert count(Vote) == 1 and count(Ballot) == 0


def test_only_the_chair_opens_and_closes_only_participants_vote(client, factory, setup):
    vote = open_vote(client, factory, setup)
    url = f"/api/v1/meetings/{setup.meeting_id}/votes"
    for user in (setup.secretary, setup.member, setup.leader, setup.admin):
        assert client.post(url, json={"question": "q"}, headers=bearer(factory.token(user))).status_code == 403
        assert client.post(f"/api/v1/votes/{vote['id']}/close", headers=bearer(factory.token(user))).status_code == 403
    assert client.post(url, json={"question": "q"}, headers=bearer(factory.token(setup.outsider))).status_code == 404
    assert cast(client, factory.token(setup.outsider), vote["id"], 0).status_code == 404
    assert cast(client, factory.token(setup.leader), vote["id"], 0).status_code == 403  # sees, not invited
    assert count(Vote) == 1 and count(Ballot) == 0
    still = client.get(f"/api/v1/votes/{vote['id']}", headers=bearer(factory.token(setup.member))).get_json()
    assert still["status"] == "open"
    assert cast(client, factory.token(setup.chair), vote["id"], 0).status_code == 200


def test_anonymous_vote_never_reveals_who_chose_what(client, factory, setup, monkeypatch):
    sent = []
    monkeypatch.setattr("core.realtime.socketio.emit", lambda event, payload, to=None: sent.append((event, payload)))
    vote = open_vote(client, factory, setup, anonymous=True)
    cast(client, factory.token(setup.member), vote["id"], 0)
    cast(client, factory.token(setup.member2), vote["id"], 1)
    chair = bearer(factory.token(setup.chair))
    data = client.get(f"/api/v1/votes/{vote['id']}", headers=chair).get_json()
    assert data["counts"] == [1, 1, 0] and data["ballots"] == [] and data["my_choice"] is None
    client.post(f"/api/v1/votes/{vote['id']}/close", headers=chair)
    listed = client.get(f"/api/v1/meetings/{setup.meeting_id}/votes", headers=chair).get_json()["items"][0]
    # the member sees her own choice, nobody else's
    mine = client.get(f"/api/v1/votes/{vote['id']}", headers=bearer(factory.token(setup.member))).get_json()
    assert mine["my_choice"] == 0 and mine["ballots"] == []
    everything = json.dumps([data, listed] + [p for _e, p in sent], ensure_ascii=False)
    for user in (setup.member, setup.member2):
        assert user.full_name not in everything
        assert f'"user_id": {user.id}' not in everything and f'"voter_id": {user.id}' not in everything
    # nor in the database rows or the audit trail
    assert db.session.scalars(db.select(Ballot.voter_id)).all() == [None, None]
    from meetings.models import Vote

    opened_at = db.session.get(Vote, vote["id"]).opened_at
    assert set(db.session.scalars(db.select(Ballot.cast_at))) == {opened_at}  # no per-ballot time to correlate
    casts = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "vote.cast")).all()
    assert casts and all("choice" not in row.data for row in casts)


def test_vote_events_are_published_to_the_room(app, factory, setup, monkeypatch):
    sent = []
    monkeypatch.setattr("core.realtime.socketio.emit",
                        lambda event, payload, to=None: sent.append((event, payload, to)))
    vote = votes.open_vote(setup.chair, setup.meeting, {"question": "Q?"})
    votes.cast_ballot(setup.member, vote, {"choice": 2})
    votes.close_vote(setup.chair, vote)
    assert [e for e, _p, _t in sent] == ["vote:opened", "vote:tally", "vote:closed"]
    assert all(t == f"meeting:{setup.meeting_id}" for _e, _p, t in sent)
    assert sent[1][1]["counts"] == [0, 0, 1] and sent[2][1]["status"] == "closed"
    assert sent[1][1]["ballot"] == {"user_id": setup.member.id, "full_name": "Phạm Thị Hoa", "choice": 2}


def test_no_vote_in_an_ended_meeting(client, factory, setup):
    setup.meeting.status = "ended"
    db.session.commit()
    res = client.post(f"/api/v1/meetings/{setup.meeting_id}/votes", json={"question": "q"},
                      headers=bearer(factory.token(setup.chair)))
    assert res.status_code == 409
    assert count(Vote) == 0


def test_ending_the_meeting_closes_its_votes_and_speaker_queue(client, factory, setup, monkeypatch):
    from meetings import services as meeting_services
    from meetings.models import SpeakerRequest, Vote

    sent = []
    monkeypatch.setattr("core.realtime.socketio.emit", lambda event, payload, to=None: sent.append((event, payload)))
    vote = votes.open_vote(setup.chair, setup.meeting, {"question": "Q?"})
    votes.cast_ballot(setup.member, vote, {"choice": 1})
    speakers.raise_hand(setup.member, setup.meeting)
    meeting_services.end_meeting(setup.chair, setup.meeting)
    db.session.expire_all()
    closed = db.session.get(Vote, vote.id)
    assert closed.status == "closed" and closed.result == [0, 1, 0] and closed.closed_at
    assert db.session.scalars(db.select(SpeakerRequest.status)).all() == ["removed"]
    events = [e for e, _p in sent]
    assert "vote:closed" in events and "speakers:updated" in events
    res = cast(client, factory.token(setup.member), vote.id, 0)
    assert res.status_code == 409


def test_cancelling_the_meeting_closes_its_votes_and_speaker_queue_too(app, factory):
    from meetings import services as meeting_services
    from meetings.models import SpeakerRequest, Vote

    s = MeetingSetup(factory, status="scheduled")
    vote = votes.open_vote(s.chair, s.meeting, {"question": "Q?"})
    votes.cast_ballot(s.member, vote, {"choice": 2})
    speakers.raise_hand(s.member, s.meeting)
    meeting_services.cancel_meeting(s.chair, s.meeting, "Trùng lịch")
    db.session.expire_all()
    closed = db.session.get(Vote, vote.id)
    assert closed.status == "closed" and closed.result == [0, 0, 1]
    assert db.session.scalars(db.select(SpeakerRequest.status)).all() == ["removed"]
    row = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "vote.close"))
    assert row.actor_id is None and row.data["reason"] == "meeting_over"


def test_the_batched_list_matches_each_vote_and_costs_a_fixed_number_of_queries(app, factory, setup):
    from sqlalchemy import event

    opened = [votes.open_vote(setup.chair, setup.meeting, {"question": f"Q{i}?", "anonymous": i % 2 == 1})
              for i in range(4)]
    for i, vote in enumerate(opened):
        votes.cast_ballot(setup.member, vote, {"choice": i % 3})
        votes.cast_ballot(setup.member2, vote, {"choice": 2})
    votes.close_vote(setup.chair, opened[0])
    expected = [votes.vote_dict(v, setup.member) for v in opened]
    assert setup.meeting.id  # loaded before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        listed = votes.meeting_votes(setup.meeting, setup.member)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert listed == expected
    assert len(statements) <= 4

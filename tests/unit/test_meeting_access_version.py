"""meetings.access_version grows in the transaction of every change to who may join a meeting (what
permissions.can_join and can_chat read: its invitations and their roles, its chair, its secretary, its
status), whichever service makes it, and not with changes that leave access alone. A socket's kept
invitation check (meetings.queries.meeting_for_chat) relies on it."""
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db


@pytest.fixture
def setup(app, factory):
    from meetings import services

    office = factory.agency(code="VP")
    health = factory.agency(code="SYT")
    people = {
        "chair": factory.user("leader", office, username="chair"),
        "member": factory.user("officer", health, username="member"),
        "colleague": factory.user("officer", health, username="colleague"),
        "other": factory.user("officer", health, username="other"),
        "secretary": factory.user("officer", office, username="secretary"),
    }
    meeting = services.create_meeting(people["chair"], {
        "title": "Giao ban", "participant_ids": [people["member"].id],
        "starts_at": (utcnow() + timedelta(hours=1)).isoformat()})
    return meeting, people


def _version(meeting_id):
    from meetings.models import Meeting

    db.session.expire_all()
    return db.session.scalar(db.select(Meeting.access_version).where(Meeting.id == meeting_id))


def _update(meeting, **changes):
    from meetings import services

    services.update_meeting(meeting.chair, meeting, {**services.current_values(meeting), **changes})


def test_invitations_added_removed_and_the_secretary_bump_it(setup):
    meeting, people = setup
    mid = meeting.id
    before = _version(mid)
    _update(meeting, participant_ids=[people["member"].id, people["other"].id])
    after_add = _version(mid)
    assert after_add > before
    _update(meeting, participant_ids=[people["member"].id])
    after_remove = _version(mid)
    assert after_remove > after_add
    _update(meeting, secretary_id=people["secretary"].id)
    assert _version(mid) > after_remove


def test_a_change_that_leaves_access_alone_keeps_it(setup):
    meeting, _people = setup
    before = _version(meeting.id)
    _update(meeting, title="Giao ban tuần", place="Phòng 2")
    assert _version(meeting.id) == before


def test_a_role_changed_bumps_it(setup):
    from meetings.models import Participant

    meeting, people = setup
    mid, member_id = meeting.id, people["member"].id
    before = _version(mid)
    db.session.expunge_all()  # the meeting is not in the session: its row is bumped by an UPDATE of its own
    row = db.session.scalar(db.select(Participant).where(Participant.meeting_id == mid,
                                                         Participant.user_id == member_id))
    row.role = "guest"
    db.session.commit()
    assert _version(mid) == before + 1


def test_start_end_and_cancel_bump_it(setup, factory):
    from meetings import services

    meeting, people = setup
    versions = [_version(meeting.id)]
    services.start_meeting(people["chair"], meeting)
    versions.append(_version(meeting.id))
    services.end_meeting(people["chair"], meeting)
    versions.append(_version(meeting.id))
    assert versions[0] < versions[1] < versions[2]

    other = services.create_meeting(people["chair"], {
        "title": "Hủy", "participant_ids": [], "starts_at": (utcnow() + timedelta(hours=2)).isoformat()})
    before = _version(other.id)
    services.cancel_meeting(people["chair"], other)
    assert _version(other.id) > before


def test_a_substitute_named_or_replaced_bumps_it_and_a_plain_answer_does_not(setup):
    from meetings import replies

    meeting, people = setup
    member = people["member"]
    before = _version(meeting.id)
    replies.reply(member, meeting, {"response": "attend"})
    assert _version(meeting.id) == before
    replies.reply(member, meeting, {"response": "substitute", "substitute_id": people["colleague"].id})
    named = _version(meeting.id)
    assert named > before
    replies.reply(member, meeting, {"response": "substitute", "substitute_id": people["other"].id})
    assert _version(meeting.id) > named


def test_a_bump_adds_to_what_another_session_wrote_meanwhile(app, setup):
    """The bump is ``access_version + 1`` in SQL, not one more than the value this session read."""
    from meetings.models import Meeting, Participant

    meeting, people = setup
    before = meeting.access_version  # read here, then changed by another session
    with app.app_context():
        db.session.execute(db.update(Meeting).where(Meeting.id == meeting.id)
                           .values(access_version=Meeting.access_version + 10))
        db.session.commit()
        db.session.remove()
    db.session.add(Participant(meeting_id=meeting.id, user_id=people["other"].id, role="member"))
    db.session.commit()
    assert _version(meeting.id) == before + 11

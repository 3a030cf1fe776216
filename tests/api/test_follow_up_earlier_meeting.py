"""A meeting follows up only a meeting held before it: the outcomes page offers no other, and the
service refuses any other with the field named."""
import re
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.errors import Invalid
from core.extensions import db
from meetings import conclusions
from meetings.models import Meeting
from tests.conftest import login
from tests.outcomes_support import MeetingSetup


def _meeting(s, title, status, starts_at, started_at=None):
    m = Meeting(title=title, starts_at=starts_at, chair_id=s.chair.id, created_by_id=s.chair.id, status=status,
                started_at=started_at, ended_at=started_at + timedelta(hours=1) if status == "ended" else None)
    db.session.add(m)
    db.session.commit()
    return m


@pytest.fixture
def meetings(factory):
    """The setup's meeting is live since 30 minutes; around it, meetings held and not held."""
    s = MeetingSetup(factory)
    now = utcnow()
    s.held = _meeting(s, "Họp tháng 10 (đã họp)", "ended", now - timedelta(days=30), now - timedelta(days=30))
    s.live_before = _meeting(s, "Họp đang diễn ra, bắt đầu trước", "live",
                             now - timedelta(hours=2), now - timedelta(hours=2))
    s.not_held = _meeting(s, "Họp lên lịch hôm qua, chưa họp", "scheduled", now - timedelta(days=1))
    s.future = _meeting(s, "Họp tuần sau", "scheduled", now + timedelta(days=7))
    s.started_later = _meeting(s, "Họp bắt đầu sau cuộc này", "ended",
                               now - timedelta(hours=3), now - timedelta(minutes=10))
    return s


def test_only_meetings_held_before_are_offered(app, client, meetings):
    s = meetings
    offered = {m.id for m in conclusions.follow_up_candidates(s.chair, s.meeting)}
    assert offered == {s.held.id, s.live_before.id}
    # a meeting that has not started yet may follow up anything already held
    assert {m.id for m in conclusions.follow_up_candidates(s.chair, s.future)} == {
        s.held.id, s.live_before.id, s.started_later.id, s.meeting_id}
    login(client, s.chair)
    html = client.get(f"/meetings/{s.meeting_id}/outcomes").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="f-follow_up_of_id".*?</select>', html, re.S).group(0)
    assert s.held.title in select and s.live_before.title in select
    for m in (s.not_held, s.future, s.started_later):
        assert m.title not in select


def test_a_meeting_not_held_before_is_refused_with_the_field_named(app, client, meetings):
    s = meetings
    for later in (s.not_held, s.future, s.started_later):
        with pytest.raises(Invalid) as exc:
            conclusions.set_follow_up(s.chair, s.meeting, {"follow_up_of_id": later.id})
        assert later.title in exc.value.fields["follow_up_of_id"]
        db.session.rollback()
    assert db.session.get(Meeting, s.meeting_id).follow_up_of_id is None
    token = login(client, s.chair)
    res = client.post(f"/meetings/{s.meeting_id}/follow-up", data={"csrf_token": token, "follow_up_of_id": s.future.id},
                      follow_redirects=True)
    assert "alert-danger" in res.get_data(as_text=True) and s.future.title in res.get_data(as_text=True)
    assert db.session.get(Meeting, s.meeting_id).follow_up_of_id is None
    conclusions.set_follow_up(s.chair, s.meeting, {"follow_up_of_id": s.held.id})
    assert db.session.get(Meeting, s.meeting_id).follow_up_of_id == s.held.id

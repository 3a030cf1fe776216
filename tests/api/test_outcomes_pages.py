"""Outcome pages: the room's panels, the outcomes page, history with diff and restore, "Giao nhiệm vụ"."""
import json
import re

import pytest

from core.extensions import db
from meetings import conclusions, minutes, votes
from meetings.models import ConclusionDirective
from tests.conftest import login
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def setup(factory):
    return MeetingSetup(factory)


def page_data(html, element_id):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_room_includes_the_panels_with_their_state(app, client, setup):
    minutes.save_minutes(setup.secretary, setup.meeting, {"body": "**Khai mạc**", "base_version": 0})
    votes.open_vote(setup.chair, setup.meeting, {"question": "Đồng ý thông qua?"})
    login(client, setup.member)
    html = client.get(f"/meetings/{setup.meeting_id}/room").get_data(as_text=True)
    assert 'id="outcomes"' in html and "js/meeting/room.js" in html
    data = page_data(html, "outcomes-data")
    assert data["minutes"]["version"] == 1 and "<strong>Khai mạc</strong>" in data["minutes"]["html"]
    assert data["votes"][0]["question"] == "Đồng ý thông qua?"
    assert data["perms"]["can_keep_minutes"] is False and data["perms"]["can_cast_ballot"] is True
    assert 'id="minutes-editor"' not in html  # only keepers get the editor
    chair = app.test_client()
    login(chair, setup.chair)
    html = chair.get(f"/meetings/{setup.meeting_id}/room").get_data(as_text=True)
    assert 'id="minutes-editor"' in html and 'id="minutes-finalize"' in html and 'id="vote-open-form"' in html


def test_history_diff_escapes_and_restore(app, client, setup):
    minutes.save_minutes(setup.secretary, setup.meeting, {"body": "Dòng một\nDòng hai", "base_version": 0})
    minutes.save_minutes(setup.secretary, setup.meeting,
                         {"body": "Dòng một\n<img src=x onerror=alert(1)>", "base_version": 1})
    login(client, setup.secretary)
    html = client.get(f"/meetings/{setup.meeting_id}/minutes/history").get_data(as_text=True)
    assert "v2" in html and "v1" in html and "Lê Thu Trang" in html
    html = client.get(f"/meetings/{setup.meeting_id}/minutes/history/2").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert 'class="replace"' in html and "Dòng hai" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    res = client.post(f"/meetings/{setup.meeting_id}/minutes/history/1/restore", data={"csrf_token": token})
    assert res.status_code == 302
    assert minutes.minutes_state(setup.meeting) == {"body": "Dòng một\nDòng hai", "version": 3, "status": "draft"}
    assert client.get(f"/meetings/{setup.meeting_id}/minutes/history/9").status_code == 404
    member = app.test_client()
    login(member, setup.member)
    html = member.get(f"/meetings/{setup.meeting_id}/minutes/history").get_data(as_text=True)
    assert "Khôi phục" not in html and "Restore" not in html
    outsider = app.test_client()
    login(outsider, setup.outsider)
    assert outsider.get(f"/meetings/{setup.meeting_id}/minutes/history").status_code == 404


def test_assign_form_is_prefilled_and_issues_the_directive(app, client, factory, setup):
    finance = factory.agency(code="STC", name="Sở Tài chính")
    conclusion = conclusions.add_conclusion(setup.chair, setup.meeting, {
        "text": "Sở Y tế chủ trì, phối hợp Sở Tài chính hoàn thành tiêm chủng trước 15/12/2099."})
    login(client, setup.chair)
    url = f"/conclusions/{conclusion.id}/assign"
    html = client.get(url).get_data(as_text=True)
    assert "Sở Y tế chủ trì, phối hợp Sở Tài chính" in html
    assert f'<option value="{setup.health.id}" selected' in html  # the lead agency named first
    assert f'value="{finance.id}" id="sup-{finance.id}" checked' in html
    assert 'value="2099-12-15T17:00"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    bad = client.post(url, data={"csrf_token": token, "title": "Nhiệm vụ A", "lead_agency_id": "", "deadline": ""})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Nhiệm vụ A" in body and "is-invalid" in body  # errors on the form, what was typed kept
    res = client.post(url, data={"csrf_token": token, "title": "Nhiệm vụ A", "lead_agency_id": str(setup.health.id),
                                 "support_agency_ids": [str(finance.id)], "deadline": "2099-12-15T17:00",
                                 "priority": "high", "body": "Nội dung"})
    assert res.status_code == 302
    link = db.session.scalar(db.select(ConclusionDirective))
    from directives.models import Directive

    directive = db.session.get(Directive, link.directive_id)
    assert directive.source_meeting_id == setup.meeting_id and directive.priority == "high"
    html = client.get(f"/meetings/{setup.meeting_id}/outcomes").get_data(as_text=True)
    assert directive.number in html and "Sở Y tế" in html
    assert 'id="follow-up-form"' in html  # the chair may mark the meeting as a follow-up
    secretary = app.test_client()
    login(secretary, setup.secretary)
    assert secretary.get(url).status_code == 403


def test_outcomes_page_shows_minutes_sanitised_and_the_empty_states(app, client, setup):
    login(client, setup.member)
    html = client.get(f"/meetings/{setup.meeting_id}/outcomes").get_data(as_text=True)
    assert "bien-ban.docx" not in html  # a member does not download
    minutes.save_minutes(setup.secretary, setup.meeting,
                         {"body": "# Kết quả\n<script>alert(1)</script>", "base_version": 0})
    html = client.get(f"/meetings/{setup.meeting_id}/outcomes").get_data(as_text=True)
    assert "<h1>Kết quả</h1>" in html and "<script>alert(1)" not in html


def test_meeting_page_lists_directives_born_from_it_and_the_follow_up(app, client, factory, setup):
    from core.dbtypes import utcnow
    from meetings.models import Meeting, Participant

    conclusion = conclusions.add_conclusion(setup.chair, setup.meeting, {"text": "Sở Y tế rà soát danh sách."})
    directive = conclusions.issue_directive_from_conclusion(setup.chair, conclusion, setup.meeting, {
        "lead_agency_id": setup.health.id, "deadline": "2099-01-01T17:00"})
    follow = Meeting(title="Họp kiểm điểm", starts_at=utcnow(), chair_id=setup.chair.id,
                     created_by_id=setup.chair.id, follow_up_of_id=setup.meeting_id, status="scheduled")
    db.session.add(follow)
    db.session.flush()
    db.session.add(Participant(meeting_id=follow.id, user_id=setup.member.id, role="member"))
    db.session.commit()
    login(client, setup.member)
    html = client.get(f"/meetings/{setup.meeting_id}").get_data(as_text=True)
    assert 'id="outcomes-detail"' in html and directive.number in html and "tracking-on_track" in html
    html = client.get(f"/meetings/{follow.id}").get_data(as_text=True)
    assert "Rà soát thực hiện chỉ đạo của cuộc họp trước" in html and directive.number in html

"""After a meeting: the chair finalizes the minutes from the outcomes page, the locked Word buttons say
why and who unlocks them, and an early download is a friendly page (JSON 409 for programs)."""
import re

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from meetings import minutes
from tests.conftest import bearer, login
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def ended(factory):
    s = MeetingSetup(factory)
    minutes.save_minutes(s.secretary, s.meeting, {"body": "# Biên bản\nNội dung", "base_version": 0})
    s.meeting.status, s.meeting.ended_at = "ended", utcnow()
    db.session.commit()
    return s


def html_of(client, url):
    return client.get(url).get_data(as_text=True)


def test_chair_finalizes_from_the_outcomes_page_of_an_ended_meeting_after_a_confirmation(app, client, ended):
    token = login(client, ended.chair)
    url = f"/meetings/{ended.meeting_id}/outcomes"
    html = html_of(client, url)
    form = re.search(r'<form[^>]*action="/meetings/\d+/minutes/finalize"[^>]*>', html, re.S)
    assert form and "data-confirm=" in form.group(0)
    assert 'id="finalize-minutes"' in html and "js/meetings.js" in html  # the script that asks to confirm
    lock = re.search(r'id="documents-locked".*?</div>\s*</div>', html, re.S).group(0)
    assert "chốt biên bản" in lock.lower()
    assert html.count('disabled aria-describedby="documents-locked"') == 2  # both Word buttons say why
    res = client.post(f"/meetings/{ended.meeting_id}/minutes/finalize", data={"csrf_token": token})
    assert res.status_code == 302 and res.headers["Location"].endswith(url)
    assert minutes.minutes_state(ended.meeting)["status"] == "final"
    html = html_of(client, url)
    assert 'id="documents-locked"' not in html and 'id="download-minutes"' in html


def test_the_meeting_page_of_an_ended_meeting_offers_finalizing_to_the_chair(app, client, ended):
    login(client, ended.chair)
    html = html_of(client, f"/meetings/{ended.meeting_id}")
    assert 'id="documents-locked"' in html and 'id="finalize-minutes"' in html


def test_others_are_told_who_unlocks_the_documents_and_cannot_finalize(app, client, ended):
    token = login(client, ended.leader)
    html = html_of(client, f"/meetings/{ended.meeting_id}/outcomes")
    lock = re.search(r'id="documents-locked".*?</div>\s*</div>', html, re.S).group(0)
    assert "Nguyễn Văn Chủ Tịch" in lock  # the chair, by name
    assert 'id="finalize-minutes"' not in html
    res = client.post(f"/meetings/{ended.meeting_id}/minutes/finalize", data={"csrf_token": token})
    assert res.status_code == 403
    assert minutes.minutes_state(ended.meeting)["status"] == "draft"


def test_finalizing_empty_minutes_is_a_message_not_an_error_page(app, client, factory):
    s = MeetingSetup(factory, status="ended")
    token = login(client, s.chair)
    html = html_of(client, f"/meetings/{s.meeting_id}/outcomes")
    assert re.search(r'id="finalize-minutes" disabled', html)
    res = client.post(f"/meetings/{s.meeting_id}/minutes/finalize", data={"csrf_token": token}, follow_redirects=True)
    assert res.status_code == 200 and "alert-danger" in res.get_data(as_text=True)
    assert minutes.minutes_state(s.meeting)["status"] == "draft"


def test_an_early_download_is_a_friendly_page_in_the_browser_and_a_json_409_for_programs(app, client, factory, ended):
    url = f"/meetings/{ended.meeting_id}/documents/bien-ban.docx"
    login(client, ended.leader)
    res = client.get(url)
    assert res.status_code == 302
    assert res.headers["Location"].endswith(f"/meetings/{ended.meeting_id}/outcomes#documents-locked")
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "alert-warning" in page and "Nguyễn Văn Chủ Tịch" in page
    res = app.test_client().get(f"/meetings/{ended.meeting_id}/documents/thong-bao-ket-luan.docx",
                                headers=bearer(factory.token(ended.leader)))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "minutes_not_final"
    assert "Nguyễn Văn Chủ Tịch" in res.get_json()["error"]["message"]
    res = client.get(url, headers={"Accept": "application/json"})
    assert res.status_code == 409 and res.is_json

"""Live minutes: revisions, the stale-version conflict, final lock, history and restore, sanitising."""
import pytest

from core.audit import AuditLog
from core.extensions import db
from core.text import render_markdown
from meetings import minutes
from meetings.models import MinutesRevision
from tests.conftest import bearer
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def setup(factory):
    return MeetingSetup(factory)


def url(s, tail=""):
    return f"/api/v1/meetings/{s.meeting_id}/minutes{tail}"


def revision_count():
    return db.session.scalar(db.select(db.func.count(MinutesRevision.id)))


def audited(action):
    return db.session.scalar(db.select(db.func.count(AuditLog.id)).where(AuditLog.action == action))


def test_empty_minutes_then_first_save_is_version_one(client, factory, setup):
    h = bearer(factory.token(setup.secretary))
    assert client.get(url(setup), headers=h).get_json() == {"body": "", "version": 0, "status": "draft"}
    res = client.put(url(setup), json={"body": "# Biên bản\n\nNội dung", "base_version": 0}, headers=h)
    assert res.status_code == 200 and res.get_json() == {"version": 1}
    got = client.get(url(setup), headers=bearer(factory.token(setup.member))).get_json()
    assert got == {"body": "# Biên bản\n\nNội dung", "version": 1, "status": "draft"}
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(AuditLog.action == "minutes.save")) == 1


def test_concurrent_editors_the_stale_save_gets_409_with_the_current_text(client, factory, setup):
    sec, chair = bearer(factory.token(setup.secretary)), bearer(factory.token(setup.chair))
    client.put(url(setup), json={"body": "v1", "base_version": 0}, headers=sec)
    # both editors loaded version 1; the chair saves first
    res = client.put(url(setup), json={"body": "chair's text", "base_version": 1}, headers=chair)
    assert res.get_json() == {"version": 2}
    res = client.put(url(setup), json={"body": "secretary's text", "base_version": 1}, headers=sec)
    assert res.status_code == 409
    data = res.get_json()
    assert data["error"]["code"] == "stale_version"
    assert data["version"] == 2 and data["body"] == "chair's text"
    # nothing overwritten
    assert client.get(url(setup), headers=sec).get_json()["body"] == "chair's text"
    # the merge is saved on top of the version the conflict reported
    merged = "chair's text\nsecretary's text"
    assert client.put(url(setup), json={"body": merged, "base_version": 2}, headers=sec).get_json() == {"version": 3}
    assert client.get(url(setup), headers=sec).get_json() == {"body": merged, "version": 3, "status": "draft"}


def test_service_level_race_two_saves_on_the_same_base_store_one(app, factory, setup):
    minutes.save_minutes(setup.secretary, setup.meeting, {"body": "a", "base_version": 0})
    minutes.save_minutes(setup.chair, setup.meeting, {"body": "b", "base_version": 1})
    with pytest.raises(minutes.MinutesConflict) as err:
        minutes.save_minutes(setup.secretary, setup.meeting, {"body": "c", "base_version": 1})
    assert err.value.version == 2 and err.value.body == "b"
    versions = db.session.scalars(db.select(MinutesRevision.version).order_by(MinutesRevision.version)).all()
    assert versions == [1, 2]


def test_unchanged_autosave_makes_no_revision(client, factory, setup):
    h = bearer(factory.token(setup.secretary))
    client.put(url(setup), json={"body": "same", "base_version": 0}, headers=h)
    assert client.put(url(setup), json={"body": "same", "base_version": 1}, headers=h).get_json() == {"version": 1}
    assert db.session.scalar(db.select(db.func.count(MinutesRevision.id))) == 1


def test_finalize_by_chair_then_every_edit_is_refused(client, factory, setup):
    sec, chair = bearer(factory.token(setup.secretary)), bearer(factory.token(setup.chair))
    client.put(url(setup), json={"body": "Nội dung", "base_version": 0}, headers=sec)
    assert client.post(url(setup, "/finalize"), headers=sec).status_code == 403  # the secretary may not
    assert client.get(url(setup), headers=sec).get_json()["status"] == "draft" and audited("minutes.finalize") == 0
    res = client.post(url(setup, "/finalize"), headers=chair)
    assert res.status_code == 200 and res.get_json()["status"] == "final"
    res = client.put(url(setup), json={"body": "sửa sau", "base_version": 1}, headers=sec)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "minutes_final"
    assert client.post(url(setup, "/revisions/1/restore"), headers=chair).status_code == 409
    assert client.get(url(setup), headers=sec).get_json() == {"body": "Nội dung", "version": 1, "status": "final"}
    assert revision_count() == 1 and audited("minutes.save") == 1 and audited("minutes.restore") == 0
    # repeating finalize changes nothing
    assert client.post(url(setup, "/finalize"), headers=chair).get_json()["status"] == "final"


def test_finalize_empty_minutes_is_a_conflict(client, factory, setup):
    res = client.post(url(setup, "/finalize"), headers=bearer(factory.token(setup.chair)))
    assert res.status_code == 409
    assert minutes.minutes_state(setup.meeting)["status"] == "draft" and audited("minutes.finalize") == 0


def test_history_and_restore_creates_a_new_revision(client, factory, setup):
    h = bearer(factory.token(setup.secretary))
    for i, text in enumerate(["một", "hai", "ba"]):
        client.put(url(setup), json={"body": text, "base_version": i}, headers=h)
    items = client.get(url(setup, "/revisions"), headers=h).get_json()["items"]
    assert [r["version"] for r in items] == [3, 2, 1]
    assert items[0]["author"]["full_name"] == "Lê Thu Trang" and items[0]["created_at"]
    assert client.get(url(setup, "/revisions/2"), headers=h).get_json()["body"] == "hai"
    res = client.post(url(setup, "/revisions/1/restore"), headers=h)
    assert res.get_json() == {"version": 4, "restored_from": 1}
    assert client.get(url(setup), headers=h).get_json()["body"] == "một"
    assert client.get(url(setup, "/revisions"), headers=h).get_json()["items"][0]["restored_from"] == 1
    assert client.get(url(setup, "/revisions/99"), headers=h).status_code == 404


def test_bad_input_is_422_naming_the_field(client, factory, setup):
    h = bearer(factory.token(setup.secretary))
    res = client.put(url(setup), json={"body": "x"}, headers=h)
    assert res.status_code == 422 and "base_version" in res.get_json()["error"]["fields"]
    res = client.put(url(setup), json={"body": 5, "base_version": 0}, headers=h)
    assert res.status_code == 422 and "body" in res.get_json()["error"]["fields"]
    res = client.put(url(setup), data="nope", headers=h)
    assert res.status_code == 400
    assert revision_count() == 0 and audited("minutes.save") == 0


def test_minutes_permissions(client, factory, setup):
    member, outsider = bearer(factory.token(setup.member)), bearer(factory.token(setup.outsider))
    assert client.get(url(setup), headers=member).status_code == 200
    assert client.put(url(setup), json={"body": "x", "base_version": 0}, headers=member).status_code == 403
    assert client.get(url(setup), headers=outsider).status_code == 404
    assert client.put(url(setup), json={"body": "x", "base_version": 0}, headers=outsider).status_code == 404
    assert client.get(url(setup)).status_code == 401
    assert client.get(url(setup), headers=bearer(factory.token(setup.leader))).status_code == 200
    assert client.get("/api/v1/meetings/999999/minutes", headers=member).status_code == 404
    assert revision_count() == 0 and audited("minutes.save") == 0


HOSTILE = """# Tiêu đề
<script>alert('x')</script>
<img src=x onerror="alert(1)">
[bấm vào](javascript:alert(2))
<a href="https://gov.vn" onclick="alert(3)">trang</a>
<iframe src="https://evil.example"></iframe>
<svg onload=alert(4)></svg>
<div style="background:url(javascript:alert(5))">x</div>
**đậm** và *nghiêng*
"""


def test_hostile_markdown_is_sanitised():
    html = str(render_markdown(HOSTILE))
    lowered = html.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg", "<img", "style="):
        assert bad not in lowered, bad
    assert "<h1>Tiêu đề</h1>" in html
    assert "<strong>đậm</strong>" in html and "<em>nghiêng</em>" in html
    assert 'href="https://gov.vn"' in html


def test_minutes_event_carries_sanitised_html(app, factory, setup, monkeypatch):
    sent = []
    monkeypatch.setattr("core.realtime.socketio.emit",
                        lambda event, payload, to=None: sent.append((event, payload, to)))
    minutes.save_minutes(setup.secretary, setup.meeting, {"body": HOSTILE, "base_version": 0})
    event, payload, to = sent[-1]
    assert event == "minutes:updated" and to == f"meeting:{setup.meeting_id}"
    assert payload["version"] == 1 and payload["body"] == HOSTILE and payload["status"] == "draft"
    assert payload["updated_by"] == setup.secretary.id
    assert "<script" not in payload["html"] and "onerror" not in payload["html"]

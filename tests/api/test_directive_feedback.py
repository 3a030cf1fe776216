"""A leader's refusal always carries a reason, and the officer reads it where they act: the reason
for a returned result or a rejected extension shows in the officer's action card."""
import re
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from directives import extensions, services
from directives.models import ExtensionRequest
from notifications.models import Notification
from tests.conftest import bearer, login
from tests.directives_support import directive_state


@pytest.fixture
def w(factory):
    syt = factory.agency("SYT", "Sở Y tế")
    w = {
        "leader": factory.user("leader", username="chutich", full_name="Nguyễn Văn Minh"),
        "officer": factory.user("officer", syt, username="syt1", full_name="Đỗ Văn Long"),
    }
    w["directive"] = services.issue_directive(w["leader"], {
        "title": "Triển khai tiêm chủng mở rộng", "deadline": (utcnow() + timedelta(days=10)).isoformat(),
        "lead_agency_id": syt.id})
    w["a"] = w["directive"].assignments[0]
    services.acknowledge(w["officer"], w["a"])
    return w


def ask_extension(w, days=30):
    return extensions.request_extension(w["officer"], w["a"], {
        "deadline": (utcnow() + timedelta(days=days)).isoformat(), "reason": "Chờ kinh phí"})


def page(client, w):
    return client.get(f"/directives/{w['directive'].id}").get_data(as_text=True)


def card(html):
    """The officer's action card only (not the history far below)."""
    match = re.search(
        r'<div class="card border-0 shadow-sm mb-3 own-card".*?(?=<section class="area-agencies")', html, re.S
    )
    assert match, "no officer card"
    return match.group(0)


def test_api_refuses_a_rejection_without_a_reason_naming_the_field(client, factory, w):
    ext = ask_extension(w)
    leader = bearer(factory.token(w["leader"]))
    before = directive_state(w["a"].directive_id)
    for body in (None, {}, {"reason": "   "}):
        res = client.post(f"/api/v1/extension-requests/{ext.id}/reject", headers=leader, json=body)
        assert res.status_code == 422, res.get_json()
        assert "reason" in res.get_json()["error"]["fields"] and "reason" in res.get_json()["error"]["message"]
    assert directive_state(w["a"].directive_id) == before
    db.session.refresh(ext)
    assert ext.status == "pending"
    res = client.post(f"/api/v1/extension-requests/{ext.id}/reject", headers=leader, json={"reason": "Không đủ căn cứ"})
    assert res.status_code == 200 and res.get_json()["decision_note"] == "Không đủ căn cứ"
    history = client.get(f"/api/v1/assignments/{w['a'].id}/history", headers=leader).get_json()["items"]
    assert history[-1]["action"] == "extension_reject" and history[-1]["note"] == "Không đủ căn cứ"


def test_reject_form_requires_a_reason_and_asks_for_confirmation(client, w):
    ext = ask_extension(w)
    token = login(client, w["leader"])
    html = page(client, w)
    form = re.search(rf'<form[^>]*id="reject-{ext.id}"[^>]*>', html).group(0)
    assert "data-confirm=" in form and "Sở Y tế" in form
    assert re.search(rf'id="f-reject-{ext.id}" name="reason" rows="2" required', html)
    res = client.post(f"/extension-requests/{ext.id}/reject",
                      data={"csrf_token": token, "extension_id": ext.id, "reason": ""})
    assert res.status_code == 422
    body = res.get_data(as_text=True)
    # the form stays open
    assert re.search(rf'id="reject-{ext.id}"[^>]*', body) and "collapse mt-2 live-form show" in body
    assert re.search(rf'id="f-reject-{ext.id}"', body) and "is-invalid" in body
    assert db.session.get(ExtensionRequest, ext.id).status == "pending"
    res = client.post(f"/extension-requests/{ext.id}/reject",
                      data={"csrf_token": token, "extension_id": ext.id, "reason": "Không đủ căn cứ"})
    assert res.status_code == 302
    assert db.session.get(ExtensionRequest, ext.id).status == "rejected"


def test_officer_card_shows_the_rejected_extensions_reason_and_the_notification_carries_it(app, w):
    ext = ask_extension(w)
    extensions.reject_extension(w["leader"], ext, {"reason": "Chưa có văn bản đề nghị\ncủa UBND huyện"})
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == w["officer"].id,
                                                           Notification.kind == "directive.extension_rejected"))
    assert "Chưa có văn bản đề nghị" in note.text
    client = app.test_client()
    login(client, w["officer"])
    own = card(page(client, w))
    assert 'id="own-rejection"' in own
    assert "Chưa có văn bản đề nghị" in own and "Nguyễn Văn Minh" in own
    # asking again replaces the refusal with the waiting request
    ask_extension(w, days=20)
    assert 'id="own-rejection"' not in card(page(client, w))


def test_officer_card_shows_who_returned_the_result_when_and_why_until_it_is_submitted_again(app, w):
    services.submit(w["officer"], w["a"], {"note": "Đã xong"})
    services.return_assignment(w["leader"], w["a"], {"reason": "Thiếu số liệu của 3 xã miền núi"})
    client = app.test_client()
    login(client, w["officer"])
    own = card(page(client, w))
    assert 'id="own-return"' in own
    assert "Thiếu số liệu của 3 xã miền núi" in own and "Nguyễn Văn Minh" in own
    # a progress report keeps it in view; submitting again closes it
    services.report_progress(w["officer"], w["a"], {"progress": 90, "note": "Bổ sung"})
    assert "Thiếu số liệu của 3 xã miền núi" in card(page(client, w))
    services.submit(w["officer"], w["a"], {"note": "Đã bổ sung"})
    assert 'id="own-return"' not in card(page(client, w))
    # the live fragment the script swaps in carries it too
    services.return_assignment(w["leader"], w["a"], {"reason": "Lần hai: thiếu chữ ký"})
    live = client.get(f"/directives/{w['directive'].id}/live").get_data(as_text=True)
    assert 'id="own-return"' in live and "Lần hai: thiếu chữ ký" in live


def test_the_leader_reads_the_submitted_result_where_they_accept_or_return_it(client, factory):
    from directives import services
    from tests.conftest import login

    health = factory.agency(code="SYTR", name="Sở Y tế")
    leader = factory.user("leader", full_name="Nguyễn Văn Minh")
    officer = factory.user("officer", health, full_name="Đỗ Văn Long")
    d = services.issue_directive(leader, {"title": "Rà soát tiêm chủng", "body": "Nội dung",
                                          "deadline": "2027-01-15T17:00:00+07:00", "lead_agency_id": health.id})
    assignment = d.assignments[0]
    services.acknowledge(officer, assignment)
    services.submit(officer, assignment, {"note": "Đã rà soát 12 xã, đạt 96% kế hoạch"})
    login(client, leader)
    html = client.get(f"/directives/{d.id}").get_data(as_text=True)
    panel = html[html.index(f'id="decide-{assignment.id}"'):]
    panel = panel[:panel.index("</li>")]
    assert "Đã rà soát 12 xã, đạt 96% kế hoạch" in panel and "Đỗ Văn Long" in panel

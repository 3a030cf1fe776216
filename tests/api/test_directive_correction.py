"""Correcting a directive: PATCH /api/v1/directives/<id> and the edit page reached from the directive page."""
import json
import re
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from directives import corrections, services
from directives.models import Assignment, Directive
from tests.conftest import bearer, login
from tests.directives_support import directive_state

REASON = "Điều chỉnh theo kế hoạch của tỉnh"


@pytest.fixture
def w(factory):
    syt, sgd, hds = (
        factory.agency("SYT", "Sở Y tế"),
        factory.agency("SGD", "Sở Giáo dục"),
        factory.agency("HDS", "UBND huyện Đông Sơn"),
    )
    users = {
        "leader": factory.user("leader", username="lead", full_name="Nguyễn Văn Minh"),
        "officer": factory.user("officer", syt, username="syt1"),
        "support": factory.user("officer", sgd, username="sgd1"),
        "other": factory.user("officer", hds, username="hds1"),
        "admin": factory.user("admin", username="adm"),
    }
    directive = services.issue_directive(users["leader"], {
        "title": "Kiểm tra an toàn thực phẩm", "body": "Tăng cường kiểm tra\ntrên địa bàn",
        "deadline": (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0).isoformat(),
        "lead_agency_id": syt.id, "support_agency_ids": [sgd.id]})
    return {"users": users, "tokens": {k: factory.token(u) for k, u in users.items()}, "syt": syt, "sgd": sgd,
            "hds": hds, "d": directive}


def patch(client, w, who, body, directive=None):
    d = directive or w["d"]
    return client.patch(f"/api/v1/directives/{d.id}", headers=bearer(w["tokens"][who]) if who else {}, json=body)


# -- the API ------------------------------------------------------------------------------

def test_patch_corrects_and_answers_the_directive_with_its_assignments(client, w):
    new_deadline = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    res = patch(client, w, "leader", {"title": "Kiểm tra ATTP dịp Tết", "deadline": new_deadline.isoformat(),
                                      "priority": "high", "support_agency_ids": [w["hds"].id], "reason": REASON})
    assert res.status_code == 200, res.json
    body = res.json
    assert body["id"] == w["d"].id and body["number"] == w["d"].number and body["title"] == "Kiểm tra ATTP dịp Tết"
    assert body["priority"] == "high" and body["deadline"] == new_deadline.isoformat()
    got = {(a["agency_id"], a["role"], a["status"]) for a in body["assignments"]}
    assert got == {(w["syt"].id, "lead", "pending"), (w["sgd"].id, "support", "cancelled"),
                   (w["hds"].id, "support", "pending")}
    lead = next(a for a in body["assignments"] if a["role"] == "lead")
    assert lead["deadline"] == new_deadline.isoformat()


def test_the_history_endpoint_shows_the_correction_with_from_and_to(client, w):
    old_title = w["d"].title
    assert patch(client, w, "leader", {"title": "Tiêu đề mới", "reason": REASON}).status_code == 200
    lead = next(a for a in w["d"].assignments if a.role == "lead")
    res = client.get(f"/api/v1/assignments/{lead.id}/history", headers=bearer(w["tokens"]["officer"]))
    assert res.status_code == 200
    (ev,) = [e for e in res.json["items"] if e["action"] == "correct"]
    assert ev["note"] == REASON and ev["actor"]["full_name"] == "Nguyễn Văn Minh"
    assert ev["data"]["changes"]["title"] == {"from": old_title, "to": "Tiêu đề mới"}
    support = next(a for a in w["d"].assignments if a.role == "support")
    patch(client, w, "leader", {"support_agency_ids": [], "reason": "Không cần phối hợp"})
    res = client.get(f"/api/v1/assignments/{support.id}/history", headers=bearer(w["tokens"]["support"]))
    removed = res.json["items"][-1]
    assert (removed["action"], removed["from_status"], removed["to_status"], removed["note"]) == \
        ("remove", "pending", "cancelled", "Không cần phối hợp")


@pytest.mark.parametrize(
    "who, status",
    [("officer", 403), ("support", 403), ("admin", 403), ("other", 404), (None, 401)],
)
def test_only_leaders_correct(client, w, who, status):
    before = directive_state(w["d"].id)
    res = patch(client, w, who, {"title": "x", "reason": REASON})
    assert res.status_code == status
    assert res.json["error"]["code"] and res.json["error"]["message"]
    assert db.session.get(Directive, w["d"].id).title == "Kiểm tra an toàn thực phẩm"
    assert directive_state(w["d"].id) == before


def test_422_names_the_fields(client, w):
    before = directive_state(w["d"].id)
    res = patch(client, w, "leader", {"title": "", "deadline": "2001-01-01T00:00:00Z", "priority": "asap",
                                      "lead_agency_id": 999999})
    assert res.status_code == 422
    assert directive_state(w["d"].id) == before
    fields = res.json["error"]["fields"]
    assert set(fields) >= {"title", "deadline", "priority", "lead_agency_id", "reason"}
    for name in ("title", "deadline", "priority", "lead_agency_id", "reason"):
        assert name in res.json["error"]["message"]


def test_409_when_cancelled_or_closed(client, w):
    services.cancel_directive(w["users"]["leader"], w["d"], {"reason": "Không còn phù hợp"})
    before = directive_state(w["d"].id)
    res = patch(client, w, "leader", {"title": "x", "reason": REASON})
    assert res.status_code == 409 and res.json["error"]["code"] == "invalid_transition"
    assert directive_state(w["d"].id) == before


def test_a_correction_without_a_reason_is_422_and_changes_nothing(client, w):
    before = directive_state(w["d"].id)
    for body in ({"title": "Tiêu đề mới"}, {"title": "Tiêu đề mới", "reason": "   "}):
        res = patch(client, w, "leader", body)
        assert res.status_code == 422 and "reason" in res.json["error"]["fields"]
    assert directive_state(w["d"].id) == before


def test_400_for_a_body_that_is_not_an_object(client, w):
    res = client.patch(f"/api/v1/directives/{w['d'].id}", headers=bearer(w["tokens"]["leader"]), data="[1]",
                       content_type="application/json")
    assert res.status_code == 400


def test_cookie_clients_need_the_csrf_token(client, w):
    token = login(client, w["users"]["leader"])
    res = client.patch(f"/api/v1/directives/{w['d'].id}", json={"title": "x", "reason": REASON})
    assert res.status_code == 400
    res = client.patch(f"/api/v1/directives/{w['d'].id}", json={"title": "Có CSRF", "reason": REASON},
                       headers={"X-CSRFToken": token})
    assert res.status_code == 200 and res.json["title"] == "Có CSRF"


# -- the pages ------------------------------------------------------------------------------

def edit_form(html):
    """The form's fields as the browser would send them (the prefilled values)."""
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    data["base"] = json.loads(re.search(r'name="base" value="([^"]*)"', html).group(1).replace("&#34;", '"')
                              .replace("&quot;", '"').replace("&amp;", "&"))
    data["base"] = json.dumps(data["base"])
    data["title"] = re.search(r'id="f-title" name="title"\s+value="([^"]*)"', html).group(1)
    data["body"] = re.search(r'name="body" rows="10">([^<]*)</textarea>', html).group(1).replace("\n", "\r\n")
    data["deadline"] = re.search(r'id="f-deadline" name="deadline"\s+value="([^"]*)"', html).group(1)
    data["priority"] = re.search(r'name="priority" id="f-priority-(\w+)" value="\w+" checked', html).group(1)
    data["lead_agency_id"] = re.search(r'<option value="(\d+)" selected', html).group(1)
    data["support_agency_ids"] = re.findall(r'name="support_agency_ids" value="(\d+)" id="sa-\d+" checked', html)
    return data


def test_the_directive_page_links_to_the_edit_page_for_leaders_only(client, w):
    d = w["d"]
    login(client, w["users"]["leader"])
    page = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert f'href="/directives/{d.id}/edit"' in page
    officer = client.application.test_client()
    login(officer, w["users"]["officer"])
    assert f"/directives/{d.id}/edit" not in officer.get(f"/directives/{d.id}").get_data(as_text=True)
    assert officer.get(f"/directives/{d.id}/edit").status_code == 403
    other = client.application.test_client()
    login(other, w["users"]["other"])
    assert other.get(f"/directives/{d.id}/edit").status_code == 404


def test_the_edit_page_is_the_directive_form_prefilled_with_a_required_reason(client, w):
    login(client, w["users"]["leader"])
    res = client.get(f"/directives/{w['d'].id}/edit")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    form = edit_form(html)
    assert form["title"] == "Kiểm tra an toàn thực phẩm" and form["priority"] == "normal"
    assert form["lead_agency_id"] == str(w["syt"].id) and form["support_agency_ids"] == [str(w["sgd"].id)]
    assert 'id="f-reason" name="reason"' in html and "required" in html.split('id="f-reason"')[1].split(">")[0]
    assert 'id="picker-list"' in html and 'id="f-attachments"' not in html


def test_saving_the_form_unchanged_but_for_the_title_changes_only_the_title(client, w):
    d = w["d"]
    token = login(client, w["users"]["leader"])
    form = edit_form(client.get(f"/directives/{d.id}/edit").get_data(as_text=True))
    # meanwhile another leader raises the priority: the form must not put it back
    corrections.correct_directive(w["users"]["leader"], d, {"priority": "urgent", "reason": "Khẩn"})
    form.update(title="Kiểm tra ATTP dịp Tết", reason=REASON, csrf_token=token)
    res = client.post(f"/directives/{d.id}/edit", data=form)
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/directives/{d.id}")
    d = db.session.get(Directive, d.id)
    assert d.title == "Kiểm tra ATTP dịp Tết" and d.priority == "urgent"
    assert d.body == "Tăng cường kiểm tra\ntrên địa bàn"
    page = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert "đã được điều chỉnh" in page  # the flash, in Vietnamese
    assert REASON in page


def test_the_form_without_a_reason_comes_back_with_the_field_marked_and_what_was_typed(client, w):
    d = w["d"]
    token = login(client, w["users"]["leader"])
    form = edit_form(client.get(f"/directives/{d.id}/edit").get_data(as_text=True))
    form.update(title="Tiêu đề đang sửa", reason="", csrf_token=token)
    before = directive_state(d.id)
    res = client.post(f"/directives/{d.id}/edit", data=form)
    assert res.status_code == 422
    assert directive_state(d.id) == before
    html = res.get_data(as_text=True)
    assert 'id="f-reason" name="reason" value=""' in html and "is-invalid" in html.split('id="f-reason"')[0][-200:]
    assert 'value="Tiêu đề đang sửa"' in html
    assert db.session.get(Directive, d.id).title == "Kiểm tra an toàn thực phẩm"


def test_taking_an_agency_off_on_the_form(client, w):
    d = w["d"]
    token = login(client, w["users"]["leader"])
    form = edit_form(client.get(f"/directives/{d.id}/edit").get_data(as_text=True))
    form.update(support_agency_ids=[str(w["hds"].id)], reason=REASON, csrf_token=token)
    assert client.post(f"/directives/{d.id}/edit", data=form).status_code == 302
    assignments = db.session.scalars(db.select(Assignment).where(Assignment.directive_id == d.id))
    rows = {a.agency_id: a.status for a in assignments}
    assert rows == {w["syt"].id: "pending", w["sgd"].id: "cancelled", w["hds"].id: "pending"}
    page = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert "Rút khỏi chỉ đạo" in page and "Bổ sung vào chỉ đạo" in page  # the history says it in words


def test_a_closed_or_cancelled_directive_sends_the_leader_back_with_a_message(client, w):
    d = w["d"]
    services.cancel_directive(w["users"]["leader"], d, {"reason": "Không còn phù hợp"})
    login(client, w["users"]["leader"])
    res = client.get(f"/directives/{d.id}/edit")
    assert res.status_code == 302
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert f'href="/directives/{d.id}/edit"' not in page  # no button on a directive that cannot be corrected
    assert "Chỉ điều chỉnh được" in page

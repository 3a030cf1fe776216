"""Directive pages: who may open what, forms that keep what was typed, the one-click acknowledge,
the XLSX downloads, attachment downloads, and hostile text shown as text everywhere."""
import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.dbtypes import utcnow
from core.extensions import db
from directives import extensions, services
from directives.models import Attachment, Directive, ExtensionRequest
from tests.conftest import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(factory):
    syt, sgd, other = (
        factory.agency("SYT", "Sở Y tế"),
        factory.agency("SGD", "Sở Giáo dục"),
        factory.agency("HDS", "UBND huyện Đông Sơn"),
    )
    w = {
        "leader": factory.user("leader", username="chutich", full_name="Nguyễn Văn Minh"),
        "admin": factory.user("admin", username="quantri"),
        "officer": factory.user("officer", syt, username="syt1", full_name="Đỗ Văn Long"),
        "support_officer": factory.user("officer", sgd, username="sgd1"),
        "other": factory.user("officer", other, username="hds1"),
        "syt": syt, "sgd": sgd, "hds": other,
    }
    w["directive"] = issue(w)
    w["lead"] = next(a for a in w["directive"].assignments if a.role == "lead")
    w["support"] = next(a for a in w["directive"].assignments if a.role == "support")
    return w


def issue(w, title="Triển khai tiêm chủng mở rộng", body="Giao **Sở Y tế** chủ trì.", days=10, **extra):
    data = {"title": title, "body": body, "deadline": (utcnow() + timedelta(days=days)).isoformat(),
            "lead_agency_id": w["syt"].id, "support_agency_ids": [w["sgd"].id]}
    data.update(extra)
    return services.issue_directive(w["leader"], data)


def as_user(client, w, who):
    """Log the client in as ``who`` (None: stay anonymous); returns the CSRF token or None."""
    if who is None:
        return None
    return login(client, w[who])


def switch(client, user):
    """A fresh client of the same app logged in as ``user``: (client, csrf token)."""
    fresh = client.application.test_client()
    return fresh, login(fresh, user)


def text(res):
    return res.get_data(as_text=True)


# -- the permission matrix ---------------------------------------------------------------

WHO = ["leader", "officer", "other", "admin", None]


def page_paths(w):
    d, lead = w["directive"], w["lead"]
    return {
        "inbox": "/directives/inbox",
        "show": f"/directives/{d.id}",
        "live": f"/directives/{d.id}/live",
        "row": f"/assignments/{lead.id}/row",
        "new": "/directives/new",
        "list": "/directives",
        "export_list": "/directives/export.xlsx",
        "dashboard": "/directives/dashboard",
        "export_report": "/directives/dashboard/export.xlsx",
        "history_xlsx": f"/assignments/{lead.id}/history.xlsx",
    }


# (page, who) -> expected status; 302 means a redirect (anonymous: to the login page)
EXPECTED = {
    "inbox": {"leader": 302, "officer": 200, "other": 200, "admin": 302, None: 302},
    "show": {"leader": 200, "officer": 200, "other": 404, "admin": 200, None: 302},
    "live": {"leader": 200, "officer": 200, "other": 404, "admin": 200, None: 302},
    "row": {"leader": 404, "officer": 200, "other": 404, "admin": 404, None: 302},
    "new": {"leader": 200, "officer": 403, "other": 403, "admin": 403, None: 302},
    "list": {"leader": 200, "officer": 302, "other": 302, "admin": 200, None: 302},
    "export_list": {"leader": 200, "officer": 403, "other": 403, "admin": 200, None: 302},
    "dashboard": {"leader": 200, "officer": 403, "other": 403, "admin": 200, None: 302},
    "export_report": {"leader": 200, "officer": 403, "other": 403, "admin": 200, None: 302},
    "history_xlsx": {"leader": 200, "officer": 200, "other": 404, "admin": 200, None: 302},
}


@pytest.mark.parametrize("who", WHO, ids=lambda w: w or "anonymous")
def test_every_page_answers_each_kind_of_user_as_the_matrix_says(client, world, who):
    as_user(client, world, who)
    for name, path in page_paths(world).items():
        res = client.get(path)
        expected = EXPECTED[name][who]
        assert res.status_code == expected, f"{name} {path} as {who}: {res.status_code}"
        if who is None:
            assert "/login" in res.headers["Location"], name
        if expected == 404:
            assert world["directive"].title not in text(res)


def test_officer_of_another_agency_cannot_act_through_any_form(client, world):
    token = as_user(client, world, "other")
    lead, ext_owner = world["lead"], world["support"]
    services.acknowledge(world["support_officer"], ext_owner)
    ext = extensions.request_extension(
        world["support_officer"],
        ext_owner,
        {"deadline": (utcnow() + timedelta(days=20)).isoformat(), "reason": "Thiếu số liệu"},
    )
    posts = [
        f"/assignments/{lead.id}/acknowledge", f"/assignments/{lead.id}/report", f"/assignments/{lead.id}/submit",
        f"/assignments/{lead.id}/extension", f"/assignments/{lead.id}/accept", f"/assignments/{lead.id}/return",
        f"/extension-requests/{ext.id}/approve", f"/extension-requests/{ext.id}/reject",
        f"/directives/{world['directive'].id}/cancel",
    ]
    for path in posts:
        res = client.post(path, data={"csrf_token": token, "progress": "50", "reason": "x", "note": "x",
                                      "deadline": "2030-01-01T10:00"})
        assert res.status_code == 404, path
    db.session.refresh(lead)
    assert lead.status == "pending" and lead.acknowledged_at is None


def test_officer_cannot_decide_and_leader_cannot_act_for_an_agency(client, world):
    lead = world["lead"]
    token = as_user(client, world, "officer")
    res = client.post(f"/directives/{world['directive'].id}/cancel", data={"csrf_token": token, "reason": "x"})
    assert res.status_code == 403 and "Location" not in res.headers
    assert db.session.get(Directive, world["directive"].id).status == "issued"
    client, token = switch(client, world["leader"])
    res = client.post(f"/assignments/{lead.id}/acknowledge", data={"csrf_token": token})
    assert res.status_code == 403 and ">403</div>" in text(res)
    db.session.refresh(lead)
    assert lead.acknowledged_at is None


def test_forms_refuse_a_post_without_the_csrf_token(client, world):
    as_user(client, world, "officer")
    res = client.post(f"/assignments/{world['lead'].id}/acknowledge", data={})
    assert res.status_code == 400
    db.session.refresh(world["lead"])
    assert world["lead"].acknowledged_at is None


# -- navigation and home page ------------------------------------------------------------------

def test_officer_sees_the_inbox_link_and_the_unacknowledged_directive_at_the_top_of_home(client, world):
    as_user(client, world, "officer")
    html = text(client.get("/"))
    assert 'href="/directives/inbox"' in html
    assert 'href="/directives/new"' not in html
    section = html.index('id="home-unacknowledged"')
    assert html.index(world["directive"].title) > section
    services.acknowledge(world["officer"], world["lead"])
    html = text(client.get("/"))
    assert world["directive"].title not in html


def test_leader_sees_issue_list_and_board_links_and_the_key_numbers(client, world):
    as_user(client, world, "leader")
    html = text(client.get("/"))
    for href in ('href="/directives/new"', 'href="/directives"', 'href="/directives/dashboard"'):
        assert href in html
    assert 'href="/directives/inbox"' not in html
    block = html[html.index('id="home-leader-numbers"'):]
    assert 'href="/directives?view=assignments&amp;tracking=overdue"' in block
    assert 'href="/directives?view=assignments&amp;tracking=due_soon"' in block
    assert 'href="/directives?view=assignments&amp;acknowledged=no"' in block
    unack = re.search(r'id="home-unack">.*?display-6[^>]*>(\d+)<', block, re.S)
    assert unack and unack.group(1) == "2"


# -- the inbox and the one-click acknowledge ----------------------------------------------------

def test_inbox_lists_new_unacknowledged_first_highlighted_with_an_acknowledge_button(client, world):
    older_done = world["directive"]
    services.acknowledge(world["officer"], world["lead"])
    newer = issue(world, title="Kiểm tra an toàn thực phẩm")
    as_user(client, world, "officer")
    html = text(client.get("/directives/inbox"))
    assert html.index("Kiểm tra an toàn thực phẩm") < html.index(older_done.title)
    new_row = html[html.index(f'id="assignment-{newer.assignments[0].id}"'):]
    row_start = html.rindex("<div", 0, html.index(f'id="assignment-{newer.assignments[0].id}"'))
    assert "inbox-unack" in html[row_start:][:200]
    assert 'class="btn btn-success btn-sm ack-button"' in new_row.split('class="list-group-item')[0]
    assert 'id="inbox-empty" class="d-none"' in html


def test_inbox_filters_and_its_empty_state(client, world):
    as_user(client, world, "officer")
    assert world["directive"].title in text(client.get("/directives/inbox?status=pending"))
    assert world["directive"].title not in text(client.get("/directives/inbox?status=completed"))
    assert world["directive"].title in text(client.get("/directives/inbox?q=tiêm chủng"))
    assert world["directive"].title not in text(client.get("/directives/inbox?q=không có"))
    assert world["directive"].title in text(client.get("/directives/inbox?tracking=on_track"))
    assert world["directive"].title not in text(client.get("/directives/inbox?tracking=overdue"))
    res = client.get("/directives/inbox?status=bogus")
    assert res.status_code == 200  # a bad filter is dropped, never a 500
    client, _token = switch(client, world["other"])
    html = text(client.get("/directives/inbox"))
    assert "Chưa có chỉ đạo nào" in html and 'id="inbox-empty" class=""' in html


def test_acknowledge_form_without_script_acknowledges_once_and_returns_to_the_inbox(client, world):
    token = as_user(client, world, "officer")
    lead = world["lead"]
    res = client.post(f"/assignments/{lead.id}/acknowledge", data={"csrf_token": token, "next": "/directives/inbox"})
    assert res.status_code == 302 and res.headers["Location"].endswith("/directives/inbox")
    db.session.refresh(lead)
    first = lead.acknowledged_at
    assert lead.status == "acknowledged" and lead.acknowledged_by_id == world["officer"].id
    client.post(f"/assignments/{lead.id}/acknowledge", data={"csrf_token": token})
    db.session.refresh(lead)
    assert lead.acknowledged_at == first


def test_one_click_path_the_script_uses_then_the_row_fragment_shows_it_acknowledged(client, world):
    token = as_user(client, world, "officer")
    lead = world["lead"]
    row = text(client.get(f"/assignments/{lead.id}/row"))
    assert f'data-assignment-id="{lead.id}"' in row and "ack-button" in row and "inbox-unack" in row
    res = client.post(f"/api/v1/assignments/{lead.id}/acknowledge", headers={"X-CSRFToken": token})
    assert res.status_code == 200 and res.get_json()["status"] == "acknowledged"
    row = text(client.get(f"/assignments/{lead.id}/row"))
    assert "ack-button" not in row and "inbox-unack" not in row
    assert 'data-status="acknowledged"' in row


def test_inbox_page_loads_its_script_and_no_inline_script(client, world):
    as_user(client, world, "officer")
    html = text(client.get("/directives/inbox"))
    assert "/static/js/directives.js" in html
    for tag in re.findall(r"<script([^>]*)>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


# -- the directive page ---------------------------------------------------------------------

def test_opening_the_directive_marks_it_seen_for_the_agency_only(client, world):
    as_user(client, world, "leader")
    client.get(f"/directives/{world['directive'].id}")
    db.session.refresh(world["lead"])
    assert world["lead"].first_seen_at is None
    client, _token = switch(client, world["officer"])
    html = text(client.get(f"/directives/{world['directive'].id}"))
    db.session.refresh(world["lead"])
    assert world["lead"].first_seen_by_id == world["officer"].id
    assert "<strong>Sở Y tế</strong>" in html  # Markdown rendered
    assert "Sở Giáo dục" in html and "agency-row-" in html


def test_directive_page_shows_officer_forms_and_leader_decisions(client, world):
    d = world["directive"]
    as_user(client, world, "officer")
    html = text(client.get(f"/directives/{d.id}"))
    assert "ack-button" in html and f"/assignments/{world['lead'].id}/report" not in html
    services.acknowledge(world["officer"], world["lead"])
    html = text(client.get(f"/directives/{d.id}"))
    for action in ("report", "extension", "submit"):
        assert f"/assignments/{world['lead'].id}/{action}" in html
    assert "/cancel" not in html and "/accept" not in html
    client, _token = switch(client, world["leader"])
    html = text(client.get(f"/directives/{d.id}"))
    assert f"/directives/{d.id}/cancel" in html
    assert "/report" not in html


def test_progress_report_with_an_attachment_from_the_page(client, world):
    token = as_user(client, world, "officer")
    lead = world["lead"]
    services.acknowledge(world["officer"], lead)
    res = client.post(f"/assignments/{lead.id}/report", data={
        "csrf_token": token, "progress": "40", "note": "Đã rà soát 120/300 trường",
        "attachment": (io.BytesIO(b"%PDF-1.4 report"), "bao-cao.pdf"),
    }, content_type="multipart/form-data")
    assert res.status_code == 302
    db.session.refresh(lead)
    assert lead.status == "in_progress" and lead.progress == 40
    att = db.session.scalar(db.select(Attachment).where(Attachment.report_id.is_not(None)))
    assert att is not None and att.original_name == "bao-cao.pdf"
    html = text(client.get(f"/directives/{world['directive'].id}"))
    assert "Đã rà soát 120/300 trường" in html and f"/attachments/{att.id}" in html


def test_a_bad_report_keeps_what_was_typed_and_writes_nothing(client, world):
    token = as_user(client, world, "officer")
    lead = world["lead"]
    services.acknowledge(world["officer"], lead)
    res = client.post(f"/assignments/{lead.id}/report", data={"csrf_token": token, "progress": "140",
                                                              "note": "Ghi chú đã gõ <b>đậm</b>"})
    assert res.status_code == 422
    html = text(res)
    assert 'value="140"' in html and "Ghi chú đã gõ &lt;b&gt;đậm&lt;/b&gt;" in html and "is-invalid" in html
    res = client.post(f"/assignments/{lead.id}/report", data={
        "csrf_token": token, "progress": "30", "note": "kèm tệp",
        "attachment": (io.BytesIO(b"MZ..."), "virus.exe")}, content_type="multipart/form-data")
    assert res.status_code == 422 and "kèm tệp" in text(res)
    db.session.refresh(lead)
    assert lead.status == "acknowledged" and lead.progress == 0 and not lead.reports


def test_extension_submit_return_accept_from_the_pages(client, world):
    lead, d = world["lead"], world["directive"]
    services.acknowledge(world["officer"], lead)
    token = as_user(client, world, "officer")
    res = client.post(f"/assignments/{lead.id}/extension",
                      data={"csrf_token": token, "deadline": "", "reason": "Cần thêm thời gian"})
    assert res.status_code == 422 and "Cần thêm thời gian" in text(res)
    new_deadline = (utcnow() + timedelta(days=30)).astimezone().strftime("%Y-%m-%dT%H:%M")
    res = client.post(f"/assignments/{lead.id}/extension",
                      data={"csrf_token": token, "deadline": new_deadline, "reason": "Cần thêm thời gian"})
    assert res.status_code == 302
    ext = db.session.scalar(db.select(ExtensionRequest))
    assert ext.status == "pending"
    res = client.post(f"/assignments/{lead.id}/submit", data={"csrf_token": token, "note": "Đã xong"})
    assert res.status_code == 302
    client, token = switch(client, world["leader"])
    html = text(client.get(f"/directives/{d.id}"))
    assert f'id="decide-{lead.id}"' in html
    res = client.post(f"/assignments/{lead.id}/return", data={"csrf_token": token, "reason": ""})
    assert res.status_code == 422
    res = client.post(f"/assignments/{lead.id}/return", data={"csrf_token": token, "reason": "Thiếu số liệu xã"})
    assert res.status_code == 302
    db.session.refresh(lead)
    assert lead.status == "in_progress"
    res = client.post(f"/extension-requests/{ext.id}/approve", data={"csrf_token": token})
    assert res.status_code == 302
    db.session.refresh(lead)
    assert lead.deadline == ext.requested_deadline
    # an illegal transition is a message on the page, and nothing changes
    res = client.post(f"/assignments/{lead.id}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert res.status_code == 200 and "alert-danger" in text(res)
    db.session.refresh(lead)
    assert lead.status == "in_progress"
    html = text(client.get(f"/directives/{d.id}"))
    assert "Thiếu số liệu xã" in html  # the reason stays in the history


def test_reject_extension_and_cancel_from_the_leader_page(client, world):
    sup = world["support"]
    services.acknowledge(world["support_officer"], sup)
    ext = extensions.request_extension(
        world["support_officer"],
        sup,
        {"deadline": (utcnow() + timedelta(days=40)).isoformat(), "reason": "Chờ kinh phí"},
    )
    token = as_user(client, world, "leader")
    html = text(client.get(f"/directives/{world['directive'].id}"))
    assert f'id="extension-{ext.id}"' in html and "Chờ kinh phí" in html
    res = client.post(f"/extension-requests/{ext.id}/reject", data={"csrf_token": token, "reason": "Không đủ căn cứ"})
    assert res.status_code == 302
    db.session.refresh(ext)
    assert ext.status == "rejected"
    res = client.post(f"/directives/{world['directive'].id}/cancel", data={"csrf_token": token, "reason": ""})
    assert res.status_code == 422
    res = client.post(f"/directives/{world['directive'].id}/cancel",
                      data={"csrf_token": token, "reason": "Trùng nội dung"})
    assert res.status_code == 302
    assert db.session.get(Directive, world["directive"].id).status == "cancelled"


def test_live_fragment_has_every_part_the_script_swaps(client, world):
    as_user(client, world, "leader")
    html = text(client.get(f"/directives/{world['directive'].id}/live"))
    for part in ('id="directive-status"', 'id="part-actions"', 'id="part-agencies"', 'id="part-history"'):
        assert part in html
    assert "<html" not in html


# -- the leader's form ---------------------------------------------------------------------

def test_new_directive_form_errors_keep_what_was_typed(client, world):
    token = as_user(client, world, "leader")
    res = client.post("/directives/new", data={
        "csrf_token": token, "title": "Chỉ đạo <gõ dở>", "body": "Nội dung đã gõ", "deadline": "",
        "priority": "urgent", "lead_agency_id": str(world["syt"].id),
        "support_agency_ids": [str(world["sgd"].id), str(world["hds"].id)],
    })
    assert res.status_code == 422
    html = text(res)
    assert 'value="Chỉ đạo &lt;gõ dở&gt;"' in html and "Nội dung đã gõ" in html
    assert re.search(r'id="f-deadline"[^>]*>\s*<div class="invalid-feedback">', html) or "is-invalid" in html
    assert re.search(r'value="urgent" checked', html)
    assert re.search(rf'<option value="{world["syt"].id}" selected', html)
    for agency in (world["sgd"], world["hds"]):
        assert re.search(rf'value="{agency.id}" id="sa-{agency.id}" checked', html)
    assert db.session.scalar(db.select(db.func.count(Directive.id))) == 1  # only the fixture's


def test_new_directive_with_the_lead_also_as_support_names_the_field(client, world):
    token = as_user(client, world, "leader")
    res = client.post("/directives/new", data={
        "csrf_token": token, "title": "Tiêu đề", "body": "x", "deadline": "2099-01-01T10:00",
        "lead_agency_id": str(world["syt"].id), "support_agency_ids": [str(world["syt"].id)]})
    assert res.status_code == 422
    assert re.search(r'agency-picker is-invalid', text(res))


def test_new_directive_issued_from_the_form_with_a_file(client, world):
    token = as_user(client, world, "leader")
    res = client.post("/directives/new", data={
        "csrf_token": token, "title": "Phòng chống bão số 9", "body": "- Sơ tán dân\n- Gia cố đê",
        "deadline": "2099-01-01T10:00", "priority": "high", "lead_agency_id": str(world["hds"].id),
        "support_agency_ids": [str(world["syt"].id)],
        "attachments": [(io.BytesIO(b"%PDF-1.4 plan"), "ke-hoach.pdf")],
    }, content_type="multipart/form-data")
    assert res.status_code == 302
    d = db.session.scalar(db.select(Directive).where(Directive.title == "Phòng chống bão số 9"))
    assert res.headers["Location"].endswith(f"/directives/{d.id}")
    assert d.priority == "high" and {a.agency_id for a in d.assignments} == {world["hds"].id, world["syt"].id}
    # the deadline typed in local time (Asia/Ho_Chi_Minh, UTC+7) is stored in UTC
    assert d.deadline.hour == 3
    html = text(client.get(f"/directives/{d.id}"))
    assert "ke-hoach.pdf" in html and "<li>Sơ tán dân</li>" in html


def test_new_directive_with_a_forbidden_file_type_creates_nothing(client, world):
    token = as_user(client, world, "leader")
    res = client.post("/directives/new", data={
        "csrf_token": token, "title": "Có tệp lạ", "body": "x", "deadline": "2099-01-01T10:00",
        "lead_agency_id": str(world["hds"].id), "attachments": [(io.BytesIO(b"#!/bin/sh"), "run.sh")],
    }, content_type="multipart/form-data")
    assert res.status_code == 422 and 'value="Có tệp lạ"' in text(res)
    assert db.session.scalar(db.select(Directive).where(Directive.title == "Có tệp lạ")) is None


# -- list, dashboard and the XLSX files --------------------------------------------------------

def test_list_filters_and_pagination(client, world):
    for n in range(22):
        issue(world, title=f"Chỉ đạo số {n:02d}", priority="urgent" if n % 2 else "normal")
    as_user(client, world, "leader")
    page1 = text(client.get("/directives"))
    assert "Chỉ đạo số 21" in page1 and "Chỉ đạo số 00" not in page1
    page2 = text(client.get("/directives?page=2"))
    assert "Chỉ đạo số 00" in page2 and world["directive"].title in page2
    urgent = text(client.get("/directives?priority=urgent"))
    assert "Chỉ đạo số 21" in urgent and "Chỉ đạo số 20" not in urgent
    assert "Chỉ đạo số 05" in text(client.get("/directives?q=số 05"))
    assert "Chỉ đạo số 05" not in text(client.get(f"/directives?agency_id={world['hds'].id}"))
    assert client.get("/directives?date_from=bogus").status_code == 200
    assert "Chỉ đạo số 05" in text(client.get("/directives?unacknowledged=1"))
    assert "Chỉ đạo số 05" not in text(client.get("/directives?tracking=overdue"))


def test_list_xlsx_export_holds_the_filtered_rows(client, world):
    issue(world, title="Chỉ đạo khẩn", priority="urgent")
    as_user(client, world, "leader")
    res = client.get("/directives/export.xlsx?priority=urgent")
    assert res.status_code == 200 and res.mimetype == XLSX
    assert "attachment;" in res.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(res.data)).active
    assert ws.cell(row=3, column=1).value == "Số" and ws.cell(row=3, column=2).value == "Trích yếu"
    titles = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
    assert titles == ["Chỉ đạo khẩn"]


def test_dashboard_report_xlsx_and_history_xlsx(client, world):
    services.acknowledge(world["officer"], world["lead"])
    as_user(client, world, "leader")
    ws = load_workbook(io.BytesIO(client.get("/directives/dashboard/export.xlsx").data)).active
    assert ws.cell(row=3, column=3).value == "Đơn vị"
    rows = {ws.cell(row=r, column=3).value: ws.cell(row=r, column=5).value for r in range(4, ws.max_row + 1)}
    assert rows["Sở Y tế"] == 1 and rows["Sở Giáo dục"] == 0 and rows["Tổng cộng"] == 1
    res = client.get(f"/assignments/{world['lead'].id}/history.xlsx")
    ws = load_workbook(io.BytesIO(res.data)).active
    actions = [ws.cell(row=r, column=3).value for r in range(4, ws.max_row + 1)]
    assert len(actions) == 2 and ws.cell(row=3, column=1).value == "Thời gian"


def test_dashboard_shows_per_agency_numbers_charts_and_its_data_endpoint(client, world):
    services.acknowledge(world["officer"], world["lead"])
    as_user(client, world, "leader")
    html = text(client.get("/directives/dashboard"))
    assert 'id="chart-agencies"' in html and 'id="chart-totals"' in html and "chart.umd.min.js" in html
    assert 'data-sort="median_ack_seconds"' in html and 'id="ranking"' in html
    assert re.search(r'data-kpi="assigned">2<', html)
    # the page refetches the live numbers from the API, with the agencies' names
    stats_url = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1))["stats_url"]
    assert stats_url.startswith("/api/v1/directives/stats")
    data = client.get(stats_url).get_json()
    by_name = {r["agency_name"]: r for r in data["agencies"]}
    assert by_name["Sở Y tế"]["acknowledged"] == 1 and data["totals"]["assigned"] == 2


def test_median_time_to_acknowledge_is_shown_in_human_units(app):
    from directives.page_helpers import human_duration

    with app.test_request_context():
        assert human_duration(None) == "—"
        assert human_duration(45) == "45 giây"
        assert human_duration(12 * 60 + 5) == "12 phút"
        assert human_duration(2 * 3600 + 15 * 60) == "2 giờ 15 phút"
        assert human_duration(3 * 86400 + 4 * 3600) == "3 ngày 4 giờ"


# -- attachments ---------------------------------------------------------------------------

def test_attachment_download_only_for_those_who_see_the_directive(client, world):
    from werkzeug.datastructures import FileStorage

    from directives import attachments

    with client.application.test_request_context():
        att = attachments.save_upload(FileStorage(io.BytesIO(b"%PDF-1.4 noi dung"), filename="quyet-dinh.pdf"),
                                      world["directive"], world["leader"])
    for who, status in (("leader", 200), ("officer", 200), ("admin", 200), ("other", 404), (None, 302)):
        fresh = client.application.test_client()
        as_user(fresh, world, who)
        res = fresh.get(f"/attachments/{att.id}")
        assert res.status_code == status, who
        if status == 200:
            assert res.data == b"%PDF-1.4 noi dung"
            assert "quyet-dinh.pdf" in res.headers["Content-Disposition"]
    fresh = client.application.test_client()
    login(fresh, world["leader"])
    assert fresh.get("/attachments/99999").status_code == 404


# -- hostile text ----------------------------------------------------------------------------

HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
HOSTILE_BODY = '<script>alert("b")</script>\n\n<img src=x onerror="alert(2)">\n\n[link](javascript:alert(3))'


def test_hostile_title_and_body_are_escaped_on_every_page(client, world):
    d = issue(world, title=HOSTILE_TITLE, body=HOSTILE_BODY)
    lead = next(a for a in d.assignments if a.role == "lead")
    services.acknowledge(world["officer"], lead)
    services.report_progress(world["officer"], lead, {"progress": 10, "note": '<img src=x onerror="alert(4)">'})

    def clean(html, where):
        assert "<script>alert" not in html, where
        assert not re.search(r"<img[^>]*onerror", html), where
        assert "javascript:alert" not in html, where

    support = next(a for a in d.assignments if a.role == "support")
    client, _token = switch(client, world["support_officer"])  # not acknowledged: on the home page too
    for path in ("/", "/directives/inbox", f"/assignments/{support.id}/row"):
        html = text(client.get(path))
        assert "&lt;script&gt;" in html, path
        clean(html, path)
    client, _token = switch(client, world["officer"])
    for path in ("/directives/inbox", f"/directives/{d.id}", f"/directives/{d.id}/live", f"/assignments/{lead.id}/row"):
        html = text(client.get(path))
        assert "&lt;script&gt;" in html or path.endswith("/live"), path
        clean(html, path)
    client, _token = switch(client, world["leader"])
    for path in ("/directives", f"/directives/{d.id}", "/directives/dashboard", "/directives?q=script"):
        html = text(client.get(path))
        clean(html, path)


def test_the_same_form_posted_twice_issues_and_reports_once(client, world):
    token = as_user(client, world, "leader")
    html = text(client.get("/directives/new"))
    client_id = re.search(r'name="client_id" value="([0-9a-f]{32})"', html).group(1)
    data = {"csrf_token": token, "client_id": client_id, "title": "Bấm hai lần", "body": "x",
            "deadline": "2099-01-01T10:00", "lead_agency_id": str(world["hds"].id)}
    first = client.post("/directives/new", data=dict(data, attachments=(io.BytesIO(b"%PDF-1 a"), "a.pdf")),
                        content_type="multipart/form-data")
    second = client.post("/directives/new", data=dict(data, attachments=(io.BytesIO(b"%PDF-1 a"), "a.pdf")),
                         content_type="multipart/form-data")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    d = db.session.scalar(db.select(Directive).where(Directive.title == "Bấm hai lần"))
    assert len(d.attachments) == 1

    officer, token = switch(client, world["officer"])
    services.acknowledge(world["officer"], world["lead"])
    html = text(officer.get(f"/directives/{world['directive'].id}"))
    report_id = re.search(r'name="client_id" value="([0-9a-f]{32})"', html).group(1)
    for _ in range(2):
        res = officer.post(f"/assignments/{world['lead'].id}/report", data={
            "csrf_token": token, "client_id": report_id, "progress": "30", "note": "một lần"})
        assert res.status_code == 302
    db.session.refresh(world["lead"])
    assert len(world["lead"].reports) == 1


def test_inbox_shows_fifty_rows_at_a_time_waiting_ones_first(client, world):
    for n in range(55):
        issue(world, title=f"Việc số {n:02d}")
    as_user(client, world, "officer")
    html = text(client.get("/directives/inbox"))
    assert html.count('class="list-group-item inbox-row') == 50 and 'id="inbox-more"' in html
    html = text(client.get("/directives/inbox?shown=100"))
    assert html.count('class="list-group-item inbox-row') == 56 and 'id="inbox-more"' not in html

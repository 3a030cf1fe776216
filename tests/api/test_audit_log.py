"""The audit log for administrators: the page, its filters and paging, the XLSX export, the API,
and the trail staying read only (no write route, and the ORM refuses to change or delete a row)."""
import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from auth import services as auth_services
from core.audit import AuditLog, AuditLogReadOnly
from core.extensions import db
from tests.conftest import bearer, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(*args):
    return datetime(*args, tzinfo=UTC)


def add(when, action="directive.issue", actor=None, object_type="directive", object_id=1, **data):
    row = AuditLog(created_at=when, actor_id=actor.id if actor else None, action=action, object_type=object_type,
                   object_id=object_id, data=data, ip="10.0.0.7")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def w(factory):
    syt = factory.agency("SYT", "Sở Y tế")
    return {
        "admin": factory.user("admin", username="quantri", full_name="Quản Trị Viên"),
        "leader": factory.user("leader", username="chutich", full_name="Nguyễn Văn Minh"),
        "officer": factory.user("officer", syt, username="syt1", full_name="Đỗ Văn Long"),
        "syt": syt,
    }


def page(client, **args):
    res = client.get("/admin/audit", query_string=args)
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    return res.get_data(as_text=True)


def row_ids(html):
    return [int(n) for n in re.findall(r'<tr id="audit-(\d+)"', html)]


# -- who may see it ---------------------------------------------------------------------------

def test_only_admins_open_the_page_the_export_and_the_api(client, factory, w):
    for who in ("leader", "officer"):
        c = client.application.test_client()
        login(c, w[who])
        for url in ("/admin/audit", "/admin/audit/export.xlsx"):
            res = c.get(url)
            assert res.status_code == 403 and ">403</div>" in res.get_data(as_text=True), (who, url)
        assert "/admin/audit" not in c.get("/").get_data(as_text=True)  # no menu link
        res = c.get("/api/v1/audit", headers=bearer(factory.token(w[who])))
        assert res.status_code == 403 and res.json["error"]["code"] == "forbidden"
    res = client.get("/admin/audit")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
    assert client.get("/api/v1/audit").status_code == 401
    login(client, w["admin"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/audit"' in home and "</i>Nhật ký hệ thống</a>" in home


# -- the page ---------------------------------------------------------------------------------

def test_real_changes_show_newest_first_in_words_not_json(client, w):
    admin, officer = w["admin"], w["officer"]
    auth_services.update_user(admin, officer, {"role": "leader", "full_name": "Đỗ Văn Long", "agency_id": ""})
    auth_services.update_user(admin, officer, {"active": False})
    login(client, admin)
    html = page(client)
    first, second = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "user.update")
                                       .order_by(AuditLog.id.desc())).all()[:2]
    ids = row_ids(html)
    assert ids.index(first.id) < ids.index(second.id)  # newest first
    assert "Sửa tài khoản" in html and "Quản Trị Viên" in html
    assert "Chuyên viên → Lãnh đạo" in html  # role labels, not ["officer", "leader"]
    assert "Sở Y tế → —" in html  # the agency by name
    assert "Có → Không" in html
    table = html[html.index("<table"):html.index("</table>")]
    assert '["officer"' not in table and "[&#34;" not in table and "{&#34;" not in table
    assert f'href="/admin/users/{officer.id}/edit"' in html  # the object links to its page


def test_filters_by_who_action_object_dates_and_details(client, w):
    admin, leader, officer = w["admin"], w["leader"], w["officer"]
    a = add(at(2026, 1, 10, 17, 30), actor=leader, object_id=7, number="15/CĐ-UBND", title="Phòng chống bão số 3")
    b = add(at(2026, 1, 10, 16, 30), action="assignment.acknowledge", actor=officer, object_type="directive_assignment",
            object_id=9, directive_id=7, from_status="pending", to_status="acknowledged")
    c = add(at(2026, 1, 12, 2, 0), action="directive.reminders", object_type="system", object_id=None, overdue=2)
    login(client, admin)
    assert row_ids(page(client, who="Minh")) == [a.id]
    assert row_ids(page(client, who="syt1")) == [b.id]
    assert row_ids(page(client, actor_id=officer.id)) == [b.id]
    assert row_ids(page(client, actor_id="system")) == [c.id]
    assert row_ids(page(client, action="assignment.acknowledge")) == [b.id]
    assert row_ids(page(client, object_type="directive", object_id=7)) == [a.id]
    # 17:30 UTC on the 10th is 00:30 on the 11th in Hanoi: days are the display zone's
    assert row_ids(page(client, date_from="2026-01-11")) == [c.id, a.id]
    assert row_ids(page(client, date_to="2026-01-10")) == [b.id]
    assert row_ids(page(client, date_from="2026-01-11", date_to="2026-01-11")) == [a.id]
    # words from the details, with or without their case, stored escaped as JSON
    assert row_ids(page(client, q="bão số 3")) == [a.id]
    assert row_ids(page(client, q="PHÒNG CHỐNG")) == [a.id]
    assert row_ids(page(client, q="15/CĐ")) == [a.id]
    assert row_ids(page(client, q="100%")) == []
    html = page(client, action="assignment.acknowledge")
    assert "Chưa tiếp nhận → Đã tiếp nhận" in html and "Tiếp nhận nhiệm vụ" in html
    html = page(client, date_from="2026-13-01", object_id="abc")
    assert 'id="audit-errors"' in html and len(row_ids(html)) == 3  # bad filters are named and left out


def test_paging_fifty_at_a_time_newest_first(client, w):
    start = at(2026, 3, 1, 8, 0)
    rows = [add(start + timedelta(minutes=i), actor=w["leader"], object_id=i + 1) for i in range(120)]
    login(client, w["admin"])
    first = row_ids(page(client))
    assert len(first) == 50 and first[0] == rows[-1].id and first[-1] == rows[70].id
    third = row_ids(page(client, page=3))
    assert third == [r.id for r in reversed(rows[:20])]
    html = page(client, page=2, action="directive.issue")
    assert "page=3" in html and "action=directive.issue" in html  # the pager keeps the filters


# -- export -----------------------------------------------------------------------------------

def test_export_holds_the_filtered_rows_with_real_dates_and_vietnamese_headers(client, w):
    add(at(2026, 1, 10, 17, 30), actor=w["leader"], object_id=7, title="Phòng chống bão")
    add(at(2026, 1, 9, 1, 0), action="user.update", actor=w["admin"], object_type="user", object_id=w["officer"].id,
        role=["officer", "leader"])
    login(client, w["admin"])
    res = client.get("/admin/audit/export.xlsx", query_string={"action": "directive.issue"})
    assert res.status_code == 200 and res.mimetype == XLSX
    name = re.search(r'filename="([^"]+)"', res.headers["Content-Disposition"]).group(1)
    now_local = datetime.now(UTC).astimezone(timezone(timedelta(hours=7)))
    assert name.startswith("nhat-ky-he-thong-") and name.endswith(".xlsx")
    assert now_local.strftime("%Y%m%d-%H") in name or (now_local - timedelta(minutes=1)).strftime("%Y%m%d-%H") in name
    ws = load_workbook(io.BytesIO(res.data)).active
    assert [c.value for c in ws[3]][:4] == ["Thời gian", "Người thực hiện", "Tên đăng nhập", "Hành động"]
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert len(data) == 1
    assert data[0][0] == datetime(2026, 1, 11, 0, 30)  # a real datetime, in Hanoi time
    assert ws.cell(row=4, column=1).number_format.startswith("DD/MM/YYYY")
    assert data[0][1] == "Nguyễn Văn Minh" and data[0][3] == "Ban hành chỉ đạo" and "Phòng chống bão" in data[0][7]
    res = client.get("/admin/audit/export.xlsx", query_string={"action": "user.update"})
    row = [c.value for c in load_workbook(io.BytesIO(res.data)).active[4]]
    assert "Vai trò: Chuyên viên → Lãnh đạo" in row[7]


# -- API --------------------------------------------------------------------------------------

def test_api_lists_with_the_same_filters_and_names_bad_ones(client, factory, w):
    a = add(at(2026, 1, 10, 17, 30), actor=w["leader"], object_id=7, title="Phòng chống bão")
    add(at(2026, 1, 10, 16, 30), action="assignment.acknowledge", actor=w["officer"],
        object_type="directive_assignment")
    h = bearer(factory.token(w["admin"]))  # issuing the token is itself audited
    res = client.get("/api/v1/audit", headers=h, query_string={"q": "bão", "date_from": "2026-01-11"})
    assert res.status_code == 200
    body = res.json
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    item = body["items"][0]
    assert item["id"] == a.id and item["action"] == "directive.issue" and item["object_id"] == 7
    assert item["actor"] == {"id": w["leader"].id, "username": "chutich", "full_name": "Nguyễn Văn Minh"}
    assert item["created_at"] == "2026-01-10T17:30:00+00:00" and item["data"] == {"title": "Phòng chống bão"}
    assert item["details"] == [{"label": "Trích yếu", "text": "Phòng chống bão"}]
    res = client.get("/api/v1/audit", headers=h, query_string={"per_page": 1})
    assert res.json["total"] == 3 and len(res.json["items"]) == 1 and res.json["items"][0]["action"] == "token.issue"
    res = client.get("/api/v1/audit", headers=h,
                     query_string={"object_id": "x", "date_to": "yesterday", "per_page": 1000})
    assert res.status_code == 422 and set(res.json["error"]["fields"]) == {"object_id", "date_to", "per_page"}


# -- read only --------------------------------------------------------------------------------

def test_no_route_writes_to_the_audit_log(app, client, w):
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert {r.rule for r in audit_rules} >= {"/admin/audit", "/admin/audit/export.xlsx", "/api/v1/audit"}
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    token = login(client, w["admin"])
    for rule in audit_rules:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            res = client.open(rule.rule, method=method, headers={"X-CSRFToken": token})
            assert res.status_code == 405, (method, rule.rule)
    # no write route anywhere names the model: rows are added only through core.audit.record
    import inspect

    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            source = inspect.getsource(app.view_functions[rule.endpoint])
            assert "AuditLog" not in source, rule.rule


def test_the_orm_refuses_to_change_or_delete_an_audit_row(app, w):
    row = add(at(2026, 1, 10, 8, 0), actor=w["leader"], title="Bản gốc")
    row_id = row.id
    attempts = [
        lambda: setattr(row, "action", "user.create"),
        lambda: setattr(row, "data", {"title": "Sửa lại"}),
        lambda: setattr(row, "actor_id", None),
        lambda: db.session.delete(row),
    ]
    for attempt in attempts:
        attempt()
        with pytest.raises(AuditLogReadOnly):
            db.session.commit()
        db.session.rollback()
        row = db.session.get(AuditLog, row_id)
    bulk = [
        lambda: db.session.execute(db.update(AuditLog).values(ip="0.0.0.0")),
        lambda: db.session.execute(db.delete(AuditLog).where(AuditLog.id == row_id)),
        lambda: db.session.query(AuditLog).filter_by(id=row_id).delete(),
        lambda: db.session.query(AuditLog).update({"action": "x"}),
    ]
    for attempt in bulk:
        with pytest.raises(AuditLogReadOnly):
            attempt()
        db.session.rollback()
    row = db.session.get(AuditLog, row_id)
    assert (row.action, row.data, row.actor_id, row.ip) == ("directive.issue", {"title": "Bản gốc"}, w["leader"].id,
                                                            "10.0.0.7")
    add(at(2026, 1, 11, 8, 0), title="Thêm dòng mới vẫn được")  # adding rows still works
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(AuditLog.action == "directive.issue")) == 2


def test_a_correction_and_a_moved_deadline_read_in_words(client, w, factory):
    from directives import corrections as directive_corrections
    from directives import services as directive_services

    sgd = factory.agency("SGD", "Sở Giáo dục và Đào tạo")
    d = directive_services.issue_directive(w["leader"], {
        "title": "Tiêm chủng", "body": "Nội dung", "deadline": "2027-01-15T17:00:00+07:00",
        "lead_agency_id": w["syt"].id})
    directive_corrections.correct_directive(w["leader"], d, {"deadline": "2027-01-20T17:00:00+07:00",
                                                          "support_agency_ids": [sgd.id], "reason": "Bổ sung"})
    login(client, w["admin"])
    html = page(client, action="directive.correct")
    rows = html[html.index('<tr id="audit-'):]
    assert "Điều chỉnh chỉ đạo" in rows  # the label (the code stays beside it, small, for support staff)
    assert "Sở Giáo dục và Đào tạo" in rows and "→" in rows and "15/01/2027" in rows and "20/01/2027" in rows
    for english in ("Changes", "Added agency ids", "Support agency ids", "Old deadline"):
        assert english not in rows

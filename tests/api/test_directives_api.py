"""The directives API (API.md): shapes, errors, and the permission matrix over every call."""
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from directives import extensions, queries, schemas, services
from directives.models import Assignment, Directive, ExtensionRequest
from tests.conftest import bearer, login
from tests.directives_support import directive_state

ROLES = ("leader", "officer", "other", "admin", "anon")


@pytest.fixture
def w(factory):
    lead_agency, support_agency, other_agency = factory.agency("SYT"), factory.agency("SGD"), factory.agency("HDS")
    users = {
        "leader": factory.user("leader", username="lead"),
        "officer": factory.user("officer", lead_agency, username="syt1"),
        "support": factory.user("officer", support_agency, username="sgd1"),
        "other": factory.user("officer", other_agency, username="hds1"),
        "admin": factory.user("admin", username="adm"),
    }
    tokens = {name: factory.token(u) for name, u in users.items()}
    return {"users": users, "tokens": tokens, "lead_agency": lead_agency, "support_agency": support_agency,
            "other_agency": other_agency}


def headers(w, role):
    return bearer(w["tokens"][role]) if role != "anon" else {}


def new_directive(w, **extra):
    data = {"title": "Kiểm tra an toàn thực phẩm", "body": "Tăng cường kiểm tra",
            "deadline": (utcnow() + timedelta(days=10)).isoformat(), "lead_agency_id": w["lead_agency"].id,
            "support_agency_ids": [w["support_agency"].id]}
    data.update(extra)
    return services.issue_directive(w["users"]["leader"], data)


def lead_of(d):
    return next(a for a in d.assignments if a.role == "lead")


def test_issue_returns_201_with_assignments(client, w):
    res = client.post("/api/v1/directives", headers=headers(w, "leader"), json={
        "title": "Phòng chống bão số 9", "body": "Chủ động ứng phó", "deadline": "2099-12-01T17:00:00+07:00",
        "priority": "urgent", "lead_agency_id": w["lead_agency"].id, "support_agency_ids": [w["support_agency"].id]})
    assert res.status_code == 201, res.json
    body = res.json
    assert body["number"].endswith("/UBND-TH") and body["priority"] == "urgent" and body["status"] == "issued"
    assert body["deadline"] == "2099-12-01T10:00:00+00:00"
    got = sorted((a["agency_id"], a["role"], a["status"], a["deadline"]) for a in body["assignments"])
    assert got == sorted([(w["lead_agency"].id, "lead", "pending", body["deadline"]),
                          (w["support_agency"].id, "support", "pending", body["deadline"])])
    fields = {"id", "tracking", "acknowledged_at", "acknowledged_by", "completed_at"}
    assert all(set(a) >= fields for a in body["assignments"])


@pytest.mark.parametrize("field, value", [("lead_agency_id", 9999), ("support_agency_ids", [9999]),
                                          ("deadline", "soon"), ("title", "")])
def test_issue_with_a_bad_field_is_422_naming_it_and_creates_nothing(client, w, field, value):
    data = {"title": "X", "body": "", "deadline": "2099-01-01T00:00:00Z", "lead_agency_id": w["lead_agency"].id,
            "support_agency_ids": [w["support_agency"].id], field: value}
    res = client.post("/api/v1/directives", headers=headers(w, "leader"), json=data)
    assert res.status_code == 422
    assert field in res.json["error"]["fields"] and field in res.json["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Directive.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Assignment.id))) == 0


def test_malformed_body_is_400(client, w):
    res = client.post("/api/v1/directives", headers=dict(headers(w, "leader"), **{"Content-Type": "application/json"}),
                      data="{nope")
    assert res.status_code == 400 and res.json["error"]["code"] == "malformed"


def test_whole_flow_over_the_api(client, w):
    d = new_directive(w)
    a_id = lead_of(d).id
    off, lead = headers(w, "officer"), headers(w, "leader")
    res = client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=off)
    assert res.status_code == 200 and res.json["status"] == "acknowledged"
    first = (res.json["acknowledged_at"], res.json["acknowledged_by"])
    assert first[1] == w["users"]["officer"].id
    again = client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=off).json
    assert (again["acknowledged_at"], again["acknowledged_by"]) == first
    res = client.post(f"/api/v1/assignments/{a_id}/reports", headers=off,
                      json={"progress": 30, "note": "Đã lập kế hoạch"})
    assert res.status_code == 201 and res.json["assignment"]["status"] == "in_progress"
    res = client.post(f"/api/v1/assignments/{a_id}/reports", headers=off, json={"progress": 130})
    assert res.status_code == 422 and "progress" in res.json["error"]["fields"]
    new_deadline = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    res = client.post(f"/api/v1/assignments/{a_id}/extension-requests", headers=off,
                      json={"deadline": new_deadline.isoformat(), "reason": "Chờ phê duyệt kinh phí"})
    assert res.status_code == 201 and res.json["status"] == "pending"
    ext_id = res.json["id"]
    res = client.post(f"/api/v1/extension-requests/{ext_id}/approve", headers=lead)
    assert res.status_code == 200 and res.json["assignment"]["deadline"] == new_deadline.isoformat()
    assert client.post(f"/api/v1/extension-requests/{ext_id}/reject", headers=lead).status_code == 409
    res = client.post(f"/api/v1/assignments/{a_id}/accept", headers=lead)
    assert res.status_code == 409 and res.json["error"]["code"] == "invalid_transition"
    res = client.post(f"/api/v1/assignments/{a_id}/submit", headers=off, json={"note": "Xong"})
    assert res.json["status"] == "submitted"
    res = client.post(f"/api/v1/assignments/{a_id}/return", headers=lead, json={})
    assert res.status_code == 422 and "reason" in res.json["error"]["fields"]
    res = client.post(f"/api/v1/assignments/{a_id}/return", headers=lead, json={"reason": "Bổ sung số liệu"})
    assert res.json["status"] == "in_progress"
    client.post(f"/api/v1/assignments/{a_id}/submit", headers=off)
    res = client.post(f"/api/v1/assignments/{a_id}/accept", headers=lead)
    assert res.json["status"] == "completed" and res.json["completed_at"]
    assert res.json["tracking"] == "completed_on_time"
    items = client.get(f"/api/v1/assignments/{a_id}/history", headers=off).json["items"]
    assert [i["action"] for i in items] == ["issue", "acknowledge", "report", "extension_request", "extension_approve",
                                            "submit", "return", "submit", "accept"]
    ret = items[6]
    assert ret["from_status"] == "submitted" and ret["to_status"] == "in_progress" and ret["note"] == "Bổ sung số liệu"
    assert ret["actor"]["id"] == w["users"]["leader"].id and ret["at"]
    approve = items[4]
    assert approve["data"]["old_deadline"] == d.deadline.isoformat()


def test_list_visibility_and_stats_shape(client, w):
    d = new_directive(w)
    new_directive(w, lead_agency_id=w["other_agency"].id, support_agency_ids=[])
    assert len(client.get("/api/v1/directives", headers=headers(w, "leader")).json["items"]) == 2
    assert len(client.get("/api/v1/directives", headers=headers(w, "admin")).json["items"]) == 2
    items = client.get("/api/v1/directives", headers=headers(w, "officer")).json["items"]
    assert [i["id"] for i in items] == [d.id]
    res = client.get("/api/v1/directives?tracking=bogus", headers=headers(w, "leader"))
    assert res.status_code == 422 and "tracking" in res.json["error"]["fields"]
    client.post(f"/api/v1/assignments/{lead_of(d).id}/acknowledge", headers=headers(w, "officer"))
    stats = client.get("/api/v1/directives/stats", headers=headers(w, "leader")).json
    row = next(r for r in stats["agencies"] if r["agency_id"] == w["lead_agency"].id)
    assert set(row) >= {"agency_id", "assigned", "acknowledged", "on_track", "due_soon", "overdue",
                        "completed_on_time", "completed_late", "median_ack_seconds"}
    assert row["assigned"] == 1 and row["acknowledged"] == 1 and row["on_track"] == 1
    assert isinstance(row["median_ack_seconds"], int)


def test_cookie_writes_need_the_csrf_header(client, w):
    d = new_directive(w)
    token = login(client, w["users"]["officer"])
    url = f"/api/v1/assignments/{lead_of(d).id}/acknowledge"
    res = client.post(url)
    assert res.status_code == 400 and res.json["error"]["code"] == "csrf_failed"
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200


# -- the permission matrix -----------------------------------------------------------------

def _prep_ack(w, d):
    services.acknowledge(w["users"]["officer"], lead_of(d))


def _prep_submitted(w, d):
    _prep_ack(w, d)
    services.submit(w["users"]["officer"], lead_of(d), {})


def _prep_ext(w, d):
    a = lead_of(d)
    ext = extensions.request_extension(
        w["users"]["officer"], a, {"deadline": (a.deadline + timedelta(days=3)).isoformat(), "reason": "r"}
    )
    return ext.id


FUTURE = "2099-01-01T00:00:00+00:00"
# name: (method, url template, body, prepare, expected status for leader, officer, other, admin, anon)
MATRIX = {
    "issue": ("post", "/api/v1/directives", "ISSUE", None, (201, 403, 403, 403, 401)),
    "list": ("get", "/api/v1/directives", None, None, (200, 200, 200, 200, 401)),
    "get": ("get", "/api/v1/directives/{d}", None, None, (200, 200, 404, 200, 401)),
    "stats": ("get", "/api/v1/directives/stats", None, None, (200, 403, 403, 200, 401)),
    "cancel": ("post", "/api/v1/directives/{d}/cancel", {"reason": "r"}, None, (200, 403, 404, 403, 401)),
    "assignment": ("get", "/api/v1/assignments/{a}", None, None, (200, 200, 404, 200, 401)),
    "seen": ("post", "/api/v1/assignments/{a}/seen", None, None, (200, 200, 404, 200, 401)),
    "acknowledge": ("post", "/api/v1/assignments/{a}/acknowledge", None, None, (403, 200, 404, 403, 401)),
    "report": ("post", "/api/v1/assignments/{a}/reports", {"progress": 20}, _prep_ack, (403, 201, 404, 403, 401)),
    "reports": ("get", "/api/v1/assignments/{a}/reports", None, None, (200, 200, 404, 200, 401)),
    "submit": ("post", "/api/v1/assignments/{a}/submit", {}, _prep_ack, (403, 200, 404, 403, 401)),
    "accept": ("post", "/api/v1/assignments/{a}/accept", None, _prep_submitted, (200, 403, 404, 403, 401)),
    "return": ("post", "/api/v1/assignments/{a}/return", {"reason": "r"}, _prep_submitted, (200, 403, 404, 403, 401)),
    "extension": ("post", "/api/v1/assignments/{a}/extension-requests", {"deadline": FUTURE, "reason": "r"}, None,
                  (403, 201, 404, 403, 401)),
    "approve": ("post", "/api/v1/extension-requests/{x}/approve", None, _prep_ext, (200, 403, 404, 403, 401)),
    "reject": ("post", "/api/v1/extension-requests/{x}/reject", {"reason": "r"}, _prep_ext, (200, 403, 404, 403, 401)),
    "history": ("get", "/api/v1/assignments/{a}/history", None, None, (200, 200, 404, 200, 401)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, w, name, role):
    method, url, body, prepare, expected = MATRIX[name]
    d = new_directive(w)
    ext_id = prepare(w, d) if prepare else None
    if body == "ISSUE":
        body = {"title": "T", "body": "", "deadline": FUTURE, "lead_agency_id": w["lead_agency"].id}
    url = url.format(d=d.id, a=lead_of(d).id, x=ext_id)
    kwargs = {"headers": headers(w, role)}
    if method == "post":
        kwargs["json"] = body if body is not None else {}
    before = directive_state(d.id)
    res = getattr(client, method)(url, **kwargs)
    want = expected[ROLES.index(role)]
    assert res.status_code == want, (name, role, res.status_code, res.json)
    if want >= 400:
        assert set(res.json["error"]) >= {"code", "message"}
        # nothing changed for a refused caller: no row written, changed, audited or notified
        assert directive_state(d.id) == before
        assert db.session.scalar(db.select(db.func.count(Directive.id))) == 1


# -- refused writes change nothing -----------------------------------------------------------

def test_another_agency_cannot_acknowledge_an_acknowledged_assignment_and_changes_nothing(client, w):
    d = new_directive(w)
    a_id = lead_of(d).id
    issued = directive_state(d.id)
    assert client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=headers(w, "officer")).status_code == 200
    before = directive_state(d.id)
    assert before != issued  # the state sees a write
    res = client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=bearer(w["tokens"]["support"]))
    assert res.status_code == 403
    res = client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=headers(w, "other"))
    assert res.status_code == 404
    assert directive_state(d.id) == before
    # the agency's own second acknowledgement answers the first and changes nothing either
    assert client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=headers(w, "officer")).status_code == 200
    assert directive_state(d.id) == before


def test_a_report_or_a_result_on_another_agencys_assignment_changes_nothing(client, w):
    d = new_directive(w)
    a_id = lead_of(d).id
    client.post(f"/api/v1/assignments/{a_id}/acknowledge", headers=headers(w, "officer"))
    before = directive_state(d.id)
    support = bearer(w["tokens"]["support"])
    assert client.post(f"/api/v1/assignments/{a_id}/reports", headers=support,
                       json={"progress": 50, "note": "Không phải việc của tôi"}).status_code == 403
    assert client.post(f"/api/v1/assignments/{a_id}/submit", headers=support, json={}).status_code == 403
    assert client.post(f"/api/v1/assignments/{a_id}/extension-requests", headers=support,
                       json={"deadline": FUTURE, "reason": "r"}).status_code == 403
    assert client.post(f"/api/v1/assignments/{a_id}/reports", headers=headers(w, "other"),
                       json={"progress": 50}).status_code == 404
    assert directive_state(d.id) == before


@pytest.mark.parametrize("step", ["accept_unsubmitted", "report_unacknowledged", "second_extension",
                                  "decide_decided_extension", "cancel_cancelled"])
def test_an_illegal_transition_is_409_and_changes_nothing(client, w, step):
    d = new_directive(w)
    a = lead_of(d)
    off, lead = headers(w, "officer"), headers(w, "leader")
    if step == "accept_unsubmitted":
        url, who, body = f"/api/v1/assignments/{a.id}/accept", lead, {}
    elif step == "report_unacknowledged":
        url, who, body = f"/api/v1/assignments/{a.id}/reports", off, {"progress": 10}
    elif step == "second_extension":
        _prep_ext(w, d)
        url, who, body = f"/api/v1/assignments/{a.id}/extension-requests", off, {"deadline": FUTURE, "reason": "r"}
    elif step == "decide_decided_extension":
        ext_id = _prep_ext(w, d)
        extensions.approve_extension(w["users"]["leader"], db.session.get(ExtensionRequest, ext_id))
        url, who, body = f"/api/v1/extension-requests/{ext_id}/reject", lead, {"reason": "r"}
    else:
        services.cancel_directive(w["users"]["leader"], d, {"reason": "Không còn phù hợp"})
        url, who, body = f"/api/v1/directives/{d.id}/cancel", lead, {"reason": "Lần nữa"}
    before = directive_state(d.id)
    res = client.post(url, headers=who, json=body)
    assert res.status_code == 409, res.json
    assert directive_state(d.id) == before


@pytest.mark.parametrize("step", ["report_progress_out_of_range", "return_without_reason",
                                  "extension_not_later", "cancel_without_reason"])
def test_a_bad_field_is_422_and_changes_nothing(client, w, step):
    d = new_directive(w)
    a = lead_of(d)
    off, lead = headers(w, "officer"), headers(w, "leader")
    services.acknowledge(w["users"]["officer"], a)
    if step == "report_progress_out_of_range":
        url, who, body = f"/api/v1/assignments/{a.id}/reports", off, {"progress": 130}
    elif step == "return_without_reason":
        services.submit(w["users"]["officer"], a, {})
        url, who, body = f"/api/v1/assignments/{a.id}/return", lead, {}
    elif step == "extension_not_later":
        url, who, body = (f"/api/v1/assignments/{a.id}/extension-requests", off,
                          {"deadline": (a.deadline - timedelta(days=1)).isoformat(), "reason": "r"})
    else:
        url, who, body = f"/api/v1/directives/{d.id}/cancel", lead, {}
    before = directive_state(d.id)
    res = client.post(url, headers=who, json=body)
    assert res.status_code == 422, res.json
    assert directive_state(d.id) == before


def _count_queries(fn):
    from sqlalchemy import event

    seen = []
    listener = lambda *args, **kw: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_lists_do_not_query_per_row(client, w):
    """GET /directives, the inbox and the stats cost (about) the same number of queries for 3 or 12 directives."""
    lead, off = headers(w, "leader"), headers(w, "officer")

    def make(n):
        for _ in range(n):
            d = new_directive(w)
            services.acknowledge(w["users"]["officer"], lead_of(d))

    def costs():
        return (_count_queries(lambda: client.get("/api/v1/directives", headers=lead)),
                _count_queries(lambda: client.get("/api/v1/directives", headers=off)),
                _count_queries(lambda: client.get("/api/v1/directives/stats", headers=lead)),
                _count_queries(lambda: [schemas.serialize_assignment(a) for a in queries.inbox(w["users"]["officer"])]))

    make(3)
    costs()  # warm up: the first request of a token records its use
    small = costs()
    make(9)
    costs()
    big = costs()
    # nine more directives would cost at least nine more queries if anything were loaded per row;
    # one more is allowed (a related user already in the session's identity map is not re-read)
    assert all(b <= s + 1 for b, s in zip(big, small, strict=True)), (small, big)

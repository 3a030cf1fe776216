"""Directive services: issue, every transition, every illegal one, idempotent acknowledge."""
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from directives import extensions, queries, services, tracking
from directives.models import Assignment, AssignmentEvent, Directive
from notifications.models import Notification

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def world(factory):
    a1, a2, a3 = factory.agency("SYT"), factory.agency("SGD"), factory.agency("HDS")
    return {
        "leader": factory.user("leader", username="lead"),
        "admin": factory.user("admin", username="adm"),
        "o1": factory.user("officer", a1, username="syt1"),
        "o1b": factory.user("officer", a1, username="syt2"),
        "o2": factory.user("officer", a2, username="sgd1"),
        "o3": factory.user("officer", a3, username="hds1"),
        "a1": a1, "a2": a2, "a3": a3,
    }


def issue(w, now=NOW, **extra):
    data = {"title": "Triển khai tiêm chủng", "body": "Nội dung **chỉ đạo**",
            "deadline": (now + timedelta(days=10)).isoformat(),
            "lead_agency_id": w["a1"].id, "support_agency_ids": [w["a2"].id]}
    data.update(extra)
    return services.issue_directive(w["leader"], data, now=now)


def lead_assignment(d):
    return next(a for a in d.assignments if a.role == "lead")


def test_issue_creates_assignments_number_notifications_and_history(world):
    d = issue(world)
    assert d.number == "1/UBND-TH" and d.year == 2026 and d.priority == "normal" and d.status == "issued"
    roles = sorted((a.agency_id, a.role, a.status) for a in d.assignments)
    assert roles == sorted([(world["a1"].id, "lead", "pending"), (world["a2"].id, "support", "pending")])
    assert all(a.deadline == d.deadline for a in d.assignments)
    new_directive_notes = db.session.scalars(db.select(Notification).where(Notification.kind == "directive.new"))
    notified = {n.user_id for n in new_directive_notes}
    assert notified == {world["o1"].id, world["o1b"].id, world["o2"].id}
    assert issue(world).number == "2/UBND-TH"
    events = db.session.scalars(db.select(AssignmentEvent).where(AssignmentEvent.action == "issue")).all()
    assert len(events) == 4


def test_number_restarts_each_year_and_uses_the_configured_suffix(world, app):
    issue(world)
    app.config["DIRECTIVE_NUMBER_SUFFIX"] = "CĐ-CT"
    later = datetime(2027, 1, 2, tzinfo=UTC)
    assert issue(world, now=later).number == "1/CĐ-CT"


@pytest.mark.parametrize("bad, field", [
    ({"lead_agency_id": 9999}, "lead_agency_id"),
    ({"support_agency_ids": [9999]}, "support_agency_ids"),
    ({"title": ""}, "title"),
    ({"deadline": "not a date"}, "deadline"),
    ({"deadline": "2020-01-01T00:00:00+07:00"}, "deadline"),
    ({"priority": "whenever"}, "priority"),
])
def test_bad_input_names_the_field_and_creates_nothing(world, bad, field):
    with pytest.raises(Invalid) as exc:
        issue(world, **bad)
    assert field in exc.value.fields
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Directive.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Assignment.id))) == 0


def test_only_leaders_issue(world):
    for who in ("admin", "o1"):
        with pytest.raises(Forbidden):
            services.issue_directive(world[who], {"title": "x"})


def test_full_lifecycle(world):
    d = issue(world)
    a = lead_assignment(d)
    o1, leader = world["o1"], world["leader"]
    services.mark_seen(o1, a, now=NOW + timedelta(minutes=1))
    assert a.first_seen_at == NOW + timedelta(minutes=1) and a.first_seen_by_id == o1.id
    services.acknowledge(o1, a, now=NOW + timedelta(minutes=5))
    assert a.status == "acknowledged" and a.acknowledged_by_id == o1.id
    report = services.report_progress(o1, a, {"progress": 40, "note": "Đã họp triển khai"}, now=NOW + timedelta(days=1))
    assert a.status == "in_progress" and a.progress == 40 and report.progress == 40
    services.submit(o1, a, {"note": "Xong"}, now=NOW + timedelta(days=2))
    assert a.status == "submitted" and a.submitted_at == NOW + timedelta(days=2)
    services.return_assignment(leader, a, {"reason": "Thiếu số liệu"}, now=NOW + timedelta(days=3))
    assert a.status == "in_progress" and a.submitted_at is None
    services.submit(o1, a, {"note": "Bổ sung"}, now=NOW + timedelta(days=4))
    services.accept(leader, a, now=NOW + timedelta(days=5))
    assert a.status == "completed" and a.completed_at == NOW + timedelta(days=5)
    assert tracking.tracking_of(a, NOW + timedelta(days=30)) == "completed_on_time"
    actions = [e.action for e in queries.history(a)]
    assert actions == ["issue", "seen", "acknowledge", "report", "submit", "return", "submit", "accept"]
    returned = [e for e in queries.history(a) if e.action == "return"][0]
    assert returned.note == "Thiếu số liệu"
    assert returned.from_status == "submitted" and returned.to_status == "in_progress"
    # the directive closes when the other assignment ends too
    b = [x for x in d.assignments if x.role == "support"][0]
    services.acknowledge(world["o2"], b, now=NOW)
    services.submit(world["o2"], b, {}, now=NOW + timedelta(days=1))
    services.accept(leader, b, now=NOW + timedelta(days=1))
    assert d.status == "closed"


def test_acknowledge_is_idempotent(world):
    a = lead_assignment(issue(world))
    services.acknowledge(world["o1"], a, now=NOW + timedelta(minutes=3))
    services.acknowledge(world["o1b"], a, now=NOW + timedelta(minutes=9))
    assert a.acknowledged_at == NOW + timedelta(minutes=3) and a.acknowledged_by_id == world["o1"].id
    acks = db.session.scalars(db.select(AssignmentEvent).where(AssignmentEvent.action == "acknowledge")).all()
    assert len(acks) == 1


@pytest.mark.parametrize("status, action", [
    ("pending", "report"), ("pending", "submit"), ("pending", "accept"), ("pending", "return"),
    ("acknowledged", "accept"), ("acknowledged", "return"), ("acknowledged", "acknowledge_cancelled"),
    ("in_progress", "accept"), ("submitted", "report"), ("submitted", "submit"), ("submitted", "extend"),
    ("completed", "report"), ("completed", "submit"), ("completed", "accept"), ("completed", "return"),
    ("completed", "extend"), ("cancelled", "acknowledge"), ("cancelled", "report"), ("cancelled", "submit"),
    ("cancelled", "accept"), ("cancelled", "extend"),
])
def test_illegal_transitions_are_409_and_change_nothing(world, status, action):
    d = issue(world)
    a = lead_assignment(d)
    o1, leader = world["o1"], world["leader"]
    steps = {
        "acknowledged": [lambda: services.acknowledge(o1, a)],
        "in_progress": [lambda: services.acknowledge(o1, a), lambda: services.report_progress(o1, a, {"progress": 10})],
        "submitted": [lambda: services.acknowledge(o1, a), lambda: services.submit(o1, a, {})],
        "completed": [lambda: services.acknowledge(o1, a), lambda: services.submit(o1, a, {}),
                      lambda: services.accept(leader, a)],
        "cancelled": [lambda: services.cancel_directive(leader, d, {"reason": "Không còn phù hợp"})],
    }
    for step in steps.get(status, []):
        step()
    if action == "acknowledge_cancelled":
        action = "acknowledge"
        services.acknowledge(o1, a)  # a second acknowledge is not an error
        return
    assert a.status == status
    before_events = db.session.scalar(db.select(db.func.count(AssignmentEvent.id)))
    calls = {
        "acknowledge": lambda: services.acknowledge(o1, a),
        "report": lambda: services.report_progress(o1, a, {"progress": 50}),
        "submit": lambda: services.submit(o1, a, {}),
        "accept": lambda: services.accept(leader, a),
        "return": lambda: services.return_assignment(leader, a, {"reason": "x"}),
        "extend": lambda: extensions.request_extension(
            o1, a, {"deadline": (a.deadline + timedelta(days=5)).isoformat(), "reason": "r"}
        ),
    }
    with pytest.raises(Conflict) as exc:
        calls[action]()
    assert exc.value.status == 409 and exc.value.message
    db.session.rollback()
    db.session.refresh(a)
    assert a.status == status
    assert db.session.scalar(db.select(db.func.count(AssignmentEvent.id))) == before_events


def test_extension_approve_moves_deadline_and_keeps_the_old_one(world):
    a = lead_assignment(issue(world))
    o1, leader = world["o1"], world["leader"]
    old = a.deadline
    new = old + timedelta(days=7)
    ext = extensions.request_extension(o1, a, {"deadline": new.isoformat(), "reason": "Chờ kinh phí"}, now=NOW)
    assert ext.status == "pending" and ext.old_deadline == old
    with pytest.raises(Conflict):
        extensions.request_extension(o1, a, {"deadline": (new + timedelta(days=1)).isoformat(), "reason": "again"})
    db.session.rollback()
    with pytest.raises(Forbidden):
        extensions.approve_extension(o1, ext)
    db.session.rollback()
    extensions.approve_extension(leader, ext, now=NOW + timedelta(hours=1))
    assert a.deadline == new and ext.status == "approved" and ext.decided_by_id == leader.id
    event = queries.history(a)[-1]
    assert event.action == "extension_approve" and event.data["old_deadline"] == old.isoformat()
    with pytest.raises(Conflict):
        extensions.reject_extension(leader, ext, {})


def test_extension_reject_keeps_deadline_and_bad_deadline_is_invalid(world):
    a = lead_assignment(issue(world))
    with pytest.raises(Invalid) as exc:
        extensions.request_extension(world["o1"], a, {"deadline": a.deadline.isoformat(), "reason": "r"})
    assert "deadline" in exc.value.fields
    db.session.rollback()
    ext = extensions.request_extension(
        world["o1"], a, {"deadline": (a.deadline + timedelta(days=2)).isoformat(), "reason": "r"}
    )
    old = a.deadline
    extensions.reject_extension(world["leader"], ext, {"reason": "Không đủ căn cứ"})
    assert ext.status == "rejected" and a.deadline == old and ext.decision_note == "Không đủ căn cứ"


def test_cancel_directive_cancels_open_assignments(world):
    d = issue(world)
    a = lead_assignment(d)
    ext = extensions.request_extension(
        world["o1"], a, {"deadline": (a.deadline + timedelta(days=2)).isoformat(), "reason": "r"}
    )
    services.cancel_directive(world["leader"], d, {"reason": "Trùng nội dung"})
    assert d.status == "cancelled" and all(a.status == "cancelled" for a in d.assignments)
    assert ext.status == "rejected" and ext.decision_note == "Trùng nội dung"
    with pytest.raises(Conflict):
        services.cancel_directive(world["leader"], d, {"reason": "again"})
    db.session.rollback()
    with pytest.raises(Invalid):
        services.cancel_directive(world["leader"], issue(world), {})


def test_officers_act_only_on_their_agency(world):
    d = issue(world)
    a = lead_assignment(d)
    with pytest.raises(Forbidden):
        services.acknowledge(world["o2"], a)  # sees the directive (support agency) but not this assignment's agency
    with pytest.raises(NotFound):
        services.acknowledge(world["o3"], a)  # not assigned at all: does not exist for them
    with pytest.raises(NotFound):
        queries.get_directive(world["o3"], d.id)
    with pytest.raises(Forbidden):
        services.acknowledge(world["leader"], a)
    assert queries.get_directive(world["admin"], d.id) is d


def test_list_query_visibility_and_filters(world):
    d1 = issue(world, title="Phòng chống dịch sốt xuất huyết", priority="urgent")
    d2 = issue(world, title="Tuyển sinh lớp 10", lead_agency_id=world["a2"].id, support_agency_ids=[])

    def ids(user, **f):
        return [d.id for d in db.session.scalars(queries.list_query(user, f, now=NOW))]

    assert ids(world["leader"]) == [d2.id, d1.id]
    assert ids(world["o1"]) == [d1.id]
    assert ids(world["o3"]) == []
    assert ids(world["leader"], priority="urgent") == [d1.id]
    assert ids(world["leader"], q="lớp 10") == [d2.id]
    assert ids(world["leader"], agency_id=world["a1"].id) == [d1.id]
    assert ids(world["leader"], tracking="on_track") == [d2.id, d1.id]
    assert ids(world["leader"], tracking="overdue") == []
    assert ids(world["o1"], only_unacknowledged=True) == [d1.id]
    services.acknowledge(world["o1"], lead_assignment(d1))
    assert ids(world["o1"], only_unacknowledged=True) == []
    with pytest.raises(Invalid):
        queries.list_query(world["leader"], {"tracking": "nonsense"})


def test_inbox_puts_pending_first(world):
    d1 = issue(world, title="Một")
    d2 = issue(world, title="Hai")
    services.acknowledge(world["o1"], lead_assignment(d2))
    d3 = issue(world, title="Ba")
    services.acknowledge(world["o1"], lead_assignment(d3))
    rows = queries.inbox(world["o1"])
    assert [r.directive.title for r in rows][:1] == ["Một"]
    assert {r.directive_id for r in rows} == {d1.id, d2.id, d3.id}


def test_agency_stats_counts_in_sql(world):
    d1 = issue(world)
    d2 = issue(world, lead_agency_id=world["a2"].id, support_agency_ids=[world["a1"].id])
    a = lead_assignment(d1)
    services.acknowledge(world["o1"], a, now=NOW + timedelta(seconds=60))
    b = [x for x in d2.assignments if x.agency_id == world["a1"].id][0]
    services.acknowledge(world["o1"], b, now=NOW + timedelta(seconds=180))
    services.submit(world["o1"], b, {}, now=NOW + timedelta(days=1))
    services.accept(world["leader"], b, now=NOW + timedelta(days=1))
    stats = {s["agency_id"]: s for s in queries.agency_stats(now=NOW + timedelta(days=8))}
    s1 = stats[world["a1"].id]
    assert s1["assigned"] == 2 and s1["acknowledged"] == 2 and s1["acknowledged_pct"] == 100.0
    assert s1["due_soon"] == 1 and s1["completed_on_time"] == 1 and s1["overdue"] == 0
    assert s1["median_ack_seconds"] == 120
    assert s1["agency_code"] == "SYT"
    s2 = stats[world["a2"].id]
    assert s2["assigned"] == 2 and s2["acknowledged"] == 0 and s2["median_ack_seconds"] is None
    later = {s["agency_id"]: s for s in queries.agency_stats(now=NOW + timedelta(days=11))}
    assert later[world["a2"].id]["overdue"] == 2 and later[world["a2"].id]["on_time_rate"] == 0.0
    assert later[world["a1"].id]["on_time_rate"] == 50.0


def test_retries_with_a_client_id_issue_and_report_once(world):
    first = issue(world, client_id="form-7f3a")
    again = issue(world, client_id="form-7f3a", title="changed on the retry")
    assert again.id == first.id and again.title == first.title
    assert db.session.scalar(db.select(db.func.count(Directive.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.kind == "directive.new")) == 3
    assert issue(world, client_id="form-other").id != first.id
    a = lead_assignment(first)
    services.acknowledge(world["o1"], a, now=NOW)
    r1 = services.report_progress(world["o1"], a, {"progress": 30, "client_id": "r-1"}, now=NOW)
    r2 = services.report_progress(world["o1"], a, {"progress": 30, "client_id": "r-1"}, now=NOW)
    assert r1.id == r2.id and len(a.reports) == 1
    assert [e.action for e in queries.history(a)].count("report") == 1

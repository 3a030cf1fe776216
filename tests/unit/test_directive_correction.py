"""Correcting a directive after issue: one service, every affected assignment's history, agencies
taken off and added, deadlines that move (and extensions that stay), and what is refused."""
from datetime import UTC, datetime, timedelta

import pytest

from core.audit import AuditLog
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from directives import corrections, extensions, queries, services
from directives.models import Assignment, AssignmentEvent, ExtensionRequest
from notifications.models import Notification

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
REASON = "Điều chỉnh theo kế hoạch của tỉnh"


@pytest.fixture
def world(factory):
    a1, a2, a3 = (
        factory.agency("SYT", "Sở Y tế"),
        factory.agency("SGD", "Sở Giáo dục"),
        factory.agency("HDS", "UBND huyện Đông Sơn"),
    )
    return {
        "leader": factory.user("leader", username="lead"),
        "leader2": factory.user("leader", username="lead2"),
        "admin": factory.user("admin", username="adm"),
        "o1": factory.user("officer", a1, username="syt1"),
        "o2": factory.user("officer", a2, username="sgd1"),
        "o3": factory.user("officer", a3, username="hds1"),
        "a1": a1, "a2": a2, "a3": a3,
    }


def issue(w, **extra):
    data = {"title": "Triển khai tiêm chủng", "body": "Nội dung chỉ đạo",
            "deadline": (NOW + timedelta(days=10)).isoformat(),
            "lead_agency_id": w["a1"].id, "support_agency_ids": [w["a2"].id]}
    data.update(extra)
    return services.issue_directive(w["leader"], data, now=NOW)


def of(d, agency):
    return next(a for a in d.assignments if a.agency_id == agency.id)


def events(assignment, action):
    return [e for e in queries.history(assignment) if e.action == action]


def kinds_for(user):
    return sorted(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)))


def test_a_correction_changes_the_directive_and_every_assignment_history_says_from_and_to(world):
    d = issue(world)
    changes = corrections.correct_directive(world["leader2"], d, {
        "title": "Triển khai tiêm chủng đợt 2", "body": "Nội dung mới", "priority": "urgent", "reason": REASON,
    }, now=NOW + timedelta(hours=1))
    assert d.title == "Triển khai tiêm chủng đợt 2" and d.body == "Nội dung mới" and d.priority == "urgent"
    assert d.number == "1/UBND-TH" and d.status == "issued"  # the same directive, not a new one
    assert changes == {"title": {"from": "Triển khai tiêm chủng", "to": "Triển khai tiêm chủng đợt 2"},
                       "body": {"from": "Nội dung chỉ đạo", "to": "Nội dung mới"},
                       "priority": {"from": "normal", "to": "urgent"}}
    for agency in ("a1", "a2"):
        (ev,) = events(of(d, world[agency]), "correct")
        assert ev.actor_id == world["leader2"].id and ev.note == REASON
        assert ev.from_status == ev.to_status == "pending"
        assert ev.data["changes"] == changes
    audit = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "directive.correct"))
    assert audit.object_id == d.id and audit.data["reason"] == REASON
    assert audit.data["changes"]["priority"]["to"] == "urgent"
    assert "directive.corrected" in kinds_for(world["o1"]) and "directive.corrected" in kinds_for(world["o2"])
    assert "directive.corrected" not in kinds_for(world["o3"])


def test_the_history_reads_each_change_in_words(world, app):
    from directives import labels

    d = issue(world)
    corrections.correct_directive(world["leader"], d, {"title": "Tiêu đề mới", "priority": "high",
                                                     "support_agency_ids": [world["a3"].id], "reason": REASON}, now=NOW)
    (ev,) = events(of(d, world["a1"]), "correct")
    with app.test_request_context():
        text = labels.event_detail(ev)
    assert "Tiêu đề mới" in text and "UBND huyện Đông Sơn" in text and "Sở Giáo dục" in text


def test_a_new_deadline_moves_open_assignments_and_keeps_a_later_extension(world):
    d = issue(world, support_agency_ids=[world["a2"].id, world["a3"].id])
    old = d.deadline
    lead, extended, done = of(d, world["a1"]), of(d, world["a2"]), of(d, world["a3"])
    services.acknowledge(world["o2"], extended, now=NOW)
    ext = extensions.request_extension(world["o2"], extended, {"deadline": (old + timedelta(days=10)).isoformat(),
                                                             "reason": "Chờ kinh phí"}, now=NOW)
    extensions.approve_extension(world["leader"], ext, now=NOW)
    services.acknowledge(world["o3"], done, now=NOW)
    services.submit(world["o3"], done, {}, now=NOW)
    services.accept(world["leader"], done, now=NOW)

    sooner = old + timedelta(days=5)
    corrections.correct_directive(world["leader"], d, {"deadline": sooner.isoformat(), "reason": REASON}, now=NOW)
    assert d.deadline == sooner and lead.deadline == sooner
    assert extended.deadline == old + timedelta(days=10)  # the extension granted is later: kept
    assert done.deadline == old  # finished work keeps the deadline it was judged by
    (moved,) = events(lead, "correct")
    assert moved.data["changes"]["assignment_deadline"] == {"from": old.isoformat(), "to": sooner.isoformat()}
    (kept,) = events(extended, "correct")
    assert kept.data["deadline_kept"] == (old + timedelta(days=10)).isoformat()
    assert "assignment_deadline" not in kept.data["changes"]

    later = old + timedelta(days=20)  # now later than the extension too: everyone open moves
    corrections.correct_directive(world["leader"], d, {"deadline": later.isoformat(), "reason": REASON}, now=NOW)
    assert lead.deadline == later and extended.deadline == later and done.deadline == old


def test_an_agency_taken_off_has_its_open_assignment_cancelled_never_deleted(world):
    d = issue(world)
    off = of(d, world["a2"])
    services.acknowledge(world["o2"], off, now=NOW)
    ext = extensions.request_extension(world["o2"], off, {"deadline": (d.deadline + timedelta(days=3)).isoformat(),
                                                        "reason": "r"}, now=NOW)
    corrections.correct_directive(world["leader"], d, {"support_agency_ids": [world["a3"].id], "reason": REASON},
                                  now=NOW)
    assert db.session.get(Assignment, off.id).status == "cancelled"
    (removed,) = events(off, "remove")
    assert removed.from_status == "acknowledged" and removed.to_status == "cancelled" and removed.note == REASON
    assert db.session.get(ExtensionRequest, ext.id).status == "rejected"
    added = of(d, world["a3"])
    assert added.status == "pending" and added.role == "support" and added.deadline == d.deadline
    (add,) = events(added, "add")
    assert add.from_status is None and add.to_status == "pending" and add.note == REASON
    assert "directive.removed" in kinds_for(world["o2"]) and "directive.new" in kinds_for(world["o3"])
    assert "directive.corrected" in kinds_for(world["o1"])
    # the agency taken off still sees the directive and why
    assert queries.get_directive(world["o2"], d.id) is d


def test_a_new_lead_replaces_the_old_one_which_can_come_back(world):
    d = issue(world)
    old_lead, supporter = of(d, world["a1"]), of(d, world["a2"])
    corrections.correct_directive(world["leader"], d, {"lead_agency_id": world["a2"].id, "reason": REASON}, now=NOW)
    assert supporter.role == "lead" and supporter.status == "pending"
    assert events(supporter, "correct")[0].data["changes"]["role"] == {"from": "support", "to": "lead"}
    assert old_lead.status == "cancelled" and old_lead.role == "support"  # one lead per directive
    assert [a.agency_id for a in d.assignments if a.role == "lead"] == [world["a2"].id]

    services.acknowledge(world["o2"], supporter, now=NOW)
    corrections.correct_directive(world["leader"], d, {"support_agency_ids": [world["a1"].id], "reason": "Bổ sung"},
                               now=NOW + timedelta(hours=1))
    assert old_lead.status == "pending" and old_lead.role == "support" and old_lead.acknowledged_at is None
    back = events(old_lead, "add")[-1]
    assert back.from_status == "cancelled" and back.to_status == "pending"
    assert supporter.status == "acknowledged"  # untouched by the supporter's return
    assert db.session.scalar(db.select(db.func.count(Assignment.id)).where(Assignment.directive_id == d.id)) == 2


def test_nothing_changed_writes_nothing(world):
    d = issue(world)
    before = db.session.scalar(db.select(db.func.count(AssignmentEvent.id)))
    same = {"title": d.title, "body": d.body, "deadline": d.deadline.isoformat(), "priority": d.priority,
            "lead_agency_id": world["a1"].id, "support_agency_ids": [world["a2"].id], "reason": REASON}
    assert corrections.correct_directive(world["leader"], d, same, now=NOW) == {}
    assert db.session.scalar(db.select(db.func.count(AssignmentEvent.id))) == before
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(AuditLog.action == "directive.correct")) == 0


@pytest.mark.parametrize("bad, field", [
    ({"reason": ""}, "reason"),
    ({"reason": "x" * 501}, "reason"),
    ({"title": ""}, "title"),
    ({"deadline": "2020-01-01T00:00:00+07:00"}, "deadline"),
    ({"deadline": "soon"}, "deadline"),
    ({"priority": "whenever"}, "priority"),
    ({"lead_agency_id": 999999}, "lead_agency_id"),
    ({"support_agency_ids": [999999]}, "support_agency_ids"),
    ({"support_agency_ids": ["SYT"]}, "support_agency_ids"),
    ({"lead_agency_id": "LEAD"}, "lead_agency_id"),
    ({"support_agency_ids": "__LEAD__"}, "support_agency_ids"),
])
def test_bad_fields_are_named_and_change_nothing(world, bad, field):
    d = issue(world)
    data = {"title": "Khác", "reason": REASON}
    data.update({k: (world["a1"].id if v == "__LEAD__" else v) for k, v in bad.items()})
    with pytest.raises(Invalid) as exc:
        corrections.correct_directive(world["leader"], d, data, now=NOW)
    assert field in exc.value.fields
    db.session.rollback()
    assert d.title == "Triển khai tiêm chủng"
    assert not db.session.scalars(db.select(AssignmentEvent).where(AssignmentEvent.action == "correct")).all()


def test_finished_work_cannot_be_taken_off(world):
    d = issue(world)
    done = of(d, world["a2"])
    services.acknowledge(world["o2"], done, now=NOW)
    services.submit(world["o2"], done, {}, now=NOW)
    services.accept(world["leader"], done, now=NOW)
    with pytest.raises(Invalid) as exc:
        corrections.correct_directive(world["leader"], d, {"support_agency_ids": [], "reason": REASON}, now=NOW)
    assert "Sở Giáo dục" in exc.value.fields["support_agency_ids"]


def test_an_inactive_agency_cannot_be_added_but_one_already_on_may_stay(world):
    d = issue(world)
    world["a2"].active = False
    world["a3"].active = False
    db.session.commit()
    corrections.correct_directive(world["leader"], d, {"title": "Đổi tên", "support_agency_ids": [world["a2"].id],
                                                    "reason": REASON}, now=NOW)
    with pytest.raises(Invalid) as exc:
        corrections.correct_directive(world["leader"], d, {"support_agency_ids": [world["a2"].id, world["a3"].id],
                                                        "reason": REASON}, now=NOW)
    assert "support_agency_ids" in exc.value.fields


def test_who_may_correct_and_when(world):
    d = issue(world)
    with pytest.raises(Forbidden):
        corrections.correct_directive(world["o1"], d, {"title": "x", "reason": REASON})
    with pytest.raises(Forbidden):
        corrections.correct_directive(world["admin"], d, {"title": "x", "reason": REASON})
    other = issue(world, support_agency_ids=[])
    with pytest.raises(NotFound):
        corrections.correct_directive(world["o2"], other, {"title": "x", "reason": REASON})
    services.cancel_directive(world["leader"], d, {"reason": "Không còn phù hợp"})
    with pytest.raises(Conflict) as exc:
        corrections.correct_directive(world["leader"], d, {"title": "x", "reason": REASON})
    assert exc.value.status == 409


def test_a_closed_directive_cannot_be_corrected(world):
    d = issue(world, support_agency_ids=[])
    a = of(d, world["a1"])
    services.acknowledge(world["o1"], a, now=NOW)
    services.submit(world["o1"], a, {}, now=NOW)
    services.accept(world["leader"], a, now=NOW)
    assert d.status == "closed"
    with pytest.raises(Conflict):
        corrections.correct_directive(world["leader"], d, {"deadline": (NOW + timedelta(days=30)).isoformat(),
                                                        "reason": REASON}, now=NOW)


def test_taking_off_the_last_open_agency_closes_a_directive_whose_others_are_done(world):
    d = issue(world)
    lead = of(d, world["a1"])
    services.acknowledge(world["o1"], lead, now=NOW)
    services.submit(world["o1"], lead, {}, now=NOW)
    services.accept(world["leader"], lead, now=NOW)
    corrections.correct_directive(world["leader"], d, {"support_agency_ids": [], "reason": REASON}, now=NOW)
    assert d.status == "closed"


def test_the_history_says_a_moved_deadline_once_and_an_extension_kept(world, app):
    from directives import labels

    d = issue(world)
    extended = of(d, world["a2"])
    ext = extensions.request_extension(world["o2"], extended,
                                       {"deadline": (d.deadline + timedelta(days=20)).isoformat(),
                                        "reason": "Chờ kinh phí"}, now=NOW)
    extensions.approve_extension(world["leader"], ext, now=NOW)
    corrections.correct_directive(world["leader"], d, {"deadline": (d.deadline + timedelta(days=5)).isoformat(),
                                                    "reason": REASON}, now=NOW)
    with app.test_request_context():
        moved = labels.event_detail(events(of(d, world["a1"]), "correct")[0])
        kept = labels.event_detail(events(extended, "correct")[0])
    assert moved.count("→") == 1 and "của đơn vị" not in moved
    assert "giữ hạn đã được gia hạn" in kept


def test_the_page_keeps_the_roles_given_at_issue_and_explains_only_deadlines_that_moved(world, app, client):
    from tests.conftest import login

    d = issue(world)
    extended = of(d, world["a2"])
    ext = extensions.request_extension(world["o2"], extended,
                                       {"deadline": (d.deadline + timedelta(days=20)).isoformat(),
                                        "reason": "Chờ kinh phí"}, now=NOW)
    extensions.approve_extension(world["leader"], ext, now=NOW)
    # the lead moves to the extended agency, the old lead is taken off; a third agency comes in later
    corrections.correct_directive(world["leader"], d, {"lead_agency_id": world["a2"].id,
                                                    "support_agency_ids": [world["a3"].id], "reason": REASON}, now=NOW)
    of(d, world["a3"]).deadline = d.deadline - timedelta(days=2)  # its own, earlier deadline, never extended
    db.session.commit()
    login(client, world["leader"])
    html = client.get(f"/directives/{d.id}").get_data(as_text=True)
    # the issue row names the roles given then, not today's
    assert "Sở Y tế (Chủ trì)" in html and "Sở Giáo dục (Phối hợp)" in html
    # in the agencies table, one note: the extended agency's; none for the agency taken off nor for one
    # whose own deadline was never extended (the header says the lead's extension once, above)
    table = html[html.index('data-label='):]
    assert table.count("gia hạn từ") == 1


def test_an_agency_taken_off_is_not_counted_on_the_page_nor_in_the_list_export(world, app, client):
    import io

    from openpyxl import load_workbook

    from directives import exports
    from tests.conftest import login

    d = issue(world, support_agency_ids=[world["a2"].id, world["a3"].id])
    services.acknowledge(world["o1"], of(d, world["a1"]), now=NOW)
    corrections.correct_directive(world["leader"], d, {"support_agency_ids": [world["a2"].id], "reason": REASON},
                                  now=NOW)
    login(client, world["leader"])
    html = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert "1/2 đơn vị đã tiếp nhận" in html
    with app.test_request_context():
        sheet = load_workbook(io.BytesIO(exports.xlsx_directive_list([d], now=NOW))).active
    row = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == d.number)]
    assert "UBND huyện Đông Sơn" not in row and "Sở Giáo dục" in row and "1/2" in row

"""What issuing a directive costs the database (issue 17): the assignments, their history and the officers'
notifications each go in by one INSERT, so a directive to 30 agencies costs as many statements as one to 10;
every officer still gets directive:new and their own notification:new, with the id of their row."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from core.extensions import db, socketio
from directives import services
from directives.models import Assignment, AssignmentEvent
from directives.tree import agency_tree
from notifications.models import Notification
from tests.conftest import SMTP_PORT, fresh_postgres_database

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    with fresh_postgres_database("dirstmt") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


def _statements(fn):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, seen


def _issue(leader, agencies):
    data = {"title": "Phòng chống dịch", "deadline": (NOW + timedelta(days=5)).isoformat(),
            "lead_agency_id": agencies[0].id, "support_agency_ids": [a.id for a in agencies[1:]]}
    return _statements(lambda: services.issue_directive(leader, data, now=NOW))


def _inserts(statements, table):
    return [s for s in statements if s.startswith(f"insert into {table} ")]


def test_issuing_costs_the_same_statements_for_10_agencies_as_for_30(app, factory):
    leader = factory.user("leader", username="lead")
    agencies = [factory.agency(f"A{i}") for i in range(30)]
    officers = {a.id: [factory.user("officer", a, username=f"o{a.id}-{j}", locale=("vi", "en")[j % 2])
                       for j in range(3)] for a in agencies}
    first, last = officers[agencies[0].id][0], officers[agencies[9].id][2]
    sockets = {u.id: socketio.test_client(app, auth={"token": factory.token(u)}) for u in (first, last)}
    for s in sockets.values():
        s.get_received()

    agency_tree()  # read once per app context: not a cost of either directive
    small, few = _issue(leader, agencies[:10])
    large, many = _issue(leader, agencies)
    assert len(few) == len(many), (few, many)
    for table in ("directive_assignments", "directive_assignment_events", "notifications"):
        assert len(_inserts(few, table)) == len(_inserts(many, table)) == 1, table

    assert [(a.agency_id, a.role) for a in large.assignments] == (
        [(agencies[0].id, "lead")] + [(a.id, "support") for a in agencies[1:]])
    db.session.expire_all()
    assert [a.id for a in large.assignments] == sorted(a.id for a in large.assignments)
    history = db.session.scalars(db.select(AssignmentEvent).join(Assignment)
                                 .where(Assignment.directive_id == large.id)).all()
    assert sorted(e.assignment_id for e in history) == sorted(a.id for a in large.assignments)
    assert {(e.action, e.from_status, e.to_status, e.actor_id, e.note) for e in history} == {
        ("issue", None, "pending", leader.id, None)}
    assert history[0].data["deadline"] == large.deadline.isoformat() and history[0].data["role"] in ("lead", "support")
    rows = db.session.scalars(db.select(Notification).where(Notification.kind == "directive.new")).all()
    assert len(rows) == 3 * 10 + 3 * 30
    assert sorted(r.user_id for r in rows if r.link == f"/directives/{large.id}") == sorted(
        u.id for people in officers.values() for u in people)
    texts = {r.text for r in rows if r.link == f"/directives/{large.id}"}
    assert texts == {f"Chỉ đạo mới {large.number}: Phòng chống dịch", f"New directive {large.number}: Phòng chống dịch"}

    for user_id, client in sockets.items():
        got = client.get_received()
        new = [e["args"][0] for e in got if e["name"] == "directive:new"]
        assert sorted(d["directive_id"] for d in new) == [small.id, large.id]
        bells = [e["args"][0] for e in got if e["name"] == "notification:new"]
        mine = db.session.scalars(db.select(Notification.id).where(Notification.user_id == user_id)
                                  .order_by(Notification.id)).all()
        assert [b["id"] for b in bells] == mine and len(mine) == 2
        client.disconnect()


def test_notify_returns_a_row_per_recipient_in_their_order(app, factory):
    from notifications.services import notify

    office = factory.agency("SYT")
    people = [factory.user("officer", office, username=f"u{i}") for i in range(4)]
    order = [people[2], people[0], people[3], people[2], people[1]]
    rows = notify(order, "test.order", "Xin chào")
    assert [r.user_id for r in rows] == [u.id for u in order]
    assert len({r.id for r in rows}) == 5 and rows[0].id < rows[3].id
    assert notify([], "test.order", "Xin chào") == []


def test_the_officers_mail_goes_out_after_the_commit_in_their_language(app, factory, inbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=SMTP_PORT, MAIL_SENDER="chidao@ubnd.example.vn")
    leader = factory.user("leader", username="lead")
    syt, sgd = factory.agency("SYT"), factory.agency("SGD")
    factory.user("officer", syt, username="an", email="an@syt.example.vn", locale="vi")
    factory.user("officer", syt, username="binh", email=None)
    factory.user("officer", sgd, username="chi", email="chi@sgd.example.vn", locale="en")
    d, _statements_run = _issue(leader, [syt, sgd])
    subjects = {tuple(rcpts): msg["Subject"] for rcpts, msg in inbox.wait(2)}
    assert subjects == {("an@syt.example.vn",): f"Chỉ đạo mới {d.number}: Phòng chống dịch",
                        ("chi@sgd.example.vn",): f"New directive {d.number}: Phòng chống dịch"}

"""Migration 0021_cascade on today's data: a database at 0020_search with agencies, leaders, officers and
a directive whose assignments are pending and submitted, written in plain SQL as the old code left them;
after the upgrade every assignment is a root, a result already submitted has gone up (approved_at =
submitted_at, so a new agency leader does not hold it back), and the API works on them."""
from flask_migrate import upgrade

from core import create_app
from core.extensions import db
from tests.conftest import IsolatedClient, bearer, make_test_config

AGENCIES = [
    (1, "VPUB", "Văn phòng UBND tỉnh", None, "provincial_office"),
    (2, "HDS", "UBND huyện Đông Sơn", None, "district"),
    (3, "XDH", "UBND xã Đông Hưng", 2, "commune"),
]
USERS = [
    (1, "chutich", "leader", 1),
    (2, "hdsct", "leader", 2),  # a district leader: before the cascade, a leader like any other
    (3, "hds1", "officer", 2),
    (4, "xdhct", "leader", 3),
    (5, "xdh1", "officer", 3),
]
ASSIGNMENTS = [
    # id, agency, role, status, acknowledged_at, progress, submitted_at, completed_at
    (1, 2, "lead", "pending", None, 0, None, None),
    (2, 3, "support", "submitted", "2026-11-21 02:00:00", 100, "2026-11-25 09:30:00", None),
]


def _old_data(conn):
    for row in AGENCIES:
        conn.exec_driver_sql("INSERT INTO agencies (id, code, name, parent_id, kind, active, created_at)"
                             " VALUES (?, ?, ?, ?, ?, 1, '2026-01-01 00:00:00')", row)
    for user_id, username, role, agency_id in USERS:
        conn.exec_driver_sql(
            "INSERT INTO users (id, username, full_name, role, agency_id, locale, active, password_hash, created_at,"
            " meeting_contact) VALUES (?, ?, ?, ?, ?, 'vi', 1, 'x', '2026-01-01 00:00:00', 0)",
            (user_id, username, username.upper(), role, agency_id))
    conn.exec_driver_sql(
        "INSERT INTO directives (id, number, year, seq, title, body, issuer_id, issued_at, priority, status, deadline)"
        " VALUES (1, '1/UBND-TH', 2026, 1, 'Rà soát nhà ở hộ nghèo', '', 1, '2026-11-20 01:00:00', 'normal',"
        " 'issued', '2099-01-01 01:00:00')")
    for a_id, agency_id, role, status, acked, progress, submitted, completed in ASSIGNMENTS:
        conn.exec_driver_sql(
            "INSERT INTO directive_assignments (id, directive_id, agency_id, role, status, deadline, acknowledged_at,"
            " acknowledged_by_id, progress, submitted_at, completed_at, updated_at)"
            " VALUES (?, 1, ?, ?, ?, '2099-01-01 01:00:00', ?, ?, ?, ?, ?, '2026-11-25 09:30:00')",
            (a_id, agency_id, role, status, acked, 5 if acked else None, progress, submitted, completed))
        conn.exec_driver_sql(
            "INSERT INTO directive_assignment_events (assignment_id, actor_id, created_at, action, from_status,"
            " to_status, data) VALUES (?, 1, '2026-11-20 01:00:00', 'issue', NULL, 'pending', '{}')", (a_id,))


def test_existing_assignments_become_roots_and_submitted_results_have_gone_up(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(revision="0020_search")
        with db.engine.begin() as conn:
            _old_data(conn)
        upgrade(revision="0021_cascade")
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, parent_id, assignee_id, assigned_by_id, approved_at, submitted_at"
                " FROM directive_assignments ORDER BY id").all()
            approval = conn.exec_driver_sql("SELECT DISTINCT approval_required FROM agencies").all()
        assert [tuple(r) for r in rows] == [
            (1, None, None, None, None, None),
            (2, None, None, None, "2026-11-25 09:30:00", "2026-11-25 09:30:00"),
        ]
        assert [tuple(r) for r in approval] == [(1,)]
        upgrade(revision="heads")

        from auth import services as auth_services
        from auth.models import User

        def token(username):
            user = db.session.scalar(db.select(User).where(User.username == username))
            return bearer(auth_services.issue_token(user, "test")[1])

        chutich, hdsct, xdhct = token("chutich"), token("hdsct"), token("xdhct")
        client = app.test_client()
        res = client.get("/api/v1/directives/1", headers=chutich)
        assert res.status_code == 200, res.json
        got = {a["id"]: a for a in res.json["assignments"]}
        assert {i: (a["parent_id"], a["children"]) for i, a in got.items()} == {1: (None, []), 2: (None, [])}
        assert got[2]["awaiting_approval"] is False and got[2]["approved_at"] == "2026-11-25T09:30:00+00:00"
        # the commune has a leader now, but the result submitted before the cascade is not held for it
        assert client.post("/api/v1/assignments/2/approve", headers=xdhct).status_code == 409
        res = client.post("/api/v1/assignments/2/accept", headers=chutich)
        assert res.status_code == 200 and res.json["status"] == "completed", res.json
        # an old root is passed on like a new one; its agency is the one holding it
        res = client.post("/api/v1/assignments/1/sub-assignments", headers=hdsct,
                          json={"user_ids": [3], "deadline": "2098-12-01T08:00:00+07:00"})
        assert res.status_code == 201, res.json
        assert res.json["items"][0]["parent_id"] == 1 and res.json["items"][0]["assignee_id"] == 3
        res = client.get("/api/v1/directives/1", headers=chutich)
        assert {a["id"]: a["status"] for a in res.json["assignments"]}[1] == "acknowledged"
        # the district's leader directs its commune's old root: it reads it, and Đông Hưng's officer
        # still sees it as before
        assert client.get("/api/v1/assignments/2", headers=hdsct).status_code == 200
        assert client.get("/api/v1/assignments/2", headers=token("xdh1")).status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_downgrading_drops_what_was_passed_on_and_keeps_the_rest(tmp_path, monkeypatch):
    """Below 0021 there is no passing on: the demo province's cascade (children at three levels, with
    reports, extension requests, pass_on and approve history) goes, every root and its history stays, and
    no row is left pointing at a deleted one (migrations/env.py checks the foreign keys)."""
    from flask_migrate import downgrade

    from core import demo

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        upgrade(revision="heads")
        demo.seed()
        db.session.remove()
        count = lambda conn, sql: conn.exec_driver_sql(sql).scalar()  # noqa: E731
        with db.engine.connect() as conn:
            roots = count(conn, "SELECT count(*) FROM directive_assignments WHERE parent_id IS NULL")
            children = count(conn, "SELECT count(*) FROM directive_assignments WHERE parent_id IS NOT NULL")
            root_events = count(conn, "SELECT count(*) FROM directive_assignment_events e JOIN directive_assignments"
                                      " a ON a.id = e.assignment_id WHERE a.parent_id IS NULL"
                                      " AND e.action NOT IN ('pass_on', 'approve')")
        assert children >= 10
        downgrade(revision="0020_search")
        with db.engine.connect() as conn:
            assert count(conn, "SELECT count(*) FROM directive_assignments") == roots
            assert count(conn, "SELECT count(*) FROM directive_assignment_events") == root_events
            assert count(conn, "SELECT count(*) FROM directive_progress_reports WHERE assignment_id NOT IN"
                               " (SELECT id FROM directive_assignments)") == 0
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            assert count(conn, "SELECT count(*) FROM directive_assignments WHERE parent_id IS NULL") == roots
        db.session.remove()
        db.engine.dispose()


def test_the_demo_cascade_down_and_up_again_on_postgres(tmp_path, monkeypatch):
    """The same on PostgreSQL, where foreign keys are always on and the unique indexes are partial."""
    from flask_migrate import downgrade

    from core import demo
    from tests.conftest import fresh_postgres_database

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    with fresh_postgres_database("cascade") as url:
        app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade(revision="heads")
            demo.seed()
            db.session.remove()
            with db.engine.connect() as conn:
                roots = conn.exec_driver_sql(
                    "SELECT count(*) FROM directive_assignments WHERE parent_id IS NULL").scalar()
                assert conn.exec_driver_sql(
                    "SELECT count(*) FROM directive_assignments WHERE assignee_id IS NOT NULL").scalar() >= 3
            downgrade(revision="0020_search")
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM directive_assignments").scalar() == roots
            db.session.remove()
            db.engine.dispose()

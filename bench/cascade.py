"""The cascade: the directive page and the tracking board by level over one directive passed down
province → 10 districts → 150 communes → officers (2,000 assignment nodes) among a province's worth of
other directives, on SQLite and PostgreSQL, against one hand-written recursive SQL query each.

- **ours**: per request through the Flask test client, logged in as a provincial leader: the directive
  page (HTML: the whole tree, the history, the forms) and its JSON (``GET /api/v1/directives/<id>``);
  the board (``/directives/dashboard``) at the province's level and at one district's level (HTML: rows,
  ranking, summary by level), and the same district level's JSON (``/api/v1/directives/stats?level=``).
  Wall time and the number of SQL statements of each request.
- **baseline**: one ``WITH RECURSIVE`` query per request over the same data, in-process: for the page,
  the directive's tree walked from its roots with each node's agency, officer, status, deadline and
  depth; for the board, the assignments walked from the roots carrying who gave each one, then counted
  per receiving agency/officer and tracking state at the level asked for. No permissions, no HTML, no JSON.

usage: .venv/bin/python bench/cascade.py [--engines sqlite,postgresql] [--repeat 30] [--directives 1500]
                                         [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--keep]
Prints a table and writes bench/results/cascade.json. Not part of the test suite.
"""
import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "bench-password-1"
DISTRICTS, COMMUNES_PER_DISTRICT, DEPARTMENTS = 10, 15, 12
#: the big directive: 10 districts, each passes it to its 15 communes and 4 of its officers; each commune
#: to 12 of its officers: 10 + 10 * 4 + 150 + 150 * 12 = 2,000 nodes
DISTRICT_OFFICER_SHARES, COMMUNE_OFFICER_SHARES = 4, 12


def make_app(database_url, instance):
    os.environ["INSTANCE_PATH"] = str(instance)
    from core import create_app

    return create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url, "ASYNC_MODE": "threading",
        "SCHEDULER_ENABLED": False, "REDIS_URL": None, "WTF_CSRF_ENABLED": True,
    })


def _bulk(model, rows):
    from sqlalchemy import insert

    from core.extensions import db

    for i in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[i:i + 5000])


class Seed:
    """Everything by bulk INSERT: agencies, users, directives, assignments (with parent_id), their events."""

    def __init__(self, rng, now, n_directives):
        from werkzeug.security import generate_password_hash

        self.rng, self.now, self.n_directives = rng, now, n_directives
        self.password_hash = generate_password_hash(PASSWORD, FAST_HASH)
        self.agencies, self.users, self.directives, self.assignments, self.events = [], [], [], [], []
        self.officers, self.leader_of = {}, {}

    def agency(self, code, name, kind, parent=None):
        agency_id = len(self.agencies) + 1
        self.agencies.append({"id": agency_id, "code": code, "name": name, "kind": kind, "parent_id": parent,
                              "approval_required": False})
        return agency_id

    def user(self, username, name, role, agency_id):
        user_id = len(self.users) + 1
        self.users.append({"id": user_id, "username": username, "full_name": name, "role": role,
                           "agency_id": agency_id, "password_hash": self.password_hash})
        if role == "officer":
            self.officers.setdefault(agency_id, []).append(user_id)
        elif agency_id is not None:
            self.leader_of.setdefault(agency_id, user_id)
        return user_id

    def build_tree(self):
        self.province = self.agency("UBND", "Văn phòng UBND tỉnh", "provincial_office")
        self.leader = self.user("chutich", "Nguyễn Văn Tỉnh", "leader", self.province)
        self.departments = [self.agency(f"SO{i}", f"Sở số {i}", "department") for i in range(1, DEPARTMENTS + 1)]
        self.districts, self.communes = [], {}
        for d in range(1, DISTRICTS + 1):
            district = self.agency(f"H{d}", f"UBND huyện {d}", "district")
            self.districts.append(district)
            self.communes[district] = [self.agency(f"X{d}_{c}", f"UBND xã {d}.{c}", "commune", district)
                                       for c in range(1, COMMUNES_PER_DISTRICT + 1)]
        for agency in self.departments + self.districts:
            self.user(f"ld{agency}", f"Lãnh đạo {agency}", "leader", agency)
            for k in range(DISTRICT_OFFICER_SHARES + 1):
                self.user(f"cb{agency}_{k}", f"Cán bộ {agency}.{k}", "officer", agency)
        for district in self.districts:
            for commune in self.communes[district]:
                self.user(f"ld{commune}", f"Chủ tịch xã {commune}", "leader", commune)
                for k in range(COMMUNE_OFFICER_SHARES):
                    self.user(f"cb{commune}_{k}", f"Cán bộ xã {commune}.{k}", "officer", commune)

    def directive(self, issuer, issued_at, deadline, title):
        directive_id = len(self.directives) + 1
        self.directives.append({"id": directive_id, "number": f"{directive_id}/UBND-TH", "year": 2026,
                                "seq": directive_id, "title": title, "body": "Nội dung chỉ đạo " * 20,
                                "issuer_id": issuer, "issued_at": issued_at, "priority": "normal",
                                "status": "issued", "deadline": deadline})
        return directive_id

    def node(self, directive_id, agency_id, deadline, parent=None, assignee=None, role="lead", giver=None,
             issued_at=None):
        """One assignment in a state drawn at random (pending, acknowledged, in progress, done on time or late)."""
        rng, now = self.rng, self.now
        a_id = len(self.assignments) + 1
        start = issued_at or (now - timedelta(days=30))
        row = {"id": a_id, "directive_id": directive_id, "agency_id": agency_id, "parent_id": parent,
               "assignee_id": assignee, "assigned_by_id": giver if parent else None, "role": role,
               "status": "pending", "deadline": deadline, "updated_at": start, "progress": 0,
               "note": "Triển khai" if parent else None}
        roll = rng.random()
        holder = assignee or (self.officers.get(agency_id) or [self.leader])[0]
        self.events.append({"assignment_id": a_id, "actor_id": giver or self.leader, "created_at": start,
                            "action": "pass_on" if parent else "issue", "to_status": "pending", "data": {}})
        if roll > 0.2:
            row.update(status="acknowledged", acknowledged_at=start + timedelta(hours=rng.randint(1, 72)),
                       acknowledged_by_id=holder)
            self.events.append({"assignment_id": a_id, "actor_id": holder, "created_at": row["acknowledged_at"],
                                "action": "acknowledge", "from_status": "pending", "to_status": "acknowledged",
                                "data": {}})
        if roll > 0.45:
            row.update(status="in_progress", progress=rng.randint(10, 90))
        if roll > 0.75:
            done = deadline + timedelta(days=rng.choice((-5, -2, 1, 3)))
            done = min(done, now - timedelta(hours=1))
            row.update(status="completed", progress=100, submitted_at=done, approved_at=done,
                       completed_at=done + timedelta(hours=2), completed_by_id=self.leader)
        self.assignments.append(row)
        return a_id

    def big_directive(self):
        """The cascade measured: province → 10 districts → 150 communes → officers, 2,000 nodes."""
        now = self.now
        issued = now - timedelta(days=20)
        d = self.directive(self.leader, issued, now + timedelta(days=25), "Chỉ đạo xuyên suốt các cấp")
        for n, district in enumerate(self.districts):
            root = self.node(d, district, now + timedelta(days=25), role="lead" if n == 0 else "support",
                             issued_at=issued)
            giver = self.officers[district][0]
            for k in range(DISTRICT_OFFICER_SHARES):
                self.node(d, district, now + timedelta(days=self.rng.randint(-6, 20)), parent=root,
                          assignee=self.officers[district][k + 1], giver=giver, issued_at=issued)
            for commune in self.communes[district]:
                child = self.node(d, commune, now + timedelta(days=self.rng.randint(-6, 20)), parent=root,
                                  giver=giver, issued_at=issued)
                for officer in self.officers[commune][:COMMUNE_OFFICER_SHARES]:
                    self.node(d, commune, now + timedelta(days=self.rng.randint(-8, 15)), parent=child,
                              assignee=officer, giver=self.officers[commune][0], issued_at=issued)
        return d

    def other_directives(self):
        """The rest of a province's year: directives from the province to 1-3 departments or districts, a
        third of those to a district passed on to 3 of its communes; directives of district leaders to
        their communes."""
        rng, now = self.rng, self.now
        for i in range(self.n_directives):
            issued = now - timedelta(days=rng.randint(1, 300))
            deadline = issued + timedelta(days=rng.randint(10, 60))
            if i % 5 == 4:  # a district's own leader to its communes
                district = rng.choice(self.districts)
                d = self.directive(self.leader_of[district], issued, deadline, f"Chỉ đạo của huyện {i}")
                for n, commune in enumerate(rng.sample(self.communes[district], 2)):
                    self.node(d, commune, deadline, role="lead" if n == 0 else "support", issued_at=issued)
                continue
            d = self.directive(self.leader, issued, deadline, f"Chỉ đạo {i}")
            for n, agency in enumerate(rng.sample(self.departments + self.districts, rng.randint(1, 3))):
                root = self.node(d, agency, deadline, role="lead" if n == 0 else "support", issued_at=issued)
                if agency in self.communes and rng.random() < 0.35:
                    for commune in rng.sample(self.communes[agency], 3):
                        self.node(d, commune, deadline - timedelta(days=2), parent=root,
                                  giver=self.officers[agency][0], issued_at=issued)

    def write(self):
        from auth.models import Agency, User
        from core.extensions import db
        from directives.models import Assignment, AssignmentEvent, Directive

        _bulk(Agency, self.agencies)
        _bulk(User, self.users)
        _bulk(Directive, self.directives)
        empty = dict.fromkeys(("acknowledged_at", "acknowledged_by_id", "submitted_at", "approved_at",
                               "completed_at", "completed_by_id"))
        _bulk(Assignment, [dict(empty, **r) for r in self.assignments])  # parents first: ids ascend with depth
        _bulk(AssignmentEvent, [dict({"from_status": None}, **e) for e in self.events])
        db.session.commit()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


# -- the baselines: one recursive query each -------------------------------------------------------

TREE_SQL = """
WITH RECURSIVE tree(id, parent_id, agency_id, assignee_id, status, deadline, progress, depth) AS (
  SELECT id, parent_id, agency_id, assignee_id, status, deadline, progress, 0
    FROM directive_assignments WHERE directive_id = :d AND parent_id IS NULL
  UNION ALL
  SELECT a.id, a.parent_id, a.agency_id, a.assignee_id, a.status, a.deadline, a.progress, tree.depth + 1
    FROM directive_assignments a JOIN tree ON a.parent_id = tree.id
)
SELECT tree.*, ag.name, u.full_name FROM tree
  JOIN agencies ag ON ag.id = tree.agency_id LEFT JOIN users u ON u.id = tree.assignee_id
 ORDER BY tree.depth, tree.id
"""

# who gave each assignment: the issuer's agency for a root of an agency leader's directive (else the
# province: NULL), the parent's agency below; counted per receiving agency/officer and tracking state
BOARD_SQL = """
WITH RECURSIVE walk(id, giver) AS (
  SELECT a.id, CASE WHEN u.role = 'leader' AND ag.kind <> 'provincial_office' THEN u.agency_id END
    FROM directive_assignments a JOIN directives d ON d.id = a.directive_id
    JOIN users u ON u.id = d.issuer_id LEFT JOIN agencies ag ON ag.id = u.agency_id
   WHERE a.parent_id IS NULL
  UNION ALL
  SELECT c.id, p.agency_id FROM walk JOIN directive_assignments c ON c.parent_id = walk.id
    JOIN directive_assignments p ON p.id = walk.id
)
SELECT a.agency_id, a.assignee_id,
       CASE WHEN a.status = 'completed' THEN
              CASE WHEN coalesce(a.submitted_at, a.completed_at) <= a.deadline THEN 'completed_on_time'
                   ELSE 'completed_late' END
            WHEN a.deadline <= :now THEN 'overdue'
            WHEN a.deadline <= :soon THEN 'due_soon' ELSE 'on_track' END AS tracking,
       count(*), count(a.acknowledged_at)
  FROM walk JOIN directive_assignments a ON a.id = walk.id
 WHERE a.status <> 'cancelled' AND {level}
 GROUP BY a.agency_id, a.assignee_id, tracking
"""


def baseline_tree(directive_id):
    from core.extensions import db

    return db.session.execute(db.text(TREE_SQL), {"d": directive_id}).all()


def baseline_board(level, now):
    from core.dbtypes import UTCDateTime
    from core.extensions import db

    sql = BOARD_SQL.format(level="walk.giver IS NULL" if level is None else "walk.giver = :level")
    stmt = db.text(sql).bindparams(db.bindparam("now", type_=UTCDateTime()),
                                   db.bindparam("soon", type_=UTCDateTime()))
    params = {"now": now, "soon": now + timedelta(days=3)}
    if level is not None:
        params["level"] = level
    return db.session.execute(stmt, params).all()


# -- measuring ----------------------------------------------------------------------------------

def pct(times, p):
    times = sorted(times)
    return round(times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))], 2)


def login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page)
    res = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert res.status_code == 302, res.status_code


def measure(fn, repeat, engine):
    """(times in ms, statements of one call) after one warm-up call."""
    from sqlalchemy import event

    fn()
    seen = []

    def listener(*_args, **_kw):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, len(seen)


def _get(client, url, kind):
    def call():
        res = client.get(url)
        assert res.status_code == 200, (url, res.status_code)
        return res.get_json() if kind == "json" else res.get_data()
    return call


def run_engine(engine_name, args):
    import sqlalchemy as sa

    from core.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="cascade-bench-"))
    admin, url, name = None, f"sqlite:///{tmp / 'bench.db'}", None
    if engine_name == "postgresql":
        base = sa.engine.make_url(args.postgres_url)
        name = f"cascade_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    try:
        app = make_app(url, tmp / "instance")
        with app.app_context():
            db.create_all()
            now = datetime.now(UTC).replace(microsecond=0)
            seed = Seed(random.Random(14), now, args.directives)
            seed.build_tree()
            big = seed.big_directive()
            seed.other_directives()
            t = time.perf_counter()
            seed.write()
            seed_s = round(time.perf_counter() - t, 1)
            nodes = sum(1 for a in seed.assignments if a["directive_id"] == big)
            district = seed.districts[0]
            version = db.session.execute(sa.text(
                "SELECT sqlite_version()" if engine_name == "sqlite" else "SHOW server_version")).scalar()
            db.session.remove()
            engine = db.engine
        client = app.test_client()
        with app.app_context():
            login(client, "chutich")
        pairs = [
            ("directive page (HTML)", _get(client, f"/directives/{big}", "html"), "tree",
             lambda: baseline_tree(big)),
            ("directive JSON", _get(client, f"/api/v1/directives/{big}", "json"), "tree",
             lambda: baseline_tree(big)),
            ("board, province (HTML)", _get(client, "/directives/dashboard", "html"), "board province",
             lambda: baseline_board(None, datetime.now(UTC))),
            ("board, one district (HTML)", _get(client, f"/directives/dashboard?level={district}", "html"),
             "board district", lambda: baseline_board(district, datetime.now(UTC))),
            ("board, one district (JSON)", _get(client, f"/api/v1/directives/stats?level={district}", "json"),
             "board district", lambda: baseline_board(district, datetime.now(UTC))),
        ]
        results = []
        for label, ours, base_label, baseline in pairs:
            times, statements = measure(ours, args.repeat, engine)
            with app.app_context():
                base_times, base_statements = measure(baseline, args.repeat, engine)
                rows = len(baseline())
                db.session.remove()
            results.append({
                "request": label, "ours_p50_ms": pct(times, 50), "ours_p95_ms": pct(times, 95),
                "ours_statements": statements, "baseline": base_label, "baseline_rows": rows,
                "baseline_p50_ms": pct(base_times, 50), "baseline_p95_ms": pct(base_times, 95),
                "baseline_statements": base_statements,
                "ratio_p50": round(pct(times, 50) / max(pct(base_times, 50), 0.01), 1),
            })
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return {"engine": engine_name, "version": version, "seed_s": seed_s, "agencies": len(seed.agencies),
                "users": len(seed.users), "directives": len(seed.directives),
                "assignments": len(seed.assignments), "big_directive_nodes": nodes, "results": results}
    finally:
        if args.keep:
            print(f"kept: {url}")
        elif admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--directives", type=int, default=1500, help="other directives besides the cascade")
    parser.add_argument("--keep", action="store_true", help="keep the databases (to EXPLAIN the queries)")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = [run_engine(engine, args) for engine in args.engines.split(",")]
    load_after = os.getloadavg()
    from importlib.metadata import version

    for r in results:
        print(f"\n{r['engine']} {r['version']}: {r['agencies']} agencies, {r['users']} users, {r['directives']} "
              f"directives, {r['assignments']} assignments ({r['big_directive_nodes']} in the cascade), "
              f"seeded in {r['seed_s']} s")
        for x in r["results"]:
            print(f"  {x['request']:28} ours p50 {x['ours_p50_ms']:8} p95 {x['ours_p95_ms']:8} ms "
                  f"{x['ours_statements']:3} stmts | {x['baseline']:15} p50 {x['baseline_p50_ms']:7} "
                  f"p95 {x['baseline_p95_ms']:7} ms ({x['baseline_rows']} rows) | ratio {x['ratio_p50']}x")
    print(f"\nload average before {load_before}, after {load_after}")
    out = ROOT / "bench" / "results" / "cascade.json"
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "repeat": args.repeat,
        "load_before": load_before, "load_after": load_after, "cpus": os.cpu_count(),
        "python": platform.python_version(), "sqlalchemy": version("sqlalchemy"), "flask": version("flask"),
        "results": results}, indent=2, ensure_ascii=False))
    print(f"written {out}")


if __name__ == "__main__":
    main()

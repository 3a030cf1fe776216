"""The execution report for a year and for a month over 10,000 directives and 50,000 assignments with their
history, on SQLite and PostgreSQL, against one hand-written SQL query.

- **ours**: ``GET /api/v1/reports/execution?from=&to=`` through the Flask test client with a provincial
  leader's bearer token (directives/execution.py: per agency, the assignments due in the period categorised
  as of its end from their history, carried over, extensions granted, medians, the overdue list with reasons,
  names, ranking; and the previous period). Wall time, SQL statements and their time of one call.
- **baseline**: ONE ``text()`` query per dialect over the same tables, in-process, for both periods at once:
  the province's level, the history as time segments (window functions), per (period, agency) due, the four
  categories, the medians of the seconds to acknowledge and of handling (PostgreSQL ``percentile_cont``,
  SQLite ``row_number``/``count`` windows), carried over (and of those completed), extensions granted. No
  overdue list, names, ranking, permissions or JSON. Its counts are asserted equal to the API's.

usage: .venv/bin/python bench/execution.py [--engines sqlite,postgresql] [--repeat 5] [--directives 10000]
                                           [--year 2026] [--postgres-url ...] [--keep]
Prints a table and writes bench/results/execution.json. Not part of the test suite.
"""
import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cascade import FAST_HASH, PASSWORD, _bulk, make_app, pct  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS, DISTRICTS, COMMUNES_PER_DISTRICT, OFFICERS = 20, 20, 5, 3
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
NOTES = ("Đã họp triển khai, phân công cán bộ phụ trách.", "Đang rà soát số liệu, tổng hợp từ các xã.",
         "Đã hoàn thành 50% khối lượng, đang chờ ý kiến các sở.", "Vướng mặt bằng, đang làm việc với chủ đầu tư.")
REASONS = ("Chờ ý kiến thẩm định của Sở Tài chính.", "Khối lượng lớn, cần thêm thời gian khảo sát thực địa.",
           "Thời tiết mưa bão kéo dài, chưa thể thi công.")


class Seed:
    """Everything by bulk INSERT: agencies, users, directives, assignments with their whole history (events
    keeping the deadline in force after each), progress reports and extension requests."""

    def __init__(self, rng, now, n_directives):
        from werkzeug.security import generate_password_hash

        self.rng, self.now, self.n_directives = rng, now, n_directives
        self.password_hash = generate_password_hash(PASSWORD, FAST_HASH)
        self.agencies, self.users, self.directives, self.assignments = [], [], [], []
        self.events, self.reports, self.extensions = [], [], []
        self.officers, self.leader_of, self.communes = {}, {}, {}

    def agency(self, code, name, kind, parent=None):
        self.agencies.append({"id": len(self.agencies) + 1, "code": code, "name": name, "kind": kind,
                              "parent_id": parent, "approval_required": False})
        return len(self.agencies)

    def user(self, username, name, role, agency_id):
        user_id = len(self.users) + 1
        self.users.append({"id": user_id, "username": username, "full_name": name, "role": role,
                           "agency_id": agency_id, "password_hash": self.password_hash})
        if role == "officer":
            self.officers.setdefault(agency_id, []).append(user_id)
        else:
            self.leader_of.setdefault(agency_id, user_id)
        return user_id

    def build_tree(self):
        self.province = self.agency("UBND", "Văn phòng UBND tỉnh", "provincial_office")
        self.leader = self.user("chutich", "Nguyễn Văn Tỉnh", "leader", self.province)
        self.departments = [self.agency(f"SO{i}", f"Sở số {i}", "department") for i in range(1, DEPARTMENTS + 1)]
        self.districts = [self.agency(f"H{i}", f"UBND huyện {i}", "district") for i in range(1, DISTRICTS + 1)]
        for d in self.districts:
            self.communes[d] = [self.agency(f"X{d}_{c}", f"UBND xã {d}.{c}", "commune", d)
                                for c in range(1, COMMUNES_PER_DISTRICT + 1)]
        for agency in [a["id"] for a in self.agencies[1:]]:
            self.user(f"ld{agency}", f"Lãnh đạo {agency}", "leader", agency)
            for k in range(OFFICERS):
                self.user(f"cb{agency}_{k}", f"Cán bộ {agency}.{k}", "officer", agency)

    def directive(self, issuer, issued_at, deadline):
        directive_id = len(self.directives) + 1
        self.directives.append({"id": directive_id, "number": f"{directive_id}/UBND-TH",
                                "year": issued_at.year, "seq": directive_id, "title": f"Chỉ đạo số {directive_id}",
                                "body": "Nội dung chỉ đạo " * 10, "issuer_id": issuer, "issued_at": issued_at,
                                "priority": "normal", "status": "issued", "deadline": deadline})
        return directive_id

    def all_directives(self):
        """Over ~15 months: 9 in 10 from the provincial leader to 2-5 departments or districts (a district passes
        it on to 2 communes 58 % of the time); 1 in 10 from a district's leader to 2-4 of its communes."""
        rng, now = self.rng, self.now
        for i in range(self.n_directives):
            issued = now - timedelta(days=rng.uniform(1, 455))
            deadline = issued + DAY * rng.randint(7, 90)
            if i % 10 == 9:
                district = rng.choice(self.districts)
                giver = self.leader_of[district]
                d = self.directive(giver, issued, deadline)
                for n, commune in enumerate(rng.sample(self.communes[district], rng.randint(2, 4))):
                    self.assignment(d, commune, issued, deadline, giver, role="lead" if n == 0 else "support")
                continue
            d = self.directive(self.leader, issued, deadline)
            for n, agency in enumerate(rng.sample(self.departments + self.districts, rng.randint(2, 5))):
                passed = agency in self.communes and rng.random() < 0.58
                communes = rng.sample(self.communes[agency], 2) if passed else []
                self.assignment(d, agency, issued, deadline, self.leader, role="lead" if n == 0 else "support",
                                pass_to=communes)

    def assignment(self, directive_id, agency_id, start, deadline, giver, role="lead", parent=None, pass_to=()):
        a_id = len(self.assignments) + 1
        row = dict.fromkeys(("first_seen_at", "first_seen_by_id", "acknowledged_at", "acknowledged_by_id",
                             "submitted_at", "approved_at", "completed_at", "completed_by_id"))
        row.update(id=a_id, directive_id=directive_id, agency_id=agency_id, parent_id=parent, assignee_id=None,
                   assigned_by_id=giver if parent else None, role=role, status="pending", deadline=deadline,
                   updated_at=start, progress=0, note="Triển khai" if parent else None)
        self.assignments.append(row)
        Life(self, row, giver, start).run(pass_to)
        return a_id

    def write(self):
        from auth.models import Agency, User
        from core.extensions import db
        from directives.models import Assignment, AssignmentEvent, Directive, ExtensionRequest, ProgressReport

        for model, rows in ((Agency, self.agencies), (User, self.users), (Directive, self.directives),
                            (Assignment, self.assignments), (AssignmentEvent, self.events),
                            (ProgressReport, self.reports), (ExtensionRequest, self.extensions)):
            _bulk(model, rows)
        db.session.commit()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


class Life:
    """One assignment's history, as the services write it: issue (or pass_on), seen, acknowledge, progress
    reports, maybe an extension asked (approved: the deadline moves), submit, accept; some cancelled, some
    never acknowledged, some left open past their deadline. Nothing after ``now``."""

    def __init__(self, seed, row, giver, start):
        self.seed, self.row, self.giver, self.t = seed, row, giver, start
        self.first = True
        agency = row["agency_id"]
        self.holder = seed.rng.choice(seed.officers[agency])

    def event(self, after, action, to_status=None, actor=None, note=None):
        """Add ``action`` ``after`` the last one; False (nothing added) when that would be after now."""
        t = self.t + after
        if t > self.seed.now:
            return False
        row = self.row
        self.seed.events.append({"assignment_id": row["id"], "actor_id": actor or self.holder, "created_at": t,
                                 "action": action, "from_status": None if self.first else row["status"],
                                 "to_status": to_status or row["status"], "deadline": row["deadline"],
                                 "note": note, "data": {}})
        self.t = row["updated_at"] = t
        self.first = False
        row["status"] = to_status or row["status"]
        return True

    def run(self, pass_to):
        rng, row = self.seed.rng, self.row
        self.event(timedelta(0), "issue", "pending", actor=self.giver)  # as the services: the child's own "issue"
        if rng.random() < 0.03:
            self.event(DAY * rng.randint(1, 20), "cancel", "cancelled", actor=self.giver, note="Thu hồi")
            return
        if not self.event(HOUR * rng.uniform(0.5, 48), "seen"):
            return
        row.update(first_seen_at=self.t, first_seen_by_id=self.holder)
        if rng.random() > 0.93 or not self.event(HOUR * rng.uniform(1, 72), "acknowledge", "acknowledged"):
            return
        row.update(acknowledged_at=self.t, acknowledged_by_id=self.holder)
        if pass_to:
            self.pass_on(pass_to)
        self.work()

    def pass_on(self, communes):
        if not self.event(HOUR * self.seed.rng.uniform(1, 24), "pass_on"):
            return
        deadline = max(self.row["deadline"] - 2 * DAY, self.t + 3 * DAY)
        for commune in communes:
            self.seed.assignment(self.row["directive_id"], commune, self.t, deadline, self.holder,
                                 parent=self.row["id"])

    def report(self, after, progress):
        if not self.event(after, "report", "in_progress", note=self.seed.rng.choice(NOTES)):
            return False
        self.row["progress"] = progress
        self.seed.reports.append({"assignment_id": self.row["id"], "author_id": self.holder, "progress": progress,
                                  "note": self.seed.rng.choice(NOTES), "is_submission": False,
                                  "client_id": None, "created_at": self.t})
        return True

    def work(self):
        """Reports, maybe an extension, then the result: 62 % on time, 20 % late, the rest never finished."""
        rng, row = self.seed.rng, self.row
        left = max(row["deadline"] - self.t, 2 * DAY)
        for n in range(rng.randint(1, 2)):
            if not self.report(left * rng.uniform(0.05, 0.25), 30 * (n + 1)):
                return
        if rng.random() < 0.15 and not self.extension():
            return
        roll = rng.random()
        if roll < 0.62:
            finish = row["deadline"] - (row["deadline"] - self.t) * rng.uniform(0, 0.8)
        elif roll < 0.82:
            finish = row["deadline"] + HOUR * rng.uniform(1, 30 * 24)
        else:
            return
        if not self.event(max(finish - self.t, HOUR), "submit", "submitted", note="Báo cáo kết quả"):
            return
        row.update(submitted_at=self.t, approved_at=self.t, progress=100)
        self.seed.reports.append({"assignment_id": row["id"], "author_id": self.holder, "progress": 100,
                                  "note": "Báo cáo kết quả", "is_submission": True, "client_id": None,
                                  "created_at": self.t})
        if self.event(HOUR * rng.uniform(2, 96), "accept", "completed", actor=self.giver):
            row.update(completed_at=self.t, completed_by_id=self.giver)

    def extension(self):
        """Asked a few days before the deadline; three in four approved (the deadline moves 10-45 days)."""
        rng, row = self.seed.rng, self.row
        ask = max(row["deadline"] - DAY * rng.randint(1, 7) - self.t, HOUR)
        reason = rng.choice(REASONS)
        if not self.event(ask, "extension_request", note=reason):
            return False
        asked_at, old = self.t, row["deadline"]
        wanted = old + DAY * rng.randint(10, 45)
        ext = {"assignment_id": row["id"], "requested_by_id": self.holder, "created_at": asked_at,
               "requested_deadline": wanted, "old_deadline": old, "reason": reason, "status": "pending",
               "decided_by_id": None, "decided_at": None, "decision_note": None}
        self.seed.extensions.append(ext)
        approve = rng.random() < 0.75
        if approve:
            row["deadline"] = wanted  # the event keeps the deadline in force after it
        if not self.event(HOUR * rng.uniform(1, 72), "extension_approve" if approve else "extension_reject",
                          actor=self.giver):
            row["deadline"] = old
            return False
        ext.update(status="approved" if approve else "rejected", decided_by_id=self.giver, decided_at=self.t)
        return True


# -- the baseline: one statement for both periods ------------------------------------------------------------

BASELINE_SQL = """
WITH periods AS (SELECT 0 AS idx, :s0 AS p_start, :e0 AS p_end, :a0 AS p_at UNION ALL SELECT 1, :s1, :e1, :a1),
lvl AS (  -- the province's level: roots of directives not issued by an agency's own leader
  SELECT a.id FROM directive_assignments a JOIN directives d ON d.id = a.directive_id
    JOIN users u ON u.id = d.issuer_id LEFT JOIN agencies ua ON ua.id = u.agency_id
   WHERE a.parent_id IS NULL AND NOT (u.role = 'leader' AND u.agency_id IS NOT NULL
         AND coalesce(ua.kind, 'provincial_office') <> 'provincial_office')),
seg AS (  -- each event: the status and deadline in force from `at` until `next_at`
  SELECT e.assignment_id AS aid, e.created_at AS at, e.to_status AS status, e.deadline, e.action,
         lead(e.created_at) OVER (PARTITION BY e.assignment_id ORDER BY e.created_at, e.id) AS next_at
    FROM directive_assignment_events e JOIN lvl ON lvl.id = e.assignment_id WHERE e.created_at < :hi),
state AS MATERIALIZED (  -- per (assignment, period): due in it? carried into it? its state at the period's end
  SELECT s.aid, p.idx, p.p_end, p.p_at,
         max(CASE WHEN s.action IN ('issue', 'add') AND s.at < p.p_at THEN s.at END) AS first_at,
         max(CASE WHEN s.deadline >= p.p_start AND s.deadline < p.p_end AND s.at < p.p_end
                   AND (s.next_at IS NULL OR s.next_at > p.p_start) THEN 1 ELSE 0 END) AS is_due,
         max(CASE WHEN s.at < p.p_start AND (s.next_at IS NULL OR s.next_at >= p.p_start)
                   AND s.deadline < p.p_start AND s.status IN ('pending', 'acknowledged', 'in_progress', 'submitted')
                  THEN 1 ELSE 0 END) AS carried,
         max(CASE WHEN {at_end} THEN s.status END) AS status,
         max(CASE WHEN {at_end} THEN s.deadline END) AS deadline,
         max(CASE WHEN {at_end} THEN s.at END) AS at
    FROM seg s CROSS JOIN periods p GROUP BY s.aid, p.idx, p.p_start, p.p_end, p.p_at),
judged AS (
  SELECT e.idx, l.agency_id,
         CASE WHEN e.status = 'completed' THEN
                CASE WHEN (CASE WHEN l.status = 'completed' AND l.completed_at IS NOT NULL
                                THEN coalesce(l.submitted_at, l.completed_at) ELSE e.at END) <= e.deadline
                     THEN 'completed_on_time' ELSE 'completed_late' END
              WHEN e.deadline > e.p_at THEN 'open_within_deadline' ELSE 'open_overdue' END AS category,
         CASE WHEN l.acknowledged_at < e.p_at THEN {ack} END AS ack_s,
         CASE WHEN e.status = 'completed' THEN {handling} END AS handling_s
    FROM state e JOIN directive_assignments l ON l.id = e.aid
   WHERE e.is_due = 1 AND e.status <> 'cancelled'),
{medians}
due_agg AS (
  SELECT idx, agency_id, count(*) AS due,
         sum(CASE WHEN category = 'completed_on_time' THEN 1 ELSE 0 END) AS completed_on_time,
         sum(CASE WHEN category = 'completed_late' THEN 1 ELSE 0 END) AS completed_late,
         sum(CASE WHEN category = 'open_within_deadline' THEN 1 ELSE 0 END) AS open_within_deadline,
         sum(CASE WHEN category = 'open_overdue' THEN 1 ELSE 0 END) AS open_overdue{agg_medians}
    FROM judged GROUP BY idx, agency_id),
carried AS (
  SELECT e.idx, l.agency_id, count(*) AS carried_over,
         sum(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END) AS carried_over_completed
    FROM state e JOIN directive_assignments l ON l.id = e.aid
   WHERE e.carried = 1 AND e.status IS NOT NULL GROUP BY e.idx, l.agency_id),
ext AS (
  SELECT p.idx, a.agency_id, count(*) AS extensions_granted
    FROM directive_extension_requests x JOIN lvl ON lvl.id = x.assignment_id
    JOIN directive_assignments a ON a.id = x.assignment_id
    JOIN periods p ON x.decided_at >= p.p_start AND x.decided_at < p.p_end
   WHERE x.status = 'approved' GROUP BY p.idx, a.agency_id),
keys AS (SELECT idx, agency_id FROM due_agg UNION SELECT idx, agency_id FROM carried
         UNION SELECT idx, agency_id FROM ext)
SELECT k.idx, k.agency_id, coalesce(d.due, 0), coalesce(d.completed_on_time, 0), coalesce(d.completed_late, 0),
       coalesce(d.open_within_deadline, 0), coalesce(d.open_overdue, 0), {select_medians},
       coalesce(c.carried_over, 0), coalesce(c.carried_over_completed, 0), coalesce(x.extensions_granted, 0)
  FROM keys k LEFT JOIN due_agg d ON d.idx = k.idx AND d.agency_id = k.agency_id
  LEFT JOIN carried c ON c.idx = k.idx AND c.agency_id = k.agency_id
  LEFT JOIN ext x ON x.idx = k.idx AND x.agency_id = k.agency_id {median_joins}
 ORDER BY k.idx, k.agency_id
"""
#: the segment in force when the period is judged: its end, or now while it is not over (one per assignment and
#: period, or none: it did not exist yet)
AT_END = "s.at < p.p_at AND (s.next_at IS NULL OR s.next_at >= p.p_at)"

ACCEPTED_AT = "CASE WHEN l.status = 'completed' AND l.completed_at IS NOT NULL THEN l.completed_at ELSE e.at END"
#: SQLite has no median: the middle row(s) of each group by row_number/count windows, in the same statement
SQLITE_MEDIAN = """{name}_ranked AS (
  SELECT idx, agency_id, {name}_s AS v, row_number() OVER (PARTITION BY idx, agency_id ORDER BY {name}_s) AS rn,
         count(*) OVER (PARTITION BY idx, agency_id) AS n FROM judged WHERE {name}_s IS NOT NULL),
{name}_med AS (SELECT idx, agency_id, avg(v) AS med FROM {name}_ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
               GROUP BY idx, agency_id),"""
FIELDS = ("due", "completed_on_time", "completed_late", "open_within_deadline", "open_overdue",
          "median_ack_seconds", "median_handling_seconds", "carried_over", "carried_over_completed",
          "extensions_granted")


def baseline_sql(dialect):
    if dialect == "postgresql":
        def secs(a, b):
            return f"extract(epoch FROM ({a} - {b}))"
        return BASELINE_SQL.format(at_end=AT_END,
            ack=secs("l.acknowledged_at", "e.first_at"), handling=secs(ACCEPTED_AT, "e.first_at"), medians="",
            agg_medians=",\n         percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_s) AS med_ack,"
                        "\n         percentile_cont(0.5) WITHIN GROUP (ORDER BY handling_s) AS med_handling",
            select_medians="d.med_ack, d.med_handling", median_joins="")

    def secs(a, b):
        return f"(julianday({a}) - julianday({b})) * 86400.0"
    return BASELINE_SQL.format(at_end=AT_END,
        ack=secs("l.acknowledged_at", "e.first_at"), handling=secs(ACCEPTED_AT, "e.first_at"),
        medians=SQLITE_MEDIAN.format(name="ack") + "\n" + SQLITE_MEDIAN.format(name="handling"), agg_medians="",
        select_medians="am.med, hm.med",
        median_joins="\n  LEFT JOIN ack_med am ON am.idx = k.idx AND am.agency_id = k.agency_id"
                     "\n  LEFT JOIN handling_med hm ON hm.idx = k.idx AND hm.agency_id = k.agency_id")


def baseline(period):
    """[(period idx, agency id, *FIELDS)] of ``period`` (0) and the one before (1), in one statement."""
    from sqlalchemy import bindparam, text

    from core.dbtypes import UTCDateTime
    from core.extensions import db

    previous = period.previous()
    names = ("s0", "e0", "a0", "s1", "e1", "a1", "hi")
    stmt = text(baseline_sql(db.engine.dialect.name)).bindparams(*(bindparam(n, type_=UTCDateTime) for n in names))
    now = datetime.now(UTC)
    values = (period.start, period.end, min(period.end, now), previous.start, previous.end, min(previous.end, now),
              max(period.end, previous.end))
    return db.session.execute(stmt, dict(zip(names, values, strict=True))).all()


def check_same(api_json, rows):
    """Assert the baseline's per-agency figures are the API's (medians within a second: SQLite's julianday)."""
    ours = {(0, r["agency_id"]): r for r in api_json["agencies"]}
    ours.update({(1, r["agency_id"]): r for r in api_json["previous"]["agencies"]})
    theirs = {(row[0], row[1]): dict(zip(FIELDS, row[2:], strict=True)) for row in rows}
    assert set(ours) == set(theirs), sorted(set(ours) ^ set(theirs))
    for key, base in theirs.items():
        for field, value in base.items():
            mine = ours[key][field]
            if field.startswith("median"):
                assert (mine is None) == (value is None) and (value is None or abs(mine - float(value)) <= 1), (
                    key, field, mine, value)
            else:
                assert mine == value, (key, field, mine, value)
    return len(theirs)


# -- measuring ------------------------------------------------------------------------------------------------

def measure(fn, repeat, engine):
    """(times in ms, statements of one call, ms spent in those statements) after one warm-up call."""
    from sqlalchemy import event

    fn()
    spans, started = [], []

    def before(*_a, **_kw):
        started.append(time.perf_counter())

    def after(*_a, **_kw):
        spans.append((time.perf_counter() - started.pop()) * 1000)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, len(spans), round(sum(spans), 1)


def profile_report(app, period, top=18):
    """cProfile of one execution.report call (no HTTP): the functions that take the most cumulative time."""
    from core.extensions import db
    from directives import execution

    with app.test_request_context():
        prof = cProfile.Profile()
        prof.enable()
        execution.report(None, period)
        prof.disable()
        db.session.remove()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def fresh_database(engine_name, args, tmp):
    """(url, drop function) of an empty database for this run."""
    import sqlalchemy as sa

    if engine_name == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    base = sa.engine.make_url(args.postgres_url)
    name = f"execution_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), drop


def seed_database(app, engine_name, args):
    import sqlalchemy as sa

    from auth.models import User
    from auth.services import issue_token
    from core.extensions import db

    with app.app_context():
        db.create_all()
        seed = Seed(random.Random(30), datetime.now(UTC).replace(microsecond=0), args.directives)
        seed.build_tree()
        seed.all_directives()
        t = time.perf_counter()
        seed.write()
        seed_s = round(time.perf_counter() - t, 1)
        _token, raw = issue_token(db.session.get(User, seed.leader), "bench")
        version = db.session.execute(sa.text(
            "SELECT sqlite_version()" if engine_name == "sqlite" else "SHOW server_version")).scalar()
        sizes = {"agencies": len(seed.agencies), "users": len(seed.users), "directives": len(seed.directives),
                 "assignments": len(seed.assignments),
                 "passed_down": sum(1 for a in seed.assignments if a["parent_id"]), "events": len(seed.events),
                 "progress_reports": len(seed.reports), "extension_requests": len(seed.extensions),
                 "extensions_approved": sum(1 for x in seed.extensions if x["status"] == "approved")}
        db.session.remove()
    return raw, version, seed_s, sizes


def run_engine(engine_name, args):
    from core.extensions import db
    from directives.execution import Period, month_period

    tmp = Path(tempfile.mkdtemp(prefix="execution-bench-"))
    url, drop = fresh_database(engine_name, args, tmp)
    try:
        app = make_app(url, tmp / "instance")
        token, version, seed_s, sizes = seed_database(app, engine_name, args)
        with app.app_context():
            engine = db.engine
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        periods = [("year", Period(date(args.year, 1, 1), date(args.year, 12, 31))),
                   ("month", month_period(args.year, args.month))]
        results = []
        for label, period in periods:
            url_ = f"/api/v1/reports/execution?from={period.first}&to={period.last}"

            def ours(url_=url_):
                res = client.get(url_, headers=headers)
                assert res.status_code == 200, (url_, res.status_code, res.get_data(as_text=True)[:300])
                return res.get_json()

            times, statements, sql_ms = measure(ours, args.repeat, engine)
            with app.app_context():
                base_times, base_statements, _sql = measure(lambda p=period: baseline(p), args.repeat, engine)
                rows = baseline(period)
                db.session.remove()
            data = ours()
            checked = check_same(data, rows)
            results.append({
                "period": label, "from": str(period.first), "to": str(period.last),
                "due": data["totals"]["due"], "previous_due": data["previous"]["totals"]["due"],
                "open_overdue": data["totals"]["open_overdue"], "carried_over": data["totals"]["carried_over"],
                "extensions_granted": data["totals"]["extensions_granted"],
                "overdue_listed": len(data["overdue"]), "agency_rows_checked": checked,
                "ours_p50_ms": pct(times, 50), "ours_max_ms": round(max(times), 1), "ours_statements": statements,
                "ours_sql_ms": sql_ms, "baseline_p50_ms": pct(base_times, 50),
                "baseline_statements": base_statements,
                "ratio_p50": round(pct(times, 50) / max(pct(base_times, 50), 0.01), 1)})
        profile = profile_report(app, periods[0][1]) if args.profile else None
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return {"engine": engine_name, "version": version, "seed_s": seed_s, **sizes, "results": results,
                "profile_year": profile}
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--directives", type=int, default=10000)
    parser.add_argument("--year", type=int, default=2026, help="the year reported (the previous one beside it)")
    parser.add_argument("--month", type=int, default=10, help="the month of that year also reported")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="skip the cProfile of one year's report")
    parser.add_argument("--keep", action="store_true", help="keep the databases (to EXPLAIN the queries)")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = [run_engine(engine, args) for engine in args.engines.split(",")]
    load_after = os.getloadavg()
    from importlib.metadata import version

    for r in results:
        print(f"\n{r['engine']} {r['version']}: {r['agencies']} agencies, {r['directives']} directives, "
              f"{r['assignments']} assignments ({r['passed_down']} passed down), {r['events']} events, "
              f"{r['progress_reports']} reports, {r['extension_requests']} extension requests; "
              f"seeded in {r['seed_s']} s")
        for x in r["results"]:
            print(f"  {x['period']:5} due {x['due']:6} | ours p50 {x['ours_p50_ms']:8} ms {x['ours_statements']:2} "
                  f"stmts ({x['ours_sql_ms']} ms in SQL) | baseline p50 {x['baseline_p50_ms']:8} ms "
                  f"{x['baseline_statements']} stmt | ratio {x['ratio_p50']}x | {x['agency_rows_checked']} rows equal")
        if r["profile_year"]:
            print(r["profile_year"])
    print(f"\nload average before {load_before}, after {load_after}")
    out = ROOT / "bench" / "results" / "execution.json"
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "repeat": args.repeat,
        "load_before": load_before, "load_after": load_after, "cpus": os.cpu_count(),
        "python": platform.python_version(), "sqlalchemy": version("sqlalchemy"), "flask": version("flask"),
        "results": results}, indent=2, ensure_ascii=False))
    print(f"written {out}")


if __name__ == "__main__":
    main()

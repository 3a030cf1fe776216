"""The tracking board at 1,000,000 assignments on PostgreSQL, against ONE hand-written query (issue 17).

- **ours**: what a provincial leader's dashboard calls, over HTTP against a running ``python wsgi.py``
  (gevent) with a bearer token: ``GET /api/v1/directives/stats`` (queries.agency_stats: per agency and
  totals) and ``GET /api/v1/directives/stats?level=province`` (board.level_stats and level_summary: what
  the dashboard page refetches live, with the summary by level). Beside them the same service functions
  called in-process (no HTTP, no JSON, no authentication).
- **baseline**: ONE ``SELECT`` each with psycopg2, in-process: per receiving agency of what the province
  gave: assigned, acknowledged, on track, due soon, overdue, done on time, done late, the median seconds to
  acknowledge (``percentile_cont``), the agency's code and name, and the totals (``UNION ALL``); for the
  level board the same plus the summary by the giver's level in the same statement. The bench asserts
  that they give ours' numbers.
- **statements**: ours' SQL statements per request (in-process Flask test client, bearer token,
  ``before_cursor_execute``) on a small database and on the big one: they must be the same number.

usage: .venv/bin/python bench/board.py [--assignments 1000000] [--small 10000] [--repeat 7] [--smoke]
                                       [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--keep]
Prints a table and writes bench/results/board.json (or --out). Not part of the test suite (--smoke is).
"""
import argparse
import csv
import io
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import FAST_HASH, free_port, make_app, start_ours  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS, DISTRICTS, COMMUNES_PER_DISTRICT = 24, 15, 4
DAY = timedelta(days=1)
COUNTS = ("assigned", "acknowledged", "on_track", "due_soon", "overdue", "completed_on_time", "completed_late")
PAST = (("completed", 78), ("submitted", 4), ("in_progress", 8), ("acknowledged", 5), ("pending", 3),
        ("cancelled", 2))
FUTURE = (("completed", 25), ("submitted", 10), ("in_progress", 30), ("acknowledged", 20), ("pending", 13),
          ("cancelled", 2))


class Seed:
    """~100 agencies (the provincial office, departments, districts and their communes), a leader and two
    officers each; directives over the last 400 days, 9 in 10 from the chairman to 4-8 departments or
    districts (a district passes it on to 2-4 of its communes 70 % of the time), 1 in 10 from a district's
    leader to 2-4 of its communes; statuses, acknowledgements and completions so every tracking state
    occurs. Deadlines fall at 10:00 UTC (17:00 in Vietnam), so a run does not straddle one. Written by COPY."""

    def __init__(self, rng, now, n_directives):
        self.rng, self.now, self.n_directives = rng, now, n_directives
        self.agencies, self.users, self.directives, self.assignments = [], [], [], []
        self.communes, self.leader_of = {}, {}

    def build_tree(self):
        def agency(code, name, kind, parent=None):
            self.agencies.append((len(self.agencies) + 1, code, name, kind, parent))
            return len(self.agencies)

        self.province = agency("UBND", "Văn phòng UBND tỉnh", "provincial_office")
        self.departments = [agency(f"SO{i:02}", f"Sở số {i}", "department") for i in range(1, DEPARTMENTS + 1)]
        self.districts = [agency(f"H{i:02}", f"UBND huyện {i}", "district") for i in range(1, DISTRICTS + 1)]
        for d in self.districts:
            self.communes[d] = [agency(f"X{d}_{c}", f"UBND xã {d}.{c}", "commune", d)
                                for c in range(1, COMMUNES_PER_DISTRICT + 1)]
        for agency_id, *_ in self.agencies:
            self.leader_of[agency_id] = self._user(f"ld{agency_id}", f"Lãnh đạo {agency_id}", "leader", agency_id)
            for k in range(2):
                self._user(f"cb{agency_id}_{k}", f"Cán bộ {agency_id}.{k}", "officer", agency_id)
        self.chairman = self.leader_of[self.province]

    def _user(self, username, name, role, agency_id):
        self.users.append((len(self.users) + 1, username, name, role, agency_id))
        return len(self.users)

    def deadline(self, start, days):
        return (start + days * DAY).replace(hour=10, minute=0, second=0)

    def all_directives(self):
        rng = self.rng
        for i in range(1, self.n_directives + 1):
            issued = self.now - timedelta(seconds=rng.randint(3600, 400 * 86400))
            deadline = self.deadline(issued, rng.randint(7, 90))
            if i % 10 == 0:
                district = rng.choice(self.districts)
                self._directive(i, self.leader_of[district], issued, deadline)
                for n, commune in enumerate(rng.sample(self.communes[district], rng.randint(2, 4))):
                    self._assignment(i, commune, issued, deadline, "lead" if n == 0 else "support")
                continue
            self._directive(i, self.chairman, issued, deadline)
            for n, agency in enumerate(rng.sample(self.departments + self.districts, rng.randint(4, 8))):
                root, acked = self._assignment(i, agency, issued, deadline, "lead" if n == 0 else "support")
                if agency in self.communes and acked and rng.random() < 0.7:
                    child_deadline = self.deadline(acked, max(3, (deadline - acked).days - 2))
                    for commune in rng.sample(self.communes[agency], rng.randint(2, 4)):
                        self._assignment(i, commune, acked, child_deadline, "lead", parent=root,
                                         by=self.leader_of[agency])

    def _directive(self, i, issuer, issued, deadline):
        priority = self.rng.choices(("normal", "high", "urgent"), (80, 15, 5))[0]
        self.directives.append((i, f"{i}/UBND-TH", issued.year, i, f"Chỉ đạo số {i}", "Nội dung chỉ đạo.", issuer,
                                issued, priority, "issued", deadline))

    def _assignment(self, directive_id, agency_id, start, deadline, role, parent=None, by=None):
        """Append one assignment; (its id, when it was acknowledged or None)."""
        rng, now = self.rng, self.now
        weights = PAST if deadline < now else FUTURE
        status = rng.choices([s for s, _ in weights], [w for _, w in weights])[0]
        acked = submitted = completed = None
        if status not in ("pending", "cancelled"):
            acked = min(start + timedelta(seconds=rng.randint(600, 4 * 86400)), now - timedelta(seconds=1))
        if status in ("submitted", "completed"):
            submitted = deadline + timedelta(seconds=rng.randint(-15 * 86400, 6 * 86400))
            submitted = min(max(submitted, acked + timedelta(hours=1)), now)
        if status == "completed":
            completed = min(submitted + timedelta(seconds=rng.randint(3600, 3 * 86400)), now)
            if rng.random() < 0.1:
                submitted = None  # accepted without a submission: completed_at is the time of completion
        a_id = len(self.assignments) + 1
        progress = 100 if status == "completed" else rng.randint(0, 90)
        updated = max(t for t in (start, acked, submitted, completed) if t is not None)
        self.assignments.append((a_id, directive_id, agency_id, parent, by, role, status, deadline, acked,
                                 progress, submitted, completed, updated))
        return a_id, acked

    def write(self, raw):
        stamp = self.now
        tables = (
            ("agencies", "id, code, name, kind, parent_id, active, created_at",
             [a + (True, stamp) for a in self.agencies]),
            ("users", "id, username, full_name, role, agency_id, locale, active, password_hash, created_at",
             [u + ("vi", True, self.password_hash(), stamp) for u in self.users]),
            ("directives", "id, number, year, seq, title, body, issuer_id, issued_at, priority, status, deadline",
             self.directives),
            ("directive_assignments", "id, directive_id, agency_id, parent_id, assigned_by_id, role, status, "
             "deadline, acknowledged_at, progress, submitted_at, completed_at, updated_at", self.assignments),
        )
        with raw.cursor() as cur:
            for table, columns, rows in tables:
                for i in range(0, len(rows), 100_000):
                    buf = io.StringIO()
                    csv.writer(buf).writerows(_csv_row(r) for r in rows[i:i + 100_000])
                    buf.seek(0)
                    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buf)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {len(rows)})")
        raw.commit()
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        raw.autocommit = False

    def password_hash(self):
        from werkzeug.security import generate_password_hash

        if not hasattr(self, "_hash"):
            self._hash = generate_password_hash("bench-pass-1", FAST_HASH)
        return self._hash


def _csv_row(row):
    """Naive UTC for the timestamp columns (as UTCDateTime stores them); None is an empty field (NULL)."""
    return [v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v
            for v in row]


# -- the baseline: one statement each --------------------------------------------------------------------
# The best single statement found (EXPLAIN ANALYZE at 1M): each aggregate reads the rows itself (NOT MATERIALIZED:
# no spooled copy), the counts by a hash aggregate, the medians by sorting only (agency, seconds)
# of the acknowledged rows; the tracking state as a small integer; the agencies' leaders excluded by a hashed
# NOT IN rather than a join per row. A GROUP BY computing counts and median at once sorts every row on disk.

_LEADERS = """leaders AS (SELECT u.id, u.agency_id FROM users u JOIN agencies ia ON ia.id = u.agency_id
                   WHERE u.role = 'leader' AND ia.kind <> 'provincial_office')"""

_ROWS = """r AS NOT MATERIALIZED (
  SELECT a.agency_id, a.parent_id, a.acknowledged_at, d.issued_at, d.issuer_id,
         CASE WHEN a.status = 'completed' THEN
                CASE WHEN coalesce(a.submitted_at, a.completed_at) <= a.deadline THEN 4 ELSE 5 END
              WHEN a.deadline <= %(now)s THEN 3 WHEN a.deadline <= %(soon)s THEN 2 ELSE 1 END AS t
  FROM directive_assignments a JOIN directives d ON d.id = a.directive_id
  WHERE a.status <> 'cancelled')"""

_COUNTED = ", ".join(f"count(*) FILTER (WHERE t = {n}) AS {c}" for n, c in enumerate(COUNTS[2:], start=1))
_SUMS = ", ".join(f"sum({c})" for c in COUNTS[2:])
_COLUMNS = ", ".join(f"per.{c}" for c in COUNTS[2:])
_PROVINCE = "parent_id IS NULL AND issuer_id NOT IN (SELECT id FROM leaders)"

_PER_AGENCY = f"""per AS (SELECT agency_id, count(*) AS n, count(acknowledged_at) AS ack, {_COUNTED}
            FROM r WHERE {_PROVINCE} GROUP BY agency_id),
med AS (SELECT agency_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - issued_at))
            AS med FROM r WHERE {_PROVINCE} AND acknowledged_at IS NOT NULL GROUP BY agency_id)"""

_AGENCY_ROWS = f"""SELECT 'agency', per.agency_id, g.code, g.name, per.n, per.ack, {_COLUMNS}, round(med.med)
FROM per JOIN agencies g ON g.id = per.agency_id LEFT JOIN med ON med.agency_id = per.agency_id
UNION ALL
SELECT 'total', NULL, NULL, NULL, sum(n), sum(ack), {_SUMS}, NULL FROM per"""

#: per agency (code, name, counts, median seconds to acknowledge) of what the province gave, then the totals
BASELINE_AGENCIES = f"WITH {_LEADERS}, {_ROWS}, {_PER_AGENCY}\n{_AGENCY_ROWS}"

#: the same plus the summary by level: everything given, counted at the giver's level (its agency's kind): the
#: parent's agency for what was passed on, the issuer's agency for an agency leader's directive, else the province
BASELINE_BOARD = f"""WITH {_LEADERS}, {_ROWS}, {_PER_AGENCY},
given AS (SELECT CASE WHEN r.parent_id IS NOT NULL THEN p.agency_id ELSE l.agency_id END AS giver,
                 count(*) AS n, count(r.acknowledged_at) AS ack, {_COUNTED}
          FROM r LEFT JOIN directive_assignments p ON p.id = r.parent_id
          LEFT JOIN leaders l ON r.parent_id IS NULL AND l.id = r.issuer_id GROUP BY 1)
{_AGENCY_ROWS}
UNION ALL
SELECT 'level', NULL, CASE WHEN k.kind IS NULL OR k.kind = 'provincial_office' THEN 'province' ELSE k.kind END,
       NULL, sum(n), sum(ack), {_SUMS}, NULL
FROM given LEFT JOIN agencies k ON k.id = given.giver GROUP BY 3
"""


def baseline(raw, sql, now, window_days):
    params = {"now": now.replace(tzinfo=None), "soon": (now + window_days * DAY).replace(tzinfo=None)}
    with raw.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    raw.rollback()
    return rows


def _numbers(kind_rows):
    """{("agency", id) | ("total",) | ("level", name): (counts..., median or None)} from either side."""
    return {key: tuple(int(v) if v is not None else None for v in values) for key, values in kind_rows}


def baseline_numbers(rows):
    out = []
    for kind, agency_id, code, _name, *values in rows:
        key = ("agency", agency_id) if kind == "agency" else ("level", code) if kind == "level" else ("total",)
        out.append((key, values if kind == "agency" else values[:-1]))
    return _numbers(out)


def ours_numbers(body):
    out = [(("agency", r["agency_id"]), [r[c] for c in COUNTS] + [r["median_ack_seconds"]])
           for r in body["agencies"]]
    out.append((("total",), [body["totals"][c] for c in COUNTS]))
    out += [(("level", s["level"]), [s[c] for c in COUNTS]) for s in body.get("summary", ())]
    return _numbers(out)


def check_same(ours_body, base_rows, label):
    mine, theirs = ours_numbers(ours_body), baseline_numbers(base_rows)
    if mine != theirs:
        diff = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
        raise SystemExit(f"{label}: ours and the baseline differ: {dict(list(diff.items())[:10])}")
    return len(mine)


# -- ours: statements, HTTP, in-process -------------------------------------------------------------------

URLS = {"stats": "/api/v1/directives/stats", "level": "/api/v1/directives/stats?level=province"}


def count_statements(app, token):
    """{which: statements of one request (in-process test client, bearer token) and of the service calls alone
    (inprocess_call), with the time in ``execute`` and the first words of each (the request's)}."""
    from core.extensions import db

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    seen = []

    def before(conn, cursor, statement, *args):
        conn.info["board_t0"] = time.perf_counter()

    def listener(conn, cursor, statement, *args):
        ms = (time.perf_counter() - conn.info.pop("board_t0")) * 1000
        seen.append(f"{ms:.1f} ms: " + " ".join(statement.split())[:70])

    out = {}
    for url in URLS.values():  # warm-up: the token's last use is written at most once a minute
        client.get(url, headers={"Authorization": f"Bearer {token}"})
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", listener)
    try:
        for which, url in URLS.items():
            seen.clear()
            res = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert res.status_code == 200, res.status_code
            request_statements = list(seen)
            seen.clear()
            inprocess_call(app, which)
            out[which] = {"request": len(request_statements), "service": len(seen),
                          "request_sql": request_statements}
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", listener)
    return out


def inprocess_call(app, which):
    from core.extensions import db
    from directives import board, queries

    with app.app_context():
        if which == "stats":
            rows = queries.agency_stats()
            queries.stats_totals(rows)
        else:
            rows = board.level_stats(None)
            queries.stats_totals(rows)
            board.level_summary(None)
        db.session.remove()


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "runs": repeat}


def seed_database(url, n_assignments, tmp):
    """Schema by the migrations (what the server checks at its start), then the rows; (app, token, counts)."""
    from auth import services as auth_services
    from auth.models import User
    from core.cli import upgrade_schema
    from core.extensions import db

    app = make_app(url, tmp / f"instance-{n_assignments}")
    now = datetime.now(UTC).replace(microsecond=0)
    seed = Seed(random.Random(17), now, max(1, round(n_assignments / 9.77)))
    t = time.perf_counter()
    with app.app_context():
        upgrade_schema()
        seed.build_tree()
        seed.all_directives()
        raw = db.engine.raw_connection()
        try:
            seed.write(raw.driver_connection)
        finally:
            raw.close()
        token = auth_services.issue_token(db.session.get(User, seed.chairman), "bench")[1]
        db.session.commit()
    sizes = {"agencies": len(seed.agencies), "users": len(seed.users), "directives": len(seed.directives),
             "assignments": len(seed.assignments), "seed_s": round(time.perf_counter() - t, 1)}
    return app, token, sizes


class Database:
    """A fresh database ``board_bench_<pid>_<tag>``, dropped on exit unless kept."""

    def __init__(self, base_url, tag, keep=False):
        self.base = sa.engine.make_url(base_url)
        self.name = f"board_bench_{os.getpid()}_{tag}"
        self.keep = keep
        self.admin = sa.create_engine(self.base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def __enter__(self):
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        if not self.keep:
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def small_run(args, tmp):
    """The statements of each request on a small database (the constant-count check's other end)."""
    from core.extensions import db

    with Database(args.postgres_url, "small", args.keep) as url:
        app, token, sizes = seed_database(url, args.small, tmp)
        counts = count_statements(app, token)
        with app.app_context():
            db.engine.dispose()
    return {"assignments": sizes["assignments"], "statements": counts}


def big_run(args, tmp):
    from core.extensions import db
    from directives.queries import window_days

    with Database(args.postgres_url, "big", args.keep) as url:
        app, token, sizes = seed_database(url, args.assignments, tmp)
        print(f"seeded {sizes}", flush=True)
        with app.app_context():
            version = db.session.execute(sa.text("SHOW server_version")).scalar()
            window = window_days()
            raw = db.engine.raw_connection()
        statements = count_statements(app, token)
        port = free_port()
        server = start_ours(url, tmp / "server-instance", port, timeout=300)  # a loaded machine starts it slowly
        try:
            out = measure(args, app, token, raw.driver_connection, port, window)
        finally:
            server.terminate()
            server.wait(10)
            raw.close()
            with app.app_context():
                db.engine.dispose()
    return dict(out, postgresql=version, statements=statements, **sizes)


def measure(args, app, token, raw, port, window):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base_url = f"http://127.0.0.1:{port}"
    out = {}
    for which, sql in (("stats", BASELINE_AGENCIES), ("level", BASELINE_BOARD)):
        body = session.get(base_url + URLS[which], timeout=600).json()
        rows = baseline(raw, sql, datetime.now(UTC), window)
        checked = check_same(body, rows, which)

        def http(which=which):
            session.get(base_url + URLS[which], timeout=600).raise_for_status()

        row = {"http": timed(http, args.repeat),
               "in_process": timed(lambda which=which: inprocess_call(app, which), args.repeat),
               "baseline": timed(lambda sql=sql: baseline(raw, sql, datetime.now(UTC), window), args.repeat),
               "numbers_checked": checked, "agencies": len(body["agencies"]), "totals": body["totals"]}
        base = max(row["baseline"]["median_ms"], 0.01)
        row["ratio_http"] = round(row["http"]["median_ms"] / base, 2)
        row["ratio_in_process"] = round(row["in_process"]["median_ms"] / base, 2)
        out[which] = row
        print(which, json.dumps(row), flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000, help="the small database of the statement count")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="2,000 and 500 assignments, 1 run: does it work")
    parser.add_argument("--keep", action="store_true", help="keep the databases (to EXPLAIN the queries)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "board.json"))
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    if args.smoke:
        args.assignments, args.small, args.repeat = 2000, 500, 1
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="board-bench-"))
    try:
        small = small_run(args, tmp)
        big = big_run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    constant = all(small["statements"][w][k] == big["statements"][w][k] for w in URLS for k in ("request", "service"))
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
              "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in os.getloadavg()],
              "small": small, "big": big, "constant_statements": constant}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print_table(result)
    if not constant:
        raise SystemExit(f"the statement count changed with the size: {json.dumps(small['statements'])} -> "
                         f"{json.dumps(big['statements'])}")


def print_table(r):
    big = r["big"]
    print(f"\nPostgreSQL {big['postgresql']}, Python {r['python']}: {big['agencies']} agencies, {big['directives']} "
          f"directives, {big['assignments']} assignments (seeded in {big['seed_s']} s); load "
          f"{r['load_before']} -> {r['load_after']}")
    print("| request | ours HTTP p50 | ours in-process p50 | statements request, service (small / big) |"
          " baseline p50 | ratio HTTP | ratio in-process |")
    for which in URLS:
        row = big[which]
        print(f"| {URLS[which]} | {row['http']['median_ms']} ms | {row['in_process']['median_ms']} ms | "
              f"{_counts(r['small'], which)} / {_counts(big, which)} | {row['baseline']['median_ms']} ms"
              f" | {row['ratio_http']}x | {row['ratio_in_process']}x |")


def _counts(run, which):
    return f"{run['statements'][which]['request']}, {run['statements'][which]['service']}"


if __name__ == "__main__":
    main()

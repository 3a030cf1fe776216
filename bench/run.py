"""Benchmarks, each against a baseline run side by side in the same run.

1. Chat fan-out: N attendees in one meeting, one sends M messages; time until every attendee
   has each message. Ours (python wsgi.py, gevent, SQLite or PostgreSQL: auth, store, commit,
   broadcast) against a bare Node socket.io server with the same events and no storage.
2. Dashboard: GET /api/v1/directives/stats over 50,000 assignments, against the bare SQL
   GROUP BY count over the same table (the least any implementation must do).

usage: .venv/bin/python bench/run.py [--clients 200,500] [--messages 50] [--assignments 50000]
                                       [--database-url postgresql://...]
Results are printed and written to bench/results/latest.json; bench/README.md records them.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"
sys.path.insert(0, str(ROOT))
FAST_HASH = "pbkdf2:sha256:1000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_node_modules():
    if not (NODE_DIR / "node_modules" / "socket.io").exists():
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)


def wait_http(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def make_app(database_url, instance):
    os.environ["INSTANCE_PATH"] = str(instance)
    from core import create_app

    return create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url, "ASYNC_MODE": "threading",
        "PASSWORD_HASH_METHOD": FAST_HASH, "SCHEDULER_ENABLED": False, "REDIS_URL": None,
    })


def seed_meeting(app, n_users):
    """A live meeting with n_users participants; returns (meeting id, tokens)."""
    from auth import services as auth_services
    from auth.models import Agency, User
    from core.dbtypes import utcnow
    from core.extensions import db
    from meetings.models import Meeting, Participant

    with app.app_context():
        agency = Agency(code="BENCH", name="Đơn vị thử tải", kind="department")
        db.session.add(agency)
        pw = auth_services.hash_password("bench-pass-1")
        users = [User(username=f"bench{i}", full_name=f"Người dự họp {i}", role="officer" if i else "leader",
                      agency=agency, password_hash=pw) for i in range(n_users)]
        db.session.add_all(users)
        db.session.flush()
        meeting = Meeting(title="Họp thử tải", starts_at=utcnow(), chair_id=users[0].id, created_by_id=users[0].id,
                          status="live", started_at=utcnow())
        db.session.add(meeting)
        db.session.flush()
        db.session.add_all([Participant(meeting_id=meeting.id, user_id=u.id, role="chair" if i == 0 else "member")
                            for i, u in enumerate(users)])
        db.session.commit()
        tokens = [auth_services.issue_token(u, "bench")[1] for u in users]
        return meeting.id, tokens


def run_fanout(url, clients, messages, meeting_id, tokens_file=None):
    cmd = ["node", str(NODE_DIR / "fanout.js"), url, str(clients), str(messages), str(meeting_id)]
    if tokens_file:
        cmd.append(str(tokens_file))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_ours(database_url, instance, port, extra_env=None, timeout=60):
    env = dict(os.environ, PORT=str(port), DATABASE_URL=database_url, INSTANCE_PATH=str(instance),
               SECRET_KEY="bench", ASYNC_MODE="gevent", SCHEDULER_ENABLED="0", PASSWORD_HASH_METHOD=FAST_HASH,
               CHAT_RATE_LIMIT="1000000/10", **(extra_env or {}))
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout)
    except RuntimeError:
        proc.kill()  # not left running on the benchmark's database
        raise
    return proc


def bench_fanout(args, workdir):
    ensure_node_modules()
    results = []
    for clients in args.clients:
        db_url = args.database_url or f"sqlite:///{workdir / f'fanout-{clients}.db'}"
        if args.database_url:
            reset_postgres(args.database_url)
        instance = workdir / f"inst-{clients}"
        port = free_port()
        ours = start_ours(db_url, instance, port)  # creates the schema
        try:
            app = make_app(db_url, instance)
            meeting_id, tokens = seed_meeting(app, clients)
            tokens_file = workdir / "tokens.json"
            tokens_file.write_text(json.dumps(tokens))
            mine = run_fanout(f"http://127.0.0.1:{port}", clients, args.messages, meeting_id, tokens_file)
        finally:
            ours.terminate()
            ours.wait(10)
        bport = free_port()
        base = subprocess.Popen(["node", str(NODE_DIR / "baseline_server.js")], cwd=NODE_DIR,
                                env=dict(os.environ, PORT=str(bport)), stdout=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            baseline = run_fanout(f"http://127.0.0.1:{bport}", clients, args.messages, 1)
        finally:
            base.terminate()
            base.wait(10)
        row = {"clients": clients, "ours": mine, "baseline": baseline,
               "p50_ratio": round(mine["p50_ms"] / max(baseline["p50_ms"], 0.01), 2),
               "p95_ratio": round(mine["p95_ms"] / max(baseline["p95_ms"], 0.01), 2),
               "throughput_ratio": round(mine["deliveries_per_s"] / max(baseline["deliveries_per_s"], 1), 2)}
        results.append(row)
        print(json.dumps(row), flush=True)
    return results


def reset_postgres(url):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()


def bench_dashboard(args, workdir):
    """The stats endpoint vs the bare GROUP BY over the same assignments."""
    from sqlalchemy import text

    db_url = args.database_url or f"sqlite:///{workdir / 'dash.db'}"
    if args.database_url:
        reset_postgres(args.database_url)
    instance = workdir / "inst-dash"
    port = free_port()
    ours = start_ours(db_url, instance, port)
    try:
        app = make_app(db_url, instance)
        token = seed_assignments(app, args.assignments)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        url = f"http://127.0.0.1:{port}/api/v1/directives/stats"
        assert session.get(url).status_code == 200
        from core.extensions import db

        def ours_once():
            t = time.perf_counter()
            res = session.get(url)
            res.raise_for_status()
            return time.perf_counter() - t

        def baseline_once():
            t = time.perf_counter()
            with app.app_context():
                db.session.execute(text(
                    "SELECT agency_id, status, count(*) FROM directive_assignments GROUP BY agency_id, status")).all()
                db.session.remove()
            return time.perf_counter() - t

        ours_t, base_t = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            ours_t.append(ours_once())
            base_t.append(baseline_once())
        row = {"assignments": args.assignments, "ours_median_ms": round(statistics.median(ours_t) * 1000, 1),
               "baseline_median_ms": round(statistics.median(base_t) * 1000, 1)}
        row["ratio"] = round(row["ours_median_ms"] / max(row["baseline_median_ms"], 0.01), 2)
        print(json.dumps(row), flush=True)
        return row
    finally:
        ours.terminate()
        ours.wait(10)


def seed_assignments(app, total):
    """total assignments over 20 agencies, in every tracking state; returns a leader's token."""
    import random

    from auth import services as auth_services
    from auth.models import Agency, User
    from core.dbtypes import utcnow
    from core.extensions import db
    from directives.models import Assignment, Directive

    rng = random.Random(7)
    now = utcnow()
    with app.app_context():
        agencies = [Agency(code=f"B{i}", name=f"Sở thử {i}", kind="department") for i in range(20)]
        db.session.add_all(agencies)
        leader = User(username="benchlead", full_name="Lãnh đạo thử", role="leader", agency=agencies[0],
                      password_hash=auth_services.hash_password("bench-pass-1"))
        db.session.add(leader)
        db.session.flush()
        per_directive = 5
        statuses = ["pending", "acknowledged", "in_progress", "submitted", "completed"]
        for d in range(total // per_directive):
            deadline = now + timedelta(days=rng.randint(-30, 30))
            directive = Directive(number=f"{d + 1}/CĐ-UBND", year=now.year, seq=d + 1, title=f"Chỉ đạo thử {d}",
                                  body="", issuer_id=leader.id, issued_at=now - timedelta(days=40),
                                  priority="normal", status="issued", deadline=deadline)
            db.session.add(directive)
            db.session.flush()
            for k, agency in enumerate(rng.sample(agencies, per_directive)):
                status = rng.choice(statuses)
                acked = now - timedelta(days=39, seconds=rng.randint(60, 86400)) if status != "pending" else None
                submitted = (
                    deadline + timedelta(days=rng.randint(-5, 5)) if status in ("submitted", "completed") else None
                )
                db.session.add(Assignment(
                    directive_id=directive.id, agency_id=agency.id, role="lead" if k == 0 else "support",
                    status=status, deadline=deadline, acknowledged_at=acked,
                    acknowledged_by_id=leader.id if acked else None, submitted_at=submitted,
                    completed_at=submitted if status == "completed" else None))
            if d % 500 == 0:
                db.session.commit()
        db.session.commit()
        return auth_services.issue_token(leader, "bench")[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="200,500", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--messages", default=50, type=int)
    parser.add_argument("--assignments", default=50000, type=int)
    parser.add_argument("--repeat", default=15, type=int)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--only", choices=["fanout", "dashboard"])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chidao-bench-"))
    results = {
        "database": "postgresql" if args.database_url else "sqlite",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        if args.only in (None, "fanout"):
            results["fanout"] = bench_fanout(args, workdir)
        if args.only in (None, "dashboard"):
            results["dashboard"] = bench_dashboard(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

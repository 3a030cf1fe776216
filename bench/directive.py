"""Directive delivery to 500 officers in 100 agencies against a bare Node socket.io emit (bench/README.md, 10).

    .venv/bin/python bench/directive.py [--runs 3] [--agencies 100] [--officers 5] [--directives 10]
                                        [--interval 1.0] [--database-url postgresql://...] [--smoke]

Ours: python wsgi.py (one gevent process, SQLite unless --database-url, no Redis, no mail) on a fresh
database with the agencies, their officers and one provincial leader, each with a bearer token. Every
officer's socket connects with its token (and so joins its agency's room); the leader then POSTs
--directives directives to /api/v1/directives, one every --interval seconds (open loop), each to every
agency (the first leads, the others support). Measured by bench/node/directive_load.js, per officer and
directive: from the moment the POST is sent until that officer's socket has the directive's directive:new
(p50, p99 over every delivery); the POST's own response time; the server's CPU over the directives, read
from /proc.
Baseline: bench/node/directive_baseline.js, the same sockets and POSTs; each POST makes it emit
directive:new (same keys and size) to each of the agencies' rooms, one emit per room as ours does.
Each server first gets one directive nobody times (the first request loads code and caches). Medians of
--runs runs (each with its own sockets, on the same server); bench/results/directive.json.
--smoke: 10 agencies, 20 officers, 2 directives, one run (CI: nothing is timed).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as common  # noqa: E402  (bench/run.py: starting our server, node modules, PostgreSQL reset)
from chat import cpu_seconds, wait_port  # noqa: E402

ROOT, NODE_DIR = common.ROOT, common.NODE_DIR
SETTLE = 2  # seconds between the last socket connected and the first directive: what connecting left to do
TITLE = "Chỉ đạo thử tải: triển khai kế hoạch phòng chống thiên tai năm 2027"  # the title the inboxes show


def seed(app, n_agencies, per_agency):
    """The agencies and their officers, one provincial leader; every one with a token.
    Returns (leader's token, [{token, agency_id}] for each officer, [agency ids])."""
    from auth import services as auth_services
    from auth.models import Agency, User
    from core.extensions import db

    with app.app_context():
        agencies = [Agency(code=f"DV{i:03}", name=f"Sở thử tải {i:03}", kind="department") for i in range(n_agencies)]
        db.session.add_all(agencies)
        pw = auth_services.hash_password("bench-pass-1")
        leader = User(username="bench-leader", full_name="Chủ tịch thử tải", role="leader", password_hash=pw)
        officers = [User(username=f"bench-{i}-{j}", full_name=f"Chuyên viên {i}-{j}", role="officer", agency=a,
                         password_hash=pw) for i, a in enumerate(agencies) for j in range(per_agency)]
        db.session.add_all([leader, *officers])
        db.session.commit()
        clients = [{"token": auth_services.issue_token(u, "bench")[1], "agency_id": u.agency_id} for u in officers]
        return auth_services.issue_token(leader, "bench")[1], clients, [a.id for a in agencies]


def drive(workdir, name, url, pid, clients, post, args):
    """One run of bench/node/directive_load.js; its result with the server's CPU over the directives."""
    config = workdir / f"load-{name}.json"
    config.write_text(json.dumps({"url": url, "clients": clients, "post": post, "directives": args.directives,
                                  "interval_ms": args.interval * 1000}))
    proc = subprocess.Popen(["node", str(NODE_DIR / "directive_load.js"), str(config)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    connected = json.loads(proc.stdout.readline() or "{}")
    if connected.get("phase") != "connected":
        raise RuntimeError(proc.stderr.read()[-2000:])
    time.sleep(SETTLE)
    cpu_start = cpu_seconds(pid)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    result = json.loads(proc.stdout.readline() or "{}")
    cpu = cpu_seconds(pid) - cpu_start  # before the load generator closes its sockets: that is not delivery
    proc.wait(30)
    if "deliveries" not in result:
        raise RuntimeError(proc.stderr.read()[-2000:])
    if result["delivered"] < args.directives:
        print(f"warning ({name}): {args.directives - result['delivered']} of {args.directives} directives did not "
              f"reach every officer within 120 s", file=sys.stderr, flush=True)
    result.update(server_cpu_s=round(cpu, 3),
                  cpu_ms_per_directive=round(1000 * cpu / args.directives, 1) if args.directives else None)
    return result


def warm_up(post):
    """One directive before the runs: the server's first request loads what the others find ready."""
    import requests

    res = requests.post(post["url"], json={**post["body"], "title": "warm-up"}, headers=post["headers"], timeout=60)
    res.raise_for_status()


def median_of(runs):
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: statistics.median(r[k] for r in runs if r.get(k) is not None) for k in keys}


def post_body(agency_ids):
    return {"title": TITLE, "body": "Các sở, ngành, địa phương triển khai ngay.", "priority": "high",
            "deadline": (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0).isoformat(),
            "lead_agency_id": agency_ids[0], "support_agency_ids": agency_ids[1:]}


def bench_ours(args, workdir):
    db_url = args.database_url or f"sqlite:///{workdir / 'directive.db'}"
    if args.database_url:
        common.reset_postgres(args.database_url)
    instance, port = workdir / "inst", common.free_port()
    ours = common.start_ours(db_url, instance, port)  # creates the schema
    try:
        leader, clients, agency_ids = seed(common.make_app(db_url, instance), args.agencies, args.officers)
        url = f"http://127.0.0.1:{port}"
        post = {"url": url + "/api/v1/directives", "headers": {"Authorization": f"Bearer {leader}"},
                "body": post_body(agency_ids)}
        socket_auth = [{"token": c["token"]} for c in clients]
        warm_up(post)
        return [drive(workdir, "ours", url, ours.pid, socket_auth, post, args) for _ in range(args.runs)], clients
    finally:
        ours.terminate()
        ours.wait(10)


def bench_baseline(args, workdir, clients):
    port = common.free_port()
    base = subprocess.Popen(["node", str(NODE_DIR / "directive_baseline.js")], cwd=NODE_DIR,
                            env=dict(os.environ, PORT=str(port)), stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}"
        agency_ids = list(dict.fromkeys(c["agency_id"] for c in clients))
        post = {"url": url + "/directives", "headers": {}, "body": post_body(agency_ids)}
        socket_auth = [{"agency_id": c["agency_id"]} for c in clients]
        warm_up(post)
        return [drive(workdir, "baseline", url, base.pid, socket_auth, post, args) for _ in range(args.runs)]
    finally:
        base.terminate()
        base.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--officers", type=int, default=5, help="per agency")
    parser.add_argument("--directives", type=int, default=10, help="per run")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two directives")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "directive.json"))
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.agencies, args.officers, args.directives, args.interval = 1, 10, 2, 2, 0.5
    common.ensure_node_modules()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-directive-") as tmp:
        mine, clients = bench_ours(args, Path(tmp))
        theirs = bench_baseline(args, Path(tmp), clients)
    row = {"ours": median_of(mine), "baseline": median_of(theirs)}
    for key in ("p50_ms", "p99_ms", "last_officer_p50_ms", "post_p50_ms", "cpu_ms_per_directive"):
        if row["ours"].get(key) is not None and row["baseline"].get(key):
            row[f"{key}_ratio"] = round(row["ours"][key] / row["baseline"][key], 2)
    print(json.dumps(row), flush=True)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    Path(args.out).write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M"), "load_before": load, "load_after": os.getloadavg(),
        "python": sys.version.split()[0], "node": node, "database": "postgresql" if args.database_url else "sqlite",
        "agencies": args.agencies, "officers": args.agencies * args.officers, "directives_per_run": args.directives,
        "interval_s": args.interval, "runs": args.runs,
        "setup": "one gevent process, no Redis, no mail; the baseline is one bare Node socket.io process emitting "
                 "directive:new to each agency's room",
        "result": row, "all_runs": {"ours": mine, "baseline": theirs}}, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

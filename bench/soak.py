"""The 30-minute chat soak (issue 17, bench/README.md 8c): does the server's memory stay flat, with no error?

    .venv/bin/python bench/soak.py [--minutes 30] [--clients 200] [--interval 20] [--database-url ...] [--smoke]

One server (python wsgi.py, gevent, one process, SQLite unless --database-url, no Redis) and 200 sockets,
each with its own user's token, in one live meeting. Each socket sends a chat message at random moments,
every --interval seconds on average (200 every 20 s: 10 messages/s, 2,000 deliveries/s), and each message
must be acknowledged and reach every socket (bench/node/soak.js). The per-user chat limit stays at its
default (CHAT_RATE_LIMIT 10/10): ~1 message per 20 s per user is far below it, so a rate_limited ack is
an error like any other. Every --report seconds (30): the server's RSS, open descriptors and CPU so far,
and the interval's messages sent, acked, errors (refused acks, ack timeouts, disconnects, failed
reconnects, deliveries missing 30 s after the send) and p50/p99 latency until the last socket had each
message. The verdict: the RSS growth from minute 5 (the warm-up: allocator arenas, SQLite's cache, the
first search rows) to the end, and the total of errors. bench/results/soak.json.
--smoke: 10 sockets for 20 s, a message from each every 5 s on average, a report every 5 s (CI runs it,
nothing is timed).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as common  # noqa: E402  (bench/run.py: seeding, node modules)
from chat import cpu_seconds, rss_kb  # noqa: E402

ROOT = common.ROOT
ERROR_KEYS = ("ack_errors", "ack_timeouts", "disconnects", "reconnect_failures", "missed")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def start_server(db_url, instance, port, log_path):
    """Our server as bench/run.py start_ours starts it, but with the default per-user chat limit (start_ours
    lifts it for its single speaker at 20 messages/s) and its output kept: a traceback is an error too."""
    env = dict(os.environ, PORT=str(port), DATABASE_URL=db_url, INSTANCE_PATH=str(instance), SECRET_KEY="bench",
               ASYNC_MODE="gevent", SCHEDULER_ENABLED="0", PASSWORD_HASH_METHOD=common.FAST_HASH)
    env.pop("REDIS_URL", None)
    env.pop("CHAT_RATE_LIMIT", None)
    with open(log_path, "a") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    common.wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def sample(pid, start_cpu, last):
    """The server now: RSS, descriptors, CPU since the load began and over the last interval."""
    cpu, now = cpu_seconds(pid) - start_cpu, time.monotonic()
    row = {"rss_kb": rss_kb(pid), "fds": open_fds(pid), "cpu_s": round(cpu, 2)}
    row["cpu_pct"] = round(100 * (cpu - last["cpu_s"]) / max(now - last["at"], 1e-3), 1)
    last.update(cpu_s=cpu, at=now)
    return row


HEADER = (f"{'min':>5} {'RSS MB':>7} {'ΔRSS KB':>8} {'fds':>5} {'CPU s':>7} {'CPU %':>6} {'sent':>5} {'acked':>5} "
          f"{'errors':>6} {'missed':>6} {'p50 ms':>7} {'p99 ms':>7}")


def table_line(row, rss0):
    fmt = (lambda v: f"{v:7.1f}" if v is not None else f"{'-':>7}")  # noqa: E731
    errors = sum(row[k] for k in ERROR_KEYS if k != "missed")
    return (f"{row['t_s'] / 60:5.1f} {row['rss_kb'] / 1024:7.1f} {row['rss_kb'] - rss0:8d} {row['fds']:5d} "
            f"{row['cpu_s']:7.1f} {row['cpu_pct']:6.1f} {row['sent']:5d} {row['acked']:5d} {errors:6d} "
            f"{row['missed']:6d} {fmt(row['p50_ms'])} {fmt(row['p99_ms'])}")


def soak(args, workdir):
    db_url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
    if args.database_url:
        common.reset_postgres(args.database_url)
    instance, port, log_path = workdir / "instance", common.free_port(), workdir / "server.log"
    server = start_server(db_url, instance, port, log_path)
    try:
        meeting_id, tokens = common.seed_meeting(common.make_app(db_url, instance), args.clients)
        tokens_file = workdir / "tokens.json"
        tokens_file.write_text(json.dumps(tokens))
        env = dict(os.environ, MEAN_INTERVAL_S=str(args.interval), DURATION_S=str(args.minutes * 60),
                   REPORT_S=str(args.report))
        load = subprocess.Popen(["node", str(common.NODE_DIR / "soak.js"), f"http://127.0.0.1:{port}",
                                 str(args.clients), str(meeting_id), str(tokens_file)], env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            result = follow(load, server.pid)
        finally:
            if load.poll() is None:
                load.kill()
            load.wait(10)
        result["server_alive"] = server.poll() is None
    finally:
        server.terminate()
        server.wait(15)
    output = log_path.read_text()
    result["server_tracebacks"] = output.count("Traceback")
    result["server_error_lines"] = sum(1 for line in output.splitlines() if " ERROR " in line)
    return result


def follow(load, pid):
    """Read soak.js's reports, sample the server at each one, print the table as it goes."""
    connected = json.loads(load.stdout.readline() or "{}")
    if connected.get("phase") != "connected":
        raise RuntimeError(load.stderr.read()[-2000:])
    at_rest = {"rss_kb": rss_kb(pid), "fds": open_fds(pid)}
    last = {"cpu_s": 0.0, "at": time.monotonic()}
    start_cpu = cpu_seconds(pid)
    load.stdin.write("go\n")
    load.stdin.flush()
    print(f"{load.args[-3]} sockets joined in {connected['connect_ms']} ms; "
          f"server at rest: RSS {at_rest['rss_kb']} KB, {at_rest['fds']} descriptors", flush=True)
    print(HEADER, flush=True)
    intervals, done = [], None
    for line in load.stdout:
        data = json.loads(line)
        if data["phase"] == "interval":
            row = {**data, **sample(pid, start_cpu, last)}
            intervals.append(row)
            print(table_line(row, at_rest["rss_kb"]), flush=True)
        elif data["phase"] == "done":
            done = data
    load.wait(30)
    if done is None:
        raise RuntimeError(f"the load generator stopped early: {load.stderr.read()[-2000:]}")
    return {"connect_ms": connected["connect_ms"], "at_rest": at_rest, "intervals": intervals}


def verdict(result, warmup_s):
    """Memory growth from the first sample at or after the warm-up to the last, and every error counted."""
    rows = result["intervals"]
    base = next((r for r in rows if r["t_s"] >= warmup_s), rows[0])
    end = rows[-1]
    totals = {k: sum(r[k] for r in rows) for k in ("sent", "acked", "deliveries", "replayed", "late", "duplicates",
                                                   "missed_messages", "complete") + ERROR_KEYS}
    reasons = {}
    for r in rows:
        for reason, n in r["ack_error_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    errors = sum(totals[k] for k in ERROR_KEYS) + result["server_tracebacks"] + (0 if result["server_alive"] else 1)
    growth = end["rss_kb"] - base["rss_kb"]
    return {"rss_from_min": round(base["t_s"] / 60, 1), "rss_from_kb": base["rss_kb"], "rss_end_kb": end["rss_kb"],
            "rss_growth_kb": growth, "rss_growth_pct": round(100 * growth / base["rss_kb"], 1),
            "fds_from": base["fds"], "fds_end": end["fds"], "ack_error_reasons": reasons, "errors": errors,
            "p99_ms_worst_interval": max((r["p99_ms"] for r in rows if r["p99_ms"] is not None), default=None),
            **totals}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--interval", type=float, default=20, help="seconds between one socket's messages, mean")
    parser.add_argument("--report", type=float, default=30, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=5, help="minutes before the memory baseline")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.minutes, args.interval, args.report, args.warmup = 10, 20 / 60, 5, 5, 0
    common.ensure_node_modules()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        result = soak(args, Path(tmp))
    summary = verdict(result, args.warmup * 60)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    Path(args.out).write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M"), "load_before": load_before, "load_after": os.getloadavg(),
        "python": sys.version.split()[0], "node": node, "database": "postgresql" if args.database_url else "sqlite",
        "minutes": args.minutes, "clients": args.clients, "mean_interval_s": args.interval,
        "verdict": summary, **result}, indent=2))
    print(f"RSS from minute {summary['rss_from_min']} to the end: {summary['rss_growth_kb']:+d} KB "
          f"({summary['rss_growth_pct']:+.1f} %); descriptors {summary['fds_from']} -> {summary['fds_end']}; "
          f"{summary['sent']} sent, {summary['acked']} acked, {summary['complete']} at every socket; "
          f"errors {summary['errors']} (acks refused {summary['ack_errors']} {summary['ack_error_reasons']}, "
          f"ack timeouts {summary['ack_timeouts']}, disconnects {summary['disconnects']}, deliveries missed "
          f"{summary['missed']} in {summary['missed_messages']} messages, server tracebacks "
          f"{result['server_tracebacks']}); worst interval p99 {summary['p99_ms_worst_interval']} ms")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

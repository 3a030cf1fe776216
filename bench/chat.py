"""Chat and sockets against the bare Node socket.io server, side by side in one run (bench/README.md, 8).

    .venv/bin/python bench/chat.py [--runs 3] [--scenarios open200,open1000,closed200,connect2000]
                                   [--database-url postgresql://...] [--smoke]

Scenarios (each on ours, then on bench/node/baseline_server.js, same load generator bench/node/fanout.js):
- openN: one speaker sends 20 messages/s (open loop: on time whatever the server does) for 10 s to N
  attendees; latency until the last attendee has each message (p50, p99);
- closedN: the same speaker waits for each ack before the next (50 messages);
- connectN: N authenticated sockets connect and join: time, and the server's memory per socket.
For each: the server's CPU time during the message phase per delivered message (steadier than latency on
a shared machine: read from /proc before and after). Medians of --runs runs; bench/results/chat.json.
--smoke: 20 attendees, 1 s, one run: proves the benchmark works (CI runs it, nothing is timed).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as common  # noqa: E402  (bench/run.py: seeding, starting our server, node modules)

ROOT = common.ROOT
NODE_DIR = common.NODE_DIR
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def drive(server_pid, url, clients, messages, rate, meeting_id, tokens_file=None):
    """One run of bench/node/fanout.js against a server; the result with the server's CPU and memory."""
    rss_before = rss_kb(server_pid)
    cmd = ["node", str(NODE_DIR / "fanout.js"), url, str(clients), str(messages), str(meeting_id)]
    if tokens_file:
        cmd.append(str(tokens_file))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, RATE=str(rate), PAUSE="1"))
    connected = json.loads(proc.stdout.readline() or "{}")
    if connected.get("phase") != "connected":
        raise RuntimeError(proc.stderr.read()[-2000:])
    rss_connected, cpu_start = rss_kb(server_pid), cpu_seconds(server_pid)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    result, cpu = None, None
    for line in proc.stdout:
        data = json.loads(line)
        if "clients" in data:
            # read now: the load generator closes its sockets after printing, and that is not message work
            cpu = cpu_seconds(server_pid) - cpu_start
            result = data
    proc.wait(30)
    if result is None:
        raise RuntimeError(proc.stderr.read()[-2000:])
    if result["delivered"] < messages:  # the latencies leave out what never reached everyone: say so
        print(f"warning: {messages - result['delivered']} of {messages} messages did not reach every client "
              f"within 120 s", file=sys.stderr, flush=True)
    result.update(server_cpu_s=round(cpu, 3),
                  cpu_us_per_delivery=round(1e6 * cpu / result["deliveries"], 1) if result["deliveries"] else None,
                  kb_per_socket=round((rss_connected - rss_before) / clients, 1))
    return result


def wait_port(port, timeout=20):
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def median_of(runs):
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and v is not None]
    row = {k: statistics.median(r[k] for r in runs if r.get(k) is not None) for k in keys}
    # memory per socket from the first run on the fresh server: later runs reuse the memory the first one's
    # sockets left to the allocator, which the process keeps
    row["kb_per_socket"] = runs[0]["kb_per_socket"]
    return row


def scenario_params(name, smoke):
    kind, size = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")):])
    if smoke:
        size = min(size, 20)
    if kind == "open":
        return size, (20 if smoke else 200), 20  # 20 messages/s for 10 s
    if kind == "closed":
        return size, (10 if smoke else 50), 0
    if kind == "connect":
        return size, 0, 0
    raise SystemExit(f"unknown scenario {name}")


def bench(name, args, workdir):
    clients, messages, rate = scenario_params(name, args.smoke)
    db_url = args.database_url or f"sqlite:///{workdir / f'{name}.db'}"
    if args.database_url:
        common.reset_postgres(args.database_url)
    instance, port = workdir / f"inst-{name}", common.free_port()
    ours = common.start_ours(db_url, instance, port)
    try:
        meeting_id, tokens = common.seed_meeting(common.make_app(db_url, instance), clients)
        tokens_file = workdir / f"tokens-{name}.json"
        tokens_file.write_text(json.dumps(tokens))
        mine = [drive(ours.pid, f"http://127.0.0.1:{port}", clients, messages, rate, meeting_id, tokens_file)
                for _ in range(args.runs)]
    finally:
        ours.terminate()
        ours.wait(10)
    bport = common.free_port()
    base = subprocess.Popen(["node", str(NODE_DIR / "baseline_server.js")], cwd=NODE_DIR,
                            env=dict(os.environ, PORT=str(bport)), stdout=subprocess.DEVNULL)
    try:
        wait_port(bport)
        theirs = [drive(base.pid, f"http://127.0.0.1:{bport}", clients, messages, rate, 1) for _ in range(args.runs)]
    finally:
        base.terminate()
        base.wait(10)
    row = {"scenario": name, "clients": clients, "messages": messages, "rate": rate,
           "ours": median_of(mine), "baseline": median_of(theirs), "runs": {"ours": mine, "baseline": theirs}}
    o, b = row["ours"], row["baseline"]
    for key in ("p50_ms", "p99_ms", "cpu_us_per_delivery", "connect_ms", "kb_per_socket"):
        if o.get(key) is not None and b.get(key):
            row[f"{key}_ratio"] = round(o[key] / b[key], 2)
    print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", default="open200,open1000,closed200,connect2000")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "chat.json"))
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    common.ensure_node_modules()
    load = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        for name in args.scenarios.split(","):
            results.append(bench(name.strip(), args, Path(tmp)))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    Path(args.out).write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M"), "load_before": load, "load_after": os.getloadavg(),
        "python": sys.version.split()[0], "node": node, "database": "postgresql" if args.database_url else "sqlite",
        "results": results}, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

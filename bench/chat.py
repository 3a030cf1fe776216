"""Chat and sockets against the bare Node socket.io server, side by side in one run (bench/README.md, 8).

    .venv/bin/python bench/chat.py [--runs 3] [--scenarios open200,open1000,closed200,connect2000]
                                   [--database-url postgresql://...] [--processes 2] [--smoke]

Scenarios (each on ours, then on bench/node/baseline_server.js, same load generator bench/node/fanout.js):
- openN: one speaker sends 20 messages/s (open loop: on time whatever the server does) for 10 s to N
  attendees; latency until the last attendee has each message (p50, p99);
- closedN: the same speaker waits for each ack before the next (50 messages);
- connectN: N authenticated sockets connect and join: time, and the server's memory per socket.
For each: the server's CPU time during the message phase per delivered message (steadier than latency on
a shared machine: read from /proc before and after). Medians of --runs runs; bench/results/chat.json.
--smoke: 20 attendees, 1 s, one run: proves the benchmark works (CI runs it, nothing is timed).
--processes 2: ours as deploy/ installs it: two gevent processes with Redis on one PostgreSQL database (a fresh
one unless --database-url), deploy/nginx-chidao.conf with TLS in front; the sockets carry route cookies that
nginx hashes to each process in turn (an even split); the server's CPU and memory are summed over the
processes, nginx's CPU is reported apart. The baseline stays one bare Node process. bench/results/chat-2processes.json.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

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


@dataclass
class Target:
    """A server under load: its URL, the processes whose CPU and memory count as the server's, the meeting."""
    url: str
    pids: list
    meeting_id: int = 1
    tokens_file: Path = None
    ports: list = field(default_factory=list)  # the app processes' ports: how many sockets each one holds
    nginx_pid: int = None
    env: dict = field(default_factory=dict)  # for the load generator
    tracebacks: int = None  # in the app processes' logs, once they stopped (behind nginx only)


def nginx_pids(master):
    """nginx's master and its workers (the workers do the proxying)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master] + [int(c) for c in children]


def sockets_on(port):
    """Established TCP connections whose local end is 127.0.0.1:port (the sockets a process holds)."""
    wanted = f":{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(wanted) and line.split()[3] == "01")


def drive(target, clients, messages, rate):
    """One run of bench/node/fanout.js against a server; the result with the server's CPU and memory."""
    pids = target.pids
    rss_before = sum(rss_kb(p) for p in pids)
    cmd = ["node", str(NODE_DIR / "fanout.js"), target.url, str(clients), str(messages), str(target.meeting_id)]
    if target.tokens_file:
        cmd.append(str(target.tokens_file))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, RATE=str(rate), PAUSE="1", **target.env))
    connected = json.loads(proc.stdout.readline() or "{}")
    if connected.get("phase") != "connected":
        raise RuntimeError(proc.stderr.read()[-2000:])
    helpers = nginx_pids(target.nginx_pid) if target.nginx_pid else []
    rss_connected = sum(rss_kb(p) for p in pids)
    split = [sockets_on(port) for port in target.ports]
    cpu_start, helper_start = sum(cpu_seconds(p) for p in pids), sum(cpu_seconds(p) for p in helpers)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    result, cpu, helper_cpu = None, None, None
    for line in proc.stdout:
        data = json.loads(line)
        if "clients" in data:
            # read now: the load generator closes its sockets after printing, and that is not message work
            cpu = sum(cpu_seconds(p) for p in pids) - cpu_start
            helper_cpu = sum(cpu_seconds(p) for p in helpers) - helper_start
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
    if helpers:
        result["nginx_cpu_s"] = round(helper_cpu, 3)
        result["nginx_cpu_us_per_delivery"] = (round(1e6 * helper_cpu / result["deliveries"], 1)
                                               if result["deliveries"] else None)
    if split:
        result["sockets_per_process"] = split  # the client sockets plus nginx's few idle keep-alive ones
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
    if "sockets_per_process" in runs[0]:
        row["sockets_per_process"] = runs[0]["sockets_per_process"]
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


@contextmanager
def one_process(name, args, workdir, clients):
    """Ours as bench/README.md 8 measures it: one gevent process, SQLite (or --database-url), no Redis."""
    db_url = args.database_url or f"sqlite:///{workdir / f'{name}.db'}"
    if args.database_url:
        common.reset_postgres(args.database_url)
    instance, port = workdir / f"inst-{name}", common.free_port()
    ours = common.start_ours(db_url, instance, port)
    try:
        meeting_id, tokens = common.seed_meeting(common.make_app(db_url, instance), clients)
        tokens_file = workdir / f"tokens-{name}.json"
        tokens_file.write_text(json.dumps(tokens))
        yield Target(f"http://127.0.0.1:{port}", [ours.pid], meeting_id, tokens_file)
    finally:
        ours.terminate()
        ours.wait(10)


@contextmanager
def behind_nginx(name, args, workdir, clients):
    """The production default (deploy/): --processes gevent processes with Redis on one PostgreSQL database,
    deploy/nginx-chidao.conf (TLS) in front, started by the helpers the deploy tests and bench/deploy.py use."""
    from tests.conftest import fresh_postgres_database, redis_url
    from tests.deploy_support import AppProcess, Nginx, app_env
    from tests.realtime.helpers import new_channel

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # nginx's throwaway certificate
    with ExitStack() as stack:  # closed in reverse: nginx, the processes, then the database
        if args.database_url:
            common.reset_postgres(args.database_url)
            db_url = args.database_url
        else:
            db_url = stack.enter_context(fresh_postgres_database("bench_chat"))
        channel, instance = new_channel(), workdir / f"inst-{name}"
        # the one speaker sends 20 messages/s: the per-user limit is lifted as bench/run.py start_ours does
        procs = [AppProcess(ROOT, app_env(db_url, redis_url(), channel, instance, port=common.free_port(),
                                          extra={"CHAT_RATE_LIMIT": "1000000/10"}), workdir / f"{name}-{n}.log")
                 for n in range(args.processes)]
        for proc in procs:
            stack.callback(proc.stop)
            proc.start()  # one after the other: the first creates the schema
        meeting_id, tokens = common.seed_meeting(common.make_app(db_url, instance), clients)
        tokens_file = workdir / f"tokens-{name}.json"
        tokens_file.write_text(json.dumps(tokens))
        nginx = Nginx(workdir / f"nginx-{name}", [p.port for p in procs])
        recipe_limits(nginx.dir / "nginx.conf")
        stack.callback(nginx.stop)
        nginx.start()
        target = Target(nginx.url, [p.proc.pid for p in procs], meeting_id, tokens_file,
                        ports=[p.port for p in procs], nginx_pid=nginx.proc.pid,
                        env={"ROUTES": ",".join(routes(nginx, procs)), "INSECURE_TLS": "1"})
        try:
            yield target
        except Exception:
            for proc in procs:  # what the server says about a refused connect or join
                text = proc.output()
                if "Traceback" in text:
                    print(f"{proc.log_path}:\n{text[text.index('Traceback'):][:4000]}", file=sys.stderr)
            raise
        target.tracebacks = sum(p.output().count("Traceback") for p in procs)


def routes(nginx, procs):
    """A route cookie value that nginx hashes to each process (its test header X-Test-Upstream says which): the
    load generator gives them out in turn, so the sockets split evenly whatever ports the processes got."""
    import requests

    found = {}
    for i in range(200):
        res = requests.get(nginx.url + "/api/v1/me", cookies={"chidao_route": f"bench-route-{i}"}, verify=False)
        found.setdefault(res.headers["X-Test-Upstream"], f"bench-route-{i}")
        if len(found) == len(procs):
            return [found[f"127.0.0.1:{p.port}"] for p in procs]
    raise RuntimeError(f"nginx sent 200 route cookies to {sorted(found)} only")


def recipe_limits(conf):
    """deploy/README.md step 8 raises Debian's worker_connections for the sockets (two descriptors each in
    nginx); the test helper's nginx.conf keeps 1,024, too few for 1,000 sockets."""
    text = conf.read_text().replace("worker_processes 1;", "worker_processes 1;\nworker_rlimit_nofile 40000;")
    conf.write_text(re.sub(r"worker_connections \d+;", "worker_connections 16384;", text))


def bench(name, args, workdir):
    clients, messages, rate = scenario_params(name, args.smoke)
    server = behind_nginx if args.processes > 1 else one_process
    with server(name, args, workdir, clients) as target:
        mine = [drive(target, clients, messages, rate) for _ in range(args.runs)]
    bport = common.free_port()
    base = subprocess.Popen(["node", str(NODE_DIR / "baseline_server.js")], cwd=NODE_DIR,
                            env=dict(os.environ, PORT=str(bport)), stdout=subprocess.DEVNULL)
    try:
        wait_port(bport)
        node = Target(f"http://127.0.0.1:{bport}", [base.pid])
        theirs = [drive(node, clients, messages, rate) for _ in range(args.runs)]
    finally:
        base.terminate()
        base.wait(10)
    row = {"scenario": name, "clients": clients, "messages": messages, "rate": rate,
           "ours": median_of(mine), "baseline": median_of(theirs), "runs": {"ours": mine, "baseline": theirs}}
    o, b = row["ours"], row["baseline"]
    for key in ("p50_ms", "p99_ms", "cpu_us_per_delivery", "connect_ms", "kb_per_socket"):
        if o.get(key) is not None and b.get(key):
            row[f"{key}_ratio"] = round(o[key] / b[key], 2)
    if target.tracebacks is not None:
        row["server_tracebacks"] = target.tracebacks
    print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", default="open200,open1000,closed200,connect2000")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--processes", type=int, default=1,
                        help="more than 1: that many processes with Redis and PostgreSQL behind the recipe's nginx")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    several = args.processes > 1
    args.out = args.out or str(ROOT / "bench" / "results" / (f"chat-{args.processes}processes.json" if several
                                                             else "chat.json"))
    common.ensure_node_modules()
    load = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        for name in args.scenarios.split(","):
            results.append(bench(name.strip(), args, Path(tmp)))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    Path(args.out).write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M"), "load_before": load, "load_after": os.getloadavg(),
        "python": sys.version.split()[0], "node": node,
        "database": "postgresql" if args.database_url or several else "sqlite", "processes": args.processes,
        "setup": (f"{args.processes} gevent processes, Redis, PostgreSQL, deploy/nginx-chidao.conf (TLS) in front; "
                  "server CPU and memory summed over the processes, nginx's CPU apart; the baseline is one bare "
                  "Node socket.io process" if several else "one gevent process, no Redis; the baseline is one bare "
                  "Node socket.io process"),
        "results": results}, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

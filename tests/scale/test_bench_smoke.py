"""The benchmarks still run (issue 17): a short smoke run of each, as CI runs them. Nothing is timed here;
the numbers belong in bench/README.md, from full runs on a quiet machine."""
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, need, postgres_available, postgres_url
from tests.realtime.helpers import redis_available

pytestmark = pytest.mark.scale


def test_chat_benchmark_against_node(tmp_path):
    need(shutil.which("node") and shutil.which("npm"), "Node.js and npm (the benchmark's socket.io baseline)")
    out = tmp_path / "chat.json"
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "chat.py"), "--smoke", "--scenarios",
                          "open200,closed200,connect2000", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert [r["scenario"] for r in results] == ["open200", "closed200", "connect2000"]
    for row in results:
        for side in ("ours", "baseline"):
            run = row[side]
            assert run["errors"] == 0 and run["connect_ms"] > 0
            assert run["deliveries"] == row["clients"] * row["messages"], (row["scenario"], side, run)


def test_deploy_benchmark_through_nginx(tmp_path):
    from tests.deploy_support import need_nginx

    need_nginx()
    need(postgres_available(), "PostgreSQL")
    need(redis_available(), "Redis")
    out = tmp_path / "deploy.json"
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "deploy.py"), "--seconds", "0.5", "--runs", "1",
                          "--workers", "4", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert len(results) == 3
    for row in results.values():
        for side in ("nginx", "direct"):
            assert row[side]["errors"] == 0 and row[side]["requests"] > 0, row


def test_chat_benchmark_two_processes_behind_nginx(tmp_path):
    """bench/chat.py --processes 2: the sockets reach both processes through the recipe's nginx and every
    message reaches every socket across them (Redis)."""
    from tests.deploy_support import need_nginx

    need(shutil.which("node") and shutil.which("npm"), "Node.js and npm (the benchmark's socket.io baseline)")
    need_nginx()
    need(postgres_available(), "PostgreSQL")
    need(redis_available(), "Redis")
    data = _smoke(tmp_path, "chat.py", "--processes", "2", "--scenarios", "open200,closed200")
    assert data["processes"] == 2 and data["database"] == "postgresql"
    assert [r["scenario"] for r in data["results"]] == ["open200", "closed200"]
    for row in data["results"]:
        ours = row["ours"]
        assert row["server_tracebacks"] == 0
        assert ours["errors"] == 0 and ours["deliveries"] == row["clients"] * row["messages"], (row["scenario"], ours)
        # each process holds its half of the sockets (plus any idle keep-alive connection of nginx's)
        assert len(ours["sockets_per_process"]) == 2
        assert min(ours["sockets_per_process"]) >= row["clients"] // 2, ours["sockets_per_process"]
        assert ours["nginx_cpu_s"] >= 0 and ours["server_cpu_s"] > 0


def test_soak_benchmark(tmp_path):
    """bench/soak.py --smoke: every message acked and at every socket, the server sampled at each report."""
    need(shutil.which("node") and shutil.which("npm"), "Node.js and npm (the soak's load generator)")
    data = _smoke(tmp_path, "soak.py")
    verdict = data["verdict"]
    assert verdict["errors"] == 0 and verdict["ack_error_reasons"] == {}, verdict
    assert verdict["sent"] > 0 and verdict["acked"] == verdict["complete"] == verdict["sent"], verdict
    assert verdict["deliveries"] == verdict["sent"] * data["clients"] and verdict["missed"] == 0, verdict
    assert data["server_alive"] and len(data["intervals"]) >= 2
    assert all(r["rss_kb"] > 0 and r["fds"] > data["clients"] for r in data["intervals"])


def _smoke(tmp_path, script, *options):
    """bench/<script> --smoke: its results file, read back once it exited cleanly."""
    out = tmp_path / "results.json"
    res = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--smoke", *options, "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return json.loads(out.read_text())


def test_board_benchmark_against_one_query(tmp_path):
    """bench/board.py --smoke: the dashboard's two requests over HTTP give the numbers of the one hand-written
    query (the bench stops otherwise), every tracking state occurs, and each request issues as many statements
    on 2,000 assignments as on 500."""
    need(postgres_available(), "PostgreSQL")
    out = tmp_path / "board.json"
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "board.py"), "--smoke", "--postgres-url",
                          postgres_url(), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["constant_statements"], (data["small"]["statements"], data["big"]["statements"])
    big = data["big"]
    assert big["assignments"] > data["small"]["assignments"] > 0
    for which in ("stats", "level"):
        row = big[which]
        # one compared line per agency and the totals (and the summary's levels for the level board)
        assert row["agencies"] > 1 and row["numbers_checked"] > row["agencies"], row
        assert all(row["totals"][key] > 0 for key in ("assigned", "acknowledged", "on_track", "due_soon",
                                                      "overdue", "completed_on_time", "completed_late")), row


def test_directive_benchmark_against_node(tmp_path):
    need(shutil.which("node") and shutil.which("npm"), "Node.js and npm (the benchmark's socket.io baseline)")
    report = _smoke(tmp_path, "directive.py")
    assert report["officers"] == 20 and report["directives_per_run"] == 2
    for side in ("ours", "baseline"):
        (run,) = report["all_runs"][side]
        # every officer got every directive, each POST was answered 201
        assert run["errors"] == 0 and run["delivered"] == 2, (side, run)
        assert run["deliveries"] == run["expected"] == 40, (side, run)
    assert report["all_runs"]["ours"][0]["bells"] == 40  # and their bell, once each

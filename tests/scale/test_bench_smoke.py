"""The benchmarks still run (issue 17): a short smoke run of each, as CI runs them. Nothing is timed here;
the numbers belong in bench/README.md, from full runs on a quiet machine."""
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, need, postgres_available
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

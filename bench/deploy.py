"""Requests under load through the production recipe's nginx (deploy/), against the same requests sent
straight to the two app processes, side by side in one run (bench/README.md, 7).

    .venv/bin/python bench/deploy.py [--seconds 5] [--workers 16] [--runs 3]

Two production processes (gevent) on a fresh PostgreSQL database and Redis; deploy/nginx-chidao.conf in
front with TLS. Each worker thread keeps one keep-alive connection and sends requests back to back for
--seconds; the baseline workers are spread evenly over the two processes' ports (what nginx does, minus
nginx). Medians of --runs runs. Needs nginx, PostgreSQL and Redis (as the CI test does).
"""
import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
import urllib3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def load(urls, seconds, workers, headers=None):
    """Back-to-back GETs from `workers` threads (worker i uses urls[i % len(urls)]): requests/s, p50, p99, errors."""
    latencies, errors, stop = [], [0], time.time() + seconds
    lock = threading.Lock()

    def worker(url):
        s = requests.Session()
        s.trust_env = False
        s.verify = False
        mine = []
        while time.time() < stop:
            t0 = time.perf_counter()
            try:
                ok = s.get(url, headers=headers, timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(urls[i % len(urls)],)) for i in range(workers)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)], "errors": errors[0], "requests": len(latencies)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "deploy.json"))
    args = parser.parse_args()

    import tempfile

    from tests.conftest import fresh_postgres_database, redis_url
    from tests.deploy_support import AppProcess, Nginx, app_env
    from tests.realtime.helpers import new_channel
    from tests.scale.test_deploy_nginx import _seed, _token

    tmp = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    results = {}
    with fresh_postgres_database("bench_deploy") as database_url:
        _seed(tmp, database_url)
        from tests.conftest import free_port

        channel = new_channel()
        procs = [AppProcess(ROOT, app_env(database_url, redis_url(), channel, tmp / "instance", port=free_port()),
                            tmp / f"{n}.log") for n in ("a", "b")]
        nginx = Nginx(tmp, [p.port for p in procs])
        try:
            for p in procs:
                p.start()
            nginx.start()
            token = _token(nginx.url, "syt1")
            auth = {"Authorization": f"Bearer {token}"}
            static = "/static/css/app.css"
            cases = {
                "API GET /api/v1/me (bearer)": ("/api/v1/me", auth),
                "page GET /login (HTML)": ("/login", None),
                "static file (nginx vs the app)": (static, None),
            }
            for name, (path, headers) in cases.items():
                rows = {"nginx": [], "direct": []}
                for _ in range(args.runs):
                    rows["nginx"].append(load([nginx.url + path], args.seconds, args.workers, headers))
                    rows["direct"].append(load([p.url + path for p in procs], args.seconds, args.workers, headers))
                med = {mode: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for mode, runs in rows.items()}
                results[name] = med
                n, d = med["nginx"], med["direct"]
                print(f"{name}: nginx {n['rps']:.0f} req/s p50 {n['p50_ms']:.1f} ms p99 {n['p99_ms']:.1f} ms "
                      f"errors {n['errors']:.0f} | direct {d['rps']:.0f} req/s p50 {d['p50_ms']:.1f} ms "
                      f"p99 {d['p99_ms']:.1f} ms errors {d['errors']:.0f} | throughput ratio {n['rps'] / d['rps']:.2f}",
                      flush=True)
        finally:
            nginx.stop()
            for p in procs:
                p.stop()
    out = Path(args.out)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "workers": args.workers,
                               "seconds": args.seconds, "runs": args.runs, "results": results}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""The call, mesh and SFU: time from clicking "join" to the first decoded frame from every other person.

`.venv/bin/python bench/call_first_frame.py [--people 3,6] [--modes mesh,sfu]` starts `python wsgi.py` on a fresh
SQLite database, seeds a live meeting, signs N people in, each in its own headless Chromium
context with a synthetic camera and microphone, and lets them join the call one after another.
For each joiner it measures the time from the click until every peer already in the call shows a
decoded video frame (getStats: inbound-rtp video framesDecoded > 0), then how long the whole
call took to settle, and the CPU while the N people sit in the call: the app's (signalling only) and,
in SFU mode, Janus's (started from deploy/janus as the tests do; it forwards every stream), per
participant. Writes bench/results/call.json.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from run import free_port, make_app, seed_meeting, start_ours  # noqa: E402 (bench/run.py, beside this file)

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (the browser the e2e tests use)

#: resolves true once the page decodes video from ``n`` people (the call's own per-person stats, either mode)
DECODING = """async (n) => {
  const call = window.meetingCall;
  if (!call) return false;
  const stats = await call.stats();
  return Object.values(stats).filter((s) => s.frames > 0).length >= n;
}"""


#: the baseline: the browser's own WebRTC setup with no server at all, two connections in one page
#: trading offer, answer and candidates directly; ms from getUserMedia to the first decoded frame
LOOPBACK = """async () => {
  const started = performance.now();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  for (;;) {
    const stats = await b.getStats();
    let frames = 0;
    stats.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded || 0; });
    if (frames > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - started;
  a.close(); b.close(); stream.getTracks().forEach((t) => t.stop());
  return ms;
}"""


def loopback_ms(browser, base, repeat=5):
    """The median of ``repeat`` in-page loopback calls (a page of the app, for the same origin)."""
    page = browser.new_context().new_page()
    page.goto(f"{base}/login")
    times = [page.evaluate(LOOPBACK) for _ in range(repeat)]
    page.context.close()
    return round(statistics.median(times))


def cpu_seconds(pid):
    """User + system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (100/s)


def sign_in(browser, base, username, meeting_id):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "bench-pass-1")
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/meetings/{meeting_id}/room")
    page.wait_for_selector('[data-testid="media-join"]:not([disabled])', timeout=30_000)
    return page


def run_call(people, workdir, settle_seconds, mode):
    from playwright.sync_api import sync_playwright

    from tests.sfu import JanusServer

    db_url = f"sqlite:///{workdir / f'call-{mode}-{people}.db'}"
    instance = workdir / f"inst-call-{mode}-{people}"
    port = free_port()
    janus = JanusServer(workdir / f"janus-{people}").start() if mode == "sfu" else None
    server = start_ours(db_url, instance, port, janus.env() if janus else None)
    base = f"http://127.0.0.1:{port}"
    try:
        meeting_id, _tokens = seed_meeting(make_app(db_url, instance), people)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            baseline = loopback_ms(browser, base)
            pages = [sign_in(browser, base, f"bench{i}", meeting_id) for i in range(people)]
            joins = []
            started = time.perf_counter()
            for i, page in enumerate(pages):
                clicked = time.perf_counter()
                page.click('[data-testid="media-join"]')
                page.wait_for_function(DECODING, arg=i, polling=50, timeout=120_000)
                joins.append(round((time.perf_counter() - clicked) * 1000))
            for page in pages:  # everyone decodes everyone
                page.wait_for_function(DECODING, arg=people - 1, polling=50, timeout=120_000)
            settled_ms = round((time.perf_counter() - started) * 1000)
            pids = {"app": server.pid, **({"janus": janus.proc.pid} if janus else {})}
            before, wall_before = {k: cpu_seconds(p) for k, p in pids.items()}, time.perf_counter()
            time.sleep(settle_seconds)
            wall = time.perf_counter() - wall_before
            cpu = {k: (cpu_seconds(p) - before[k]) / wall for k, p in pids.items()}
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        if janus:
            janus.stop()
    later = joins[1:]  # the first joiner has nobody to see
    extra = {}
    if janus:
        extra = {"janus_cpu_percent_in_call": round(cpu["janus"] * 100, 1),
                 "janus_cpu_percent_per_participant": round(cpu["janus"] * 100 / people, 2)}
    return {"mode": mode, "people": people, "join_to_frames_ms": joins[1:],
            "median_join_ms": statistics.median(later),
            "max_join_ms": max(later), "baseline_loopback_ms": baseline,
            "median_ratio": round(statistics.median(later) / baseline, 1), "whole_call_ms": settled_ms,
            "server_cpu_percent_in_call": round(cpu["app"] * 100, 1), **extra}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", default="3,6", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--modes", default="mesh,sfu", type=lambda s: s.split(","))
    parser.add_argument("--settle", default=10, type=float, help="seconds in the call to sample server CPU")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            for people in args.people:
                result = run_call(people, Path(tmp), args.settle, mode)
                print(json.dumps(result), flush=True)
                results.append(result)
    out = ROOT / "bench" / "results" / "call.json"
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M"), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()

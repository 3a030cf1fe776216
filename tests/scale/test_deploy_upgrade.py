"""deploy/upgrade.sh from the previous release's tag to this tree, with two processes serving behind the
recipe's nginx on PostgreSQL and Redis and people in a live meeting: no crash, every process ends on the
new release, the sockets reconnect, and a message sent while one was away reaches it when it joins again."""
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port, fresh_postgres_database, need, redis_url
from tests.deploy_restart import start as start_process
from tests.deploy_restart import stop as stop_process
from tests.deploy_support import Nginx, app_env, need_nginx, write_env_file
from tests.realtime.helpers import close, new_channel, quick_ws_close, redis_available  # noqa: F401
from tests.scale.test_deploy_nginx import _route_cookies, _seed, _session, _token

pytestmark = [pytest.mark.scale, pytest.mark.usefixtures("quick_ws_close")]
#: the release before this one, if the clone has no release tag (a shallow or tagless clone): the release of
#: 2026-11-30, the first whose processes start on a schema newer than their migrations (a rolling upgrade's
#: old processes restart on the migrated database)
PREVIOUS_RELEASE = "5aa9be92c97c9a35b3a2ddac9b4877d832c80657"


def previous_release():
    """The newest release-* tag that is not this commit, else PREVIOUS_RELEASE."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    tags = subprocess.run(git + ["tag", "--list", "release-*", "--sort=-creatordate"],
                          capture_output=True, text=True).stdout.split()
    for tag in tags:
        sha = subprocess.run(git + ["rev-list", "-n1", tag], capture_output=True, text=True).stdout.strip()
        if sha != head:
            return tag
    return PREVIOUS_RELEASE


def _unpack_release(ref, target):
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    # the old release runs on this checkout's virtualenv (its requirements are a subset)
    (target / ".venv").symlink_to(ROOT / ".venv")


class Watcher:
    """A socket with reconnection on, noting when it dropped and when it came back."""

    def __init__(self, client):
        self.client, self.events = client, []
        client.on("disconnect", lambda *a: self.events.append(("down", time.time())))
        client.on("connect", lambda *a: self.events.append(("up", time.time())))

    def outages(self):
        """Seconds from each drop to the next reconnect."""
        spans, down = [], None
        for kind, at in self.events:
            if kind == "down":
                down = at
            elif down is not None:
                spans.append(at - down)
                down = None
        return spans


def _client(url, token, route):
    import socketio

    http = _session()
    http.cookies.set("chidao_route", route)
    client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                             ssl_verify=False, http_session=http)
    watcher = Watcher(client)
    client.connect(url, auth={"token": token}, headers={"Cookie": f"chidao_route={route}"},
                   transports=["websocket"], wait_timeout=10)
    return client, watcher


def test_rolling_upgrade_from_the_previous_release(tmp_path):
    need_nginx()
    need(redis_available(), "Redis")
    old_ref = previous_release()
    need(subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{old_ref}^{{commit}}"]).returncode == 0,
         f"the previous release {old_ref} in this clone's history")
    home, state = tmp_path / "srv", tmp_path / "run"
    state.mkdir()
    _unpack_release(old_ref, home / "releases" / "00000000-previous")
    (home / "current").symlink_to(home / "releases" / "00000000-previous")
    # this tree's requirements are installed in .venv already: upgrade.sh finds that virtualenv ready
    req_hash = subprocess.run(["sha256sum", str(ROOT / "requirements.txt")], capture_output=True,
                              text=True).stdout[:16]
    (home / "venvs").mkdir()
    (home / "venvs" / req_hash).symlink_to(ROOT / ".venv")
    (ROOT / ".venv" / ".complete").touch()
    ports = [free_port(), free_port()]
    with fresh_postgres_database("upgrade") as database_url:
        world = _seed(tmp_path, database_url)
        env_file = tmp_path / "env"
        write_env_file(env_file, app_env(database_url, redis_url(), new_channel(), home / "instance"))
        nginx = Nginx(tmp_path, ports, code_dir=home / "current", releases_dir=home / "releases")
        script_env = {**os.environ, "CHIDAO_HOME": str(home), "CHIDAO_ENV_FILE": str(env_file), "CHIDAO_USER": "",
                      "CHIDAO_PORTS": " ".join(map(str, ports)), "PYTHON": sys.executable,
                      "CHIDAO_RESTART": f"{sys.executable} {ROOT / 'tests' / 'deploy_restart.py'} restart {{port}} "
                                        f"{state} {home} {env_file}"}

        def upgrade(*args):
            res = subprocess.run(["bash", str(ROOT / "deploy" / "upgrade.sh"), *args], env=script_env,
                                 capture_output=True, text=True, timeout=300)
            print(res.stdout)
            assert res.returncode == 0, res.stdout + res.stderr
            return res
        clients = []
        try:
            for port in ports:
                start_process(port, state, home, env_file)
            for port in ports:
                _wait(f"http://127.0.0.1:{port}/healthz", state / f"{port}.log")
            nginx.start()
            url = nginx.url
            routes = _route_cookies({"url": url, "processes": [type("P", (), {"port": p}) for p in ports]})
            chair, chair_w = _client(url, _token(url, "chutich"), routes[0])
            officer, officer_w = _client(url, _token(url, "syt1"), routes[1])
            clients += [chair, officer]
            mid = world["meeting_id"]
            first = chair.call("chat:send", {"meeting_id": mid, "body": "Trước nâng cấp", "client_id": "u-0"},
                               timeout=10)
            assert first["ok"], first
            for c in (chair, officer):
                assert c.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
            sent = _chat_during(chair, mid)

            upgrade("--dir", str(ROOT))
            sent.stop()

            new_release = (home / "current").resolve()
            assert new_release.name != "00000000-previous"
            _all_on(new_release, ports, state)
            # the new release speaks Vietnamese: its catalogs were compiled at install, not by the processes
            login = requests.get(url + "/login", verify=False)
            assert login.status_code == 200 and "Đăng nhập" in login.text
            # its static files are under its own id: pages of either release find their own files
            css = re.search(rf"/static/r/{new_release.name}/css/app\.css\?v=[0-9a-f]+", login.text)
            assert css, login.text[:1500]
            for path in (css.group(0), "/static/r/00000000-previous/css/app.css"):
                res = requests.get(url + path, verify=False)
                assert res.status_code == 200 and "immutable" in res.headers["Cache-Control"], path
            # the sockets came back by themselves: each dropped once (its process restarted) and reconnected
            for client, watcher in ((chair, chair_w), (officer, officer_w)):
                _until(lambda c=client: c.connected, 30)
                assert watcher.outages(), watcher.events
            print("reconnect seconds:", [round(s, 2) for s in chair_w.outages() + officer_w.outages()])
            # a browser joins again with the last id it saw and gets what it missed, across processes
            for c in (chair, officer):
                replay = c.call("meeting:join", {"meeting_id": mid, "last_message_id": first["message"]["id"]},
                                timeout=10)
                assert replay["ok"], replay
                bodies = [m["body"] for m in replay["messages"]]
                assert set(sent.bodies) <= set(bodies), (sent.bodies, bodies)
            assert sent.bodies, "no message was acknowledged during the upgrade"

            # back to the previous release (its processes answer /healthz: /readyz came later), then forward
            # again from the git clone by ref, as deploy/README.md does it
            upgrade("--rollback")
            assert (home / "current").resolve() == home / "releases" / "00000000-previous"
            _all_on(home / "releases" / "00000000-previous", ports, state)
            subprocess.run(["git", "clone", "--quiet", "--shared", str(ROOT), str(home / "repo")], check=True)
            upgrade("--ref", "HEAD")
            by_ref = (home / "current").resolve()
            assert by_ref not in (new_release, home / "releases" / "00000000-previous")
            head = subprocess.run(["git", "-C", str(home / "repo"), "rev-parse", "origin/HEAD"], capture_output=True,
                                  text=True)
            assert head.stdout.strip() in (by_ref / "RELEASE").read_text()
            _all_on(by_ref, ports, state)
            for client in (chair, officer):
                _until(lambda c=client: c.connected, 30)
        finally:
            close(*clients)
            nginx.stop()
            for port in ports:
                stop_process(port, state)
        logs = "".join((state / f"{p}.log").read_text() for p in ports)
        assert "Traceback" not in logs, logs[-4000:]


def _all_on(release, ports, state):
    """Every process runs this release's code and answers."""
    for port in ports:
        pid = int((state / f"{port}.pid").read_text())
        assert Path(f"/proc/{pid}/cwd").resolve() == release
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200


class _chat_during:
    """Messages sent every 0.2 s while the upgrade runs; those acknowledged are kept."""

    def __init__(self, client, mid):
        self.client, self.mid, self.bodies, self.running = client, mid, [], True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        n = 0
        while self.running:
            n += 1
            body = f"Trong lúc nâng cấp #{n}"
            try:
                ack = self.client.call("chat:send", {"meeting_id": self.mid, "body": body, "client_id": f"u-{n}"},
                                       timeout=3)
                if ack and ack.get("ok"):
                    self.bodies.append(body)
            except Exception:  # noqa: BLE001  (a timeout while the process restarts: not acknowledged)
                pass
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join(5)


def _wait(url, log, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _until(predicate, timeout):
    deadline = time.time() + timeout
    while not predicate() and time.time() < deadline:
        time.sleep(0.05)
    assert predicate()

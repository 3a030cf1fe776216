"""The deployment recipe as written (deploy/nginx-chidao.conf and its upstream file, Debian's nginx, TLS)
in front of two production processes on PostgreSQL and Redis: static files with versioned URLs, login,
long-polling next to ordinary requests on reused upstream connections, websocket and polling->upgrade
through nginx, chat between clients on the two processes, uploads at and over the limits."""
import json
import re
import time
from datetime import timedelta

import pytest
import requests
import urllib3

from core.dbtypes import utcnow
from core.extensions import db
from tests.conftest import PASSWORD, Factory, csrf_from, make_test_config, need, redis_url
from tests.deploy_support import AppProcess, Nginx, app_env, need_nginx
from tests.realtime.helpers import Recorder, close, new_channel, quick_ws_close, redis_available  # noqa: F401

pytestmark = [pytest.mark.scale, pytest.mark.usefixtures("quick_ws_close")]
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tests.conftest import fresh_postgres_database

    need_nginx()
    need(redis_available(), "Redis")
    tmp = tmp_path_factory.mktemp("deploy")
    with fresh_postgres_database("deploy") as database_url:
        world = _seed(tmp, database_url)
        channel = new_channel()
        processes = []
        from tests.conftest import ROOT, free_port

        for name in ("a", "b"):
            env = app_env(database_url, redis_url(), channel, tmp / "instance", port=free_port())
            processes.append(AppProcess(ROOT, env, tmp / f"{name}.log"))
        nginx = Nginx(tmp, [p.port for p in processes])
        try:
            for proc in processes:
                proc.start()
            nginx.start()
            world.update(nginx=nginx, processes=processes, url=nginx.url)
            yield world
        finally:
            nginx.stop()
            for proc in processes:
                proc.stop()
        for proc in processes:
            assert "Traceback" not in proc.output(), proc.output()[-3000:]


def _seed(tmp, database_url):
    """Users, a live meeting and a directive, written through the services as the app would."""
    from core import create_app
    from core.cli import upgrade_schema
    from directives import services as directives
    from meetings import services as meetings

    app = create_app(make_test_config(tmp, SQLALCHEMY_DATABASE_URI=database_url))
    with app.app_context():
        upgrade_schema()
        f = Factory()
        office = f.agency(code="VP", name="Văn phòng UBND")
        health = f.agency(code="SYT", name="Sở Y tế")
        chair = f.user("leader", office, username="chutich")
        officer = f.user("officer", health, username="syt1")
        meeting = meetings.create_meeting(chair, {"title": "Giao ban qua nginx", "starts_at": "2026-12-01T08:00",
                                                  "participant_ids": [officer.id]})
        meetings.start_meeting(chair, meeting)
        directive = directives.issue_directive(chair, {"title": "Báo cáo tiêm chủng", "lead_agency_id": health.id,
                                                       "deadline": (utcnow() + timedelta(days=7)).isoformat()})
        world = {"meeting_id": meeting.id, "directive_id": directive.id, "chair_id": chair.id}
        db.session.remove()
        db.engine.dispose()
    return world


def _session():
    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify=False on a session
    s.verify = False
    return s


def _token(url, username):
    res = requests.post(url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, verify=False)
    assert res.status_code == 201, res.text
    return res.json()["token"]


def _route_cookies(stack):
    """A route cookie value for each process: nginx hashes on it (the test's X-Test-Upstream header says where)."""
    found = {}
    for i in range(200):
        res = requests.get(stack["url"] + "/api/v1/me", cookies={"chidao_route": f"route-{i}"}, verify=False)
        port = int(res.headers["X-Test-Upstream"].rsplit(":", 1)[1])
        found.setdefault(port, f"route-{i}")
        if len(found) == 2:
            return [found[p.port] for p in stack["processes"]]
    raise AssertionError(f"nginx sent every route to one process: {found}")


def _socket(stack, token, route, transports):
    """A python-socketio client through nginx, sticky to the process its route cookie hashes to. On a loaded
    CI machine a first connection has (rarely) timed out; it is tried again once, as a browser's client
    reconnects by itself: a second failure fails the test."""
    import socketio

    for attempt in (1, 2):
        http = _session()
        http.cookies.set("chidao_route", route)  # the engine.io client sends its headers with the handshake only
        client = socketio.Client(reconnection=False, ssl_verify=False, http_session=http)
        try:
            client.connect(stack["url"], auth={"token": token}, headers={"Cookie": f"chidao_route={route}"},
                           transports=transports, wait_timeout=15)
            return client
        except socketio.exceptions.ConnectionError:
            close(client)
            if attempt == 2:
                raise


def test_static_files_have_versioned_urls_and_cache_headers(stack):
    page = requests.get(stack["url"] + "/login", verify=False)
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{6,}[^"]*)"', page.text)
    assert any(a.startswith("/static/css/") for a in assets) and any(a.startswith("/static/js/") for a in assets)
    for asset in assets:
        res = requests.get(stack["url"] + asset.replace("&amp;", "&"), verify=False)
        assert res.status_code == 200, asset
        assert "immutable" in res.headers["Cache-Control"] and "max-age=31536000" in res.headers["Cache-Control"]
    plain = requests.get(stack["url"] + assets[0].split("?")[0], verify=False)
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"


def test_login_through_nginx_gives_a_secure_session_and_a_route_cookie(stack):
    s = _session()
    page = s.get(stack["url"] + "/login")
    assert "chidao_route" in s.cookies
    res = s.post(stack["url"] + "/login", data={"username": "syt1", "password": PASSWORD,
                                                "csrf_token": csrf_from(page.text)}, allow_redirects=False)
    assert res.status_code == 302
    session_cookie = next(c for c in s.cookies if c.name == "session")
    assert session_cookie.secure
    me = s.get(stack["url"] + "/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "syt1"
    # the app sees the browser's address and scheme through nginx, not nginx's
    assert s.get(stack["url"] + "/account").status_code == 200


def test_long_polling_posts_interleaved_with_requests_never_get_a_400(stack):
    token = _token(stack["url"], "syt1")
    s = _session()
    s.cookies.set("chidao_route", "poller")
    base = stack["url"] + "/socket.io/?EIO=4&transport=polling"
    open_packet = s.get(base).text
    sid = re.search(r'"sid":"([^"]+)"', open_packet).group(1)
    connect = s.post(f"{base}&sid={sid}", data="40" + json.dumps({"token": token}))
    assert connect.status_code == 200, connect.text
    statuses = []
    join = "42" + json.dumps(["meeting:join", {"meeting_id": stack["meeting_id"]}])
    for _ in range(30):
        statuses.append(s.post(f"{base}&sid={sid}", data=join).status_code)
        statuses.append(s.get(stack["url"] + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code)
    assert len(statuses) == 60 and statuses.count(400) == 0, statuses
    assert set(statuses) == {200}, statuses


def test_websocket_and_polling_upgrade_through_nginx(stack):
    token = _token(stack["url"], "syt1")
    routes = _route_cookies(stack)
    direct = _socket(stack, token, routes[0], ["websocket"])
    upgraded = _socket(stack, token, routes[1], ["polling", "websocket"])
    try:
        assert direct.transport() == "websocket"
        deadline = time.time() + 10
        while upgraded.transport() != "websocket" and time.time() < deadline:
            time.sleep(0.05)
        assert upgraded.transport() == "websocket"
        for client in (direct, upgraded):
            ack = client.call("meeting:join", {"meeting_id": stack["meeting_id"]}, timeout=10)
            assert ack["ok"], ack
    finally:
        close(direct, upgraded)


def test_chat_between_clients_on_the_two_processes(stack):
    routes = _route_cookies(stack)
    chair = _socket(stack, _token(stack["url"], "chutich"), routes[0], ["websocket"])
    officer = _socket(stack, _token(stack["url"], "syt1"), routes[1], ["polling"])
    try:
        heard = Recorder(officer, "chat:message")
        for client in (chair, officer):
            assert client.call("meeting:join", {"meeting_id": stack["meeting_id"]}, timeout=10)["ok"]
        ack = chair.call("chat:send", {"meeting_id": stack["meeting_id"], "body": "Qua nginx, tiến trình A",
                                       "client_id": "nginx-1"}, timeout=10)
        assert ack["ok"], ack
        message = heard.wait_for("chat:message", where=lambda m: m["client_id"] == "nginx-1")
        assert message["body"] == "Qua nginx, tiến trình A" and message["author"]["id"] == stack["chair_id"]
    finally:
        close(chair, officer)


def test_uploads_at_and_over_the_limits_answer_json(stack):
    token = _token(stack["url"], "chutich")
    url = f"{stack['url']}/api/v1/directives/{stack['directive_id']}/attachments"
    auth = {"Authorization": f"Bearer {token}"}
    limit = 10 * 1024 * 1024  # DIRECTIVE_ATTACHMENT_MAX_MB's default
    at_limit = requests.post(url, headers=auth, files={"file": ("ke-hoach.pdf", b"%PDF" + b"0" * (limit - 4))},
                             verify=False)
    assert at_limit.status_code == 201, at_limit.text[:300]
    over = requests.post(url, headers=auth, files={"file": ("lon.pdf", b"%PDF" + b"0" * (limit - 3))}, verify=False)
    assert over.status_code == 413 and over.json()["error"]["code"] == "too_large"
    # over nginx's own limit (client_max_body_size): nginx answers, in the API's JSON shape
    huge = requests.post(url, headers=auth, files={"file": ("rat-lon.pdf", b"0" * (21 * 1024 * 1024))}, verify=False)
    assert huge.status_code == 413
    assert huge.headers["Content-Type"].startswith("application/json")
    assert huge.json()["error"]["code"] == "too_large"
    # and a browser gets a page, not JSON
    page = requests.post(stack["url"] + "/directives/new", data=b"0" * (21 * 1024 * 1024), verify=False,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and page.headers["Content-Type"].startswith("text/html")
    assert "20 MB" in page.text


def test_browsers_behind_one_office_address_spread_over_the_processes(stack):
    """Every request here comes from 127.0.0.1, as an office behind one NAT would: ip_hash sent all of them to
    one process; the route cookie nginx hands each browser spreads them."""
    per_process = {}
    for _ in range(100):
        s = _session()
        s.get(stack["url"] + "/login")  # the first page gives this browser its route cookie
        assert s.cookies.get("chidao_route")
        port = s.get(stack["url"] + "/api/v1/me").headers["X-Test-Upstream"].rsplit(":", 1)[1]
        per_process[port] = per_process.get(port, 0) + 1
    print("browsers per process:", per_process)
    assert len(per_process) == 2 and min(per_process.values()) >= 25, per_process

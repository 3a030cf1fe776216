"""No socket input is a crash: every registered Socket.IO event, read from
``socketio.server.handlers``, gets payloads that are not objects, out-of-range ids, Unicode digits
("²", "٣"), NUL and lone surrogates, control characters and a payload over the app's limit, and
answers each with an error ack; the connection stays up. The fields each event reads are found by
recording the keys its handler looks up. Flask-SocketIO's test client on SQLite and PostgreSQL,
plus one check of the too-large payload over a real server.

Also: an object that exists but the user may not see answers exactly as one that does not exist.
"""
import pytest

from core.extensions import socketio
from tests.conftest import fresh_postgres_database
from tests.realtime.helpers import quick_ws_close  # noqa: F401  (fixture)
from tests.sweep_support import seed

BAD_IDS = [2**63, 2**64, -2**63 - 1, 10**30, "²", "٣", "99999999999999999999", float("inf"), 1e300, -1,
           True, "1 OR 1=1", [1], {"id": 1}]
NEVER_TEXT = ["a\x00b", "\ud800", {"k\x00": "v"}]
CONTROL_TEXT = ["x\x07y", "\x1b[31m", "a\x0bb"]
NOT_OBJECTS = [None, "text", [1, 2], 5, True]
ID_ERRORS = {"bad_request", "not_found"}
#: a valid value for each payload field the events read
BASE_TEXT = {"body": "Xin chào", "client_id": "sweep-1", "question": "Đồng ý?", "options": ["Có", "Không"]}
FIGURES = {}


class RecordingDict(dict):
    def __init__(self, data, sink):
        super().__init__(data)
        self.sink = sink

    def get(self, key, default=None):
        self.sink.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.sink.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.sink.add(key)
        return super().__contains__(key)


@pytest.fixture
def recorded(monkeypatch):
    """The payload keys each handler reads (its payload is wrapped on the way in)."""
    sink = set()
    server = socketio.server
    original = server._trigger_event

    def trigger(event, namespace, *args):
        args = [RecordingDict(a, sink) if type(a) is dict else a for a in args]
        return original(event, namespace, *args)

    monkeypatch.setattr(server, "_trigger_event", trigger)
    return sink


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    with fresh_postgres_database("socketsweep") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


@pytest.fixture(scope="module", autouse=True)
def report_figures(request):
    yield
    if FIGURES:
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            for key, figures in sorted(FIGURES.items()):
                print(f"\nsocket sweep [{key}]: " + ", ".join(f"{k} {v}" for k, v in figures.items()), end="")
            print()


def events():
    return sorted(name for name in socketio.server.handlers["/"] if name not in ("connect", "disconnect"))


def is_id_key(key):
    return key.endswith("_id")


class SocketSweep:
    def __init__(self, client, sink, base):
        self.client = client
        self.sink = sink
        self.base = base
        self.cases = 0
        self.problems = []

    def call(self, event, payload, expect=None):
        """Emit and check the ack: an object with ``ok``, never an internal error, the socket still up;
        with ``expect``, an error ack whose code is one of those."""
        self.sink.clear()
        self.cases += 1
        ack = self.client.emit(event, payload, callback=True)
        what = f"{event} {payload!r:.120} -> {ack!r:.200}"
        if not isinstance(ack, dict) or "ok" not in ack:
            self.problems.append(f"no ack object: {what}")
        elif ack.get("error") == "internal_error":
            self.problems.append(f"internal error: {what}")
        elif expect is not None and (ack["ok"] is not False or ack.get("error") not in expect):
            self.problems.append(f"expected an error in {sorted(expect)}: {what}")
        if not self.client.is_connected():
            self.problems.append(f"disconnected: {what}")
            self.client.connect()
        return set(self.sink)

    def valid(self, keys):
        return {k: self.base[k] for k in keys if k in self.base}

    def event(self, name, limit):
        for payload in NOT_OBJECTS:
            self.call(name, payload, expect={"bad_request"})
        self.call(name, {"body": "x" * (limit + 1), "meeting_id": self.base["meeting_id"]}, expect={"too_large"})
        self.call(name, {"pad": ["y" * 1000] * (limit // 1000 + 1)}, expect={"too_large"})
        for text in NEVER_TEXT:
            self.call(name, {"note": text}, expect={"bad_request"})
        keys = self.call(name, {})
        done = set()
        while keys - done:
            key = sorted(keys - done)[0]
            done.add(key)
            valid = self.valid(done | keys)
            bad_values = BAD_IDS if is_id_key(key) else NEVER_TEXT + CONTROL_TEXT + [2**64]
            for bad in bad_values:
                if is_id_key(key):
                    expect = ID_ERRORS
                elif bad in NEVER_TEXT:
                    expect = {"bad_request"}
                else:
                    expect = None  # e.g. a control character in a question: refused, by whichever rule
                keys |= self.call(name, dict(valid, **{key: bad}), expect=expect)
            keys |= self.call(name, valid)  # all valid: finds the fields read after the ids


@pytest.mark.parametrize("role", ["admin", "leader", "officer"])
def test_every_socket_event_answers_bad_payloads_with_an_error_ack(app, factory, recorded, role, request):
    people, ids, _base = seed(factory)
    client = socketio.test_client(app, auth={"token": factory.token(people[role])})
    assert client.is_connected()
    base = dict(BASE_TEXT, **ids, last_message_id=0, choice=0)
    sweep = SocketSweep(client, recorded, base)
    names = events()
    limit = app.config.get("SOCKET_MAX_PAYLOAD", 64 * 1024)
    for name in names:
        sweep.event(name, limit)
    FIGURES[request.node.callspec.id] = {"events": len(names), "cases": sweep.cases, "errors": len(sweep.problems)}
    assert not sweep.problems, f"{len(sweep.problems)} of {sweep.cases}:\n" + "\n".join(sweep.problems[:60])
    assert client.emit("meeting:join", {"meeting_id": ids["meeting_id"]}, callback=True)["ok"] is True
    assert len(names) >= 12


@pytest.mark.parametrize("auth", [{"token": 5}, {"token": ["a"]}, {"token": {"a": 1}}, {"token": "a\x00b"},
                                  {"token": "\ud800"}, {"token": "x" * 100_000}, "token", [1], 7])
def test_a_malformed_token_is_refused_not_a_crash(app, auth):
    assert not socketio.test_client(app, auth=auth).is_connected()


def test_hidden_objects_answer_exactly_as_missing_ones(app, factory, recorded):
    """An officer probing ids learns nothing: a meeting, vote, speaker request or assignment they may
    not see gets the very ack of an id that does not exist, on every event."""
    from datetime import timedelta

    from core.dbtypes import utcnow
    from directives import services as dsvc
    from meetings import services as msvc
    from meetings import speakers, votes

    people, ids, _base = seed(factory)
    leader, officer = people["leader"], people["officer"]
    other = factory.agency(code="STC", name="Sở Tài chính")
    colleague = factory.user("officer", agency=other)
    meeting = msvc.create_meeting(leader, {"title": "Họp riêng",
                                           "starts_at": (utcnow() + timedelta(hours=1)).isoformat(),
                                           "participant_ids": [colleague.id]})
    msvc.start_meeting(leader, meeting)
    vote = votes.open_vote(leader, meeting, {"question": "Kín?"})
    hand = speakers.raise_hand(colleague, meeting)
    directive = dsvc.issue_directive(leader, {"title": "Việc riêng",
                                              "deadline": (utcnow() + timedelta(days=5)).isoformat(),
                                              "lead_agency_id": other.id})
    hidden = {"meeting_id": meeting.id, "vote_id": vote.id, "request_id": hand.id,
              "assignment_id": directive.assignments[0].id}
    client = socketio.test_client(app, auth={"token": factory.token(officer)})
    base = dict(BASE_TEXT, **ids)
    compared = 0
    for name in events():
        recorded.clear()
        client.emit(name, {}, callback=True)
        for key in sorted(k for k in recorded if k in hidden):
            seen = client.emit(name, dict(base, **{key: hidden[key]}), callback=True)
            missing = client.emit(name, dict(base, **{key: 10**12}), callback=True)
            assert seen == missing, (name, key, seen, missing)
            assert seen["error"] == "not_found", (name, key, seen)
            compared += 1
    assert compared >= 11  # every event names one of these objects


@pytest.mark.realtime
@pytest.mark.usefixtures("quick_ws_close")
def test_a_too_large_payload_gets_an_error_ack_over_a_real_server(live_server, live_db):
    """Over the wire: a payload above the app's limit (even above the old 1 MB transport limit) is
    answered with ``too_large`` and the socket stays connected and usable."""
    from meetings import services as msvc
    from tests.conftest import Factory

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP")
        chair = f.user("leader", office, username="chair")
        meeting = msvc.create_meeting(chair, {"title": "Họp", "starts_at": "2026-12-01T08:00", "participant_ids": []})
        msvc.start_meeting(chair, meeting)
        meeting_id = meeting.id
    client = live_server.socket(token=live_server.token("chair"))
    try:
        for size in (70_000, 2_000_000):
            ack = client.call("chat:send", {"meeting_id": meeting_id, "body": "x" * size, "client_id": f"big{size}"},
                              timeout=20)
            assert ack["ok"] is False and ack["error"] == "too_large", ack
            assert client.connected
        ack = client.call("chat:send", {"meeting_id": meeting_id, "body": "vẫn kết nối", "client_id": "after"},
                          timeout=10)
        assert ack["ok"] is True
    finally:
        client.disconnect()

"""Whoever loses access to a meeting loses its live room at once: no chat, minutes or presence
reaches a socket after its user was taken off the invitation, on this process or another."""
import time

import pytest
import requests
import socketio

from tests.conftest import Factory, LiveServer, make_test_config, need, redis_url
from tests.realtime.helpers import new_channel, quick_ws_close, redis_available  # noqa: F401  (fixture)
from tests.realtime.test_chat import Listener, seed_meeting
from tests.realtime.test_presence import open_spans

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]

ROOM_EVENTS = ("chat:message", "meeting:presence", "minutes:updated", "meeting:updated", "meeting:status",
               "speakers:updated", "vote:opened")


def api(server, token):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    s.base = server.url + "/api/v1"
    return s


def room_traffic(chair, mid, text):
    """The chair sends a message and a minutes revision: events every room member gets."""
    minutes = chair.get(f"{chair.base}/meetings/{mid}/minutes").json()
    res = chair.put(f"{chair.base}/meetings/{mid}/minutes", json={"body": text, "base_version": minutes["version"]})
    assert res.status_code == 200, res.text


def test_removed_participant_hears_nothing_more(live_server, live_db):
    ids = seed_meeting(live_server, live_db)
    mid = ids["meeting_id"]
    chair_token = live_server.token("chair")
    chair_socket = live_server.socket(token=chair_token)
    alice_token = live_server.token("alice")
    alice = live_server.socket(token=alice_token)
    bob = live_server.socket(token=live_server.token("bob"))
    try:
        heard_by_alice = Listener(alice, "meeting:removed", *ROOM_EVENTS)
        heard_by_bob = Listener(bob, *ROOM_EVENTS)
        for client in (chair_socket, bob, alice):
            assert client.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        assert heard_by_bob.wait_for(
            lambda: any(ids["alice"] in p["present"] for p in heard_by_bob.of("meeting:presence")))

        chair = api(live_server, chair_token)
        res = chair.patch(f"{chair.base}/meetings/{mid}", json={"participant_ids": [ids["bob"]]})
        assert res.status_code == 200, res.text
        assert heard_by_alice.wait_for(lambda: heard_by_alice.of("meeting:removed"))
        assert heard_by_alice.of("meeting:removed") == [{"meeting_id": mid}]
        # the others see her leave; her attendance span is closed
        assert heard_by_bob.wait_for(
            lambda: heard_by_bob.of("meeting:presence")[-1]["present"] == sorted([ids["chair"], ids["bob"]]))
        assert ids["alice"] not in [row[0] for row in open_spans(live_server, mid)]
        before = len(heard_by_alice.events)

        # from now on the room goes on without her
        assert chair_socket.call("chat:send", {"meeting_id": mid, "body": "sau khi rút", "client_id": "c1"},
                                 timeout=10)["ok"]
        room_traffic(chair, mid, "Biên bản sau khi rút tên")
        assert heard_by_bob.wait_for(lambda: heard_by_bob.of("minutes:updated"))
        assert heard_by_bob.wait_for(lambda: heard_by_bob.of("chat:message"))
        time.sleep(0.5)
        assert heard_by_alice.events[before:] == []

        # and she cannot come back in nor act: the same answer as for a meeting that does not exist
        again = alice.call("meeting:join", {"meeting_id": mid}, timeout=10)
        assert again["ok"] is False and again["error"] == "not_found"
        sent = alice.call("chat:send", {"meeting_id": mid, "body": "vẫn còn đây?", "client_id": "c2"}, timeout=10)
        assert sent["ok"] is False and sent["error"] == "not_found"
        assert requests.get(f"{live_server.url}/api/v1/meetings/{mid}/messages",
                            headers={"Authorization": f"Bearer {alice_token}"}).status_code == 404
    finally:
        for client in (chair_socket, alice, bob):
            client.disconnect()


def test_removing_an_invited_agency_removes_its_people(live_server, live_db):
    from meetings import services

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP")
        health = f.agency(code="SYT")
        chair = f.user("leader", office, username="chair")
        f.user("officer", health, username="syt1")
        member = f.user("officer", office, username="alice")
        meeting = services.create_meeting(chair, {"title": "Giao ban", "starts_at": "2026-12-01T08:00",
                                                  "participant_ids": [member.id], "agency_ids": [health.id]})
        services.start_meeting(chair, meeting)
        mid = meeting.id
    officer = live_server.socket(token=live_server.token("syt1"))
    alice = live_server.socket(token=live_server.token("alice"))
    try:
        heard = Listener(officer, "meeting:removed", *ROOM_EVENTS)
        heard_by_alice = Listener(alice, *ROOM_EVENTS)
        assert officer.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        assert alice.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        chair_api = api(live_server, live_server.token("chair"))
        assert chair_api.patch(f"{chair_api.base}/meetings/{mid}", json={"agency_ids": []}).status_code == 200
        assert heard.wait_for(lambda: heard.of("meeting:removed"))
        before = len(heard.events)
        room_traffic(chair_api, mid, "Kết luận")
        assert heard_by_alice.wait_for(lambda: heard_by_alice.of("minutes:updated"))
        time.sleep(0.5)
        assert heard.events[before:] == []
    finally:
        officer.disconnect()
        alice.disconnect()


def test_a_leader_taken_off_the_list_keeps_the_room_they_may_still_join(live_server, live_db):
    """Membership follows authorization, not the list: leaders see every meeting."""
    from meetings import services

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP")
        chair = f.user("leader", office, username="chair")
        deputy = f.user("leader", office, username="deputy")
        meeting = services.create_meeting(chair, {"title": "Họp", "starts_at": "2026-12-01T08:00",
                                                  "participant_ids": [deputy.id]})
        services.start_meeting(chair, meeting)
        mid = meeting.id
    deputy_socket = live_server.socket(token=live_server.token("deputy"))
    try:
        heard = Listener(deputy_socket, "meeting:removed", "minutes:updated")
        assert deputy_socket.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        chair_api = api(live_server, live_server.token("chair"))
        assert chair_api.patch(f"{chair_api.base}/meetings/{mid}", json={"participant_ids": []}).status_code == 200
        room_traffic(chair_api, mid, "Vẫn theo dõi")
        assert heard.wait_for(lambda: heard.of("minutes:updated"))
        assert heard.of("meeting:removed") == []
    finally:
        deputy_socket.disconnect()


def test_removal_on_one_process_reaches_a_socket_on_another(tmp_path, pg_database):
    """Two processes behind one Redis: the chair's change on A takes Alice's socket on B out of the room."""
    need(redis_available(), "Redis")
    env = {"SOCKETIO_CHANNEL": new_channel()}
    a = LiveServer(tmp_path, database_url=pg_database, redis=redis_url(), env=env, name="a").start()
    b = LiveServer(tmp_path, async_mode="eventlet", database_url=pg_database, redis=redis_url(), env=env,
                   name="b").start()
    clients = []
    try:
        from core import create_app
        from core.extensions import db
        from meetings import services

        seed = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_database))
        with seed.app_context():
            f = Factory()
            office = f.agency(code="VP")
            chair = f.user("leader", office, username="chair")
            alice = f.user("officer", office, username="alice")
            bob = f.user("officer", office, username="bob")
            meeting = services.create_meeting(chair, {"title": "Họp hai máy", "starts_at": "2026-12-01T08:00",
                                                      "participant_ids": [alice.id, bob.id]})
            services.start_meeting(chair, meeting)
            mid, bob_id = meeting.id, bob.id
            db.session.remove()
            db.engine.dispose()

        alice_on_b = b.socket(token=b.token("alice"))
        bob_on_b = b.socket(token=b.token("bob"))
        clients += [alice_on_b, bob_on_b]
        heard_by_alice = Listener(alice_on_b, "meeting:removed", *ROOM_EVENTS)
        heard_by_bob = Listener(bob_on_b, *ROOM_EVENTS)
        assert alice_on_b.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        assert bob_on_b.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]

        chair_api = api(a, a.token("chair"))
        assert chair_api.patch(f"{chair_api.base}/meetings/{mid}",
                               json={"participant_ids": [bob_id]}).status_code == 200
        assert heard_by_alice.wait_for(lambda: heard_by_alice.of("meeting:removed"))
        before = len(heard_by_alice.events)
        room_traffic(chair_api, mid, "Chỉ còn Bình")
        assert heard_by_bob.wait_for(lambda: heard_by_bob.of("minutes:updated"))
        time.sleep(0.5)
        assert heard_by_alice.events[before:] == []
    finally:
        for client in clients:
            client.disconnect()
        a.stop()
        b.stop()


@pytest.mark.parametrize("change", ["deactivate", "move", "demote"])
def test_a_changed_account_leaves_every_room_it_no_longer_belongs_to(live_server, live_db, change):
    """Deactivated, moved to another agency or given another role: the sockets are closed (their
    presence ends for the others) and a new connection gets only the rooms of the new account."""
    from tests.realtime.helpers import wait_disconnected

    ids = seed_meeting(live_server, live_db)
    mid = ids["meeting_id"]
    with live_db(live_server):
        f = Factory()
        f.user("admin", None, username="quantri")
        other = f.agency(code="SXD")
        other_id = other.id
        if change == "demote":
            from auth.models import User
            from core.extensions import db

            db.session.get(User, ids["alice"]).role = "leader"
            db.session.commit()
    alice_token = live_server.token("alice")
    alice = live_server.socket(token=alice_token)
    bob = live_server.socket(token=live_server.token("bob"))
    try:
        heard_by_bob = Listener(bob, "meeting:presence")
        assert bob.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        assert alice.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        assert heard_by_bob.wait_for(
            lambda: any(ids["alice"] in p["present"] for p in heard_by_bob.of("meeting:presence")))
        admin = api(live_server, live_server.token("quantri"))
        body = {"deactivate": {"active": False}, "move": {"agency_id": other_id},
                "demote": {"role": "officer"}}[change]
        assert admin.patch(f"{admin.base}/users/{ids['alice']}", json=body).status_code == 200
        assert wait_disconnected(alice)
        assert heard_by_bob.wait_for(lambda: ids["alice"] not in heard_by_bob.of("meeting:presence")[-1]["present"])
        assert ids["alice"] not in [row[0] for row in open_spans(live_server, mid)]
        if change == "deactivate":
            with pytest.raises(socketio.exceptions.ConnectionError):  # a deactivated account is refused
                live_server.socket(token=alice_token)
            return
        # the new connection is in the new account's rooms only
        again = live_server.socket(token=alice_token)
        heard = Listener(again, "directive:new")
        chair = api(live_server, live_server.token("chair"))
        with live_db(live_server):
            from auth.models import User
            from core.extensions import db

            office_id = db.session.get(User, ids["chair"]).agency_id
        for agency_id in (office_id, other_id):
            res = chair.post(f"{chair.base}/directives", json={
                "title": f"Chỉ đạo {agency_id}", "body": "Nội dung", "deadline": "2027-01-15T17:00:00+07:00",
                "lead_agency_id": agency_id})
            assert res.status_code == 201, res.text
        expected = [other_id] if change == "move" else [office_id]
        assert heard.wait_for(lambda: len(heard.of("directive:new")) >= 1)
        time.sleep(0.5)
        got = [d["title"] for d in heard.of("directive:new")]
        assert got == [f"Chỉ đạo {a}" for a in expected]
        again.disconnect()
    finally:
        for client in (alice, bob):
            if client.connected:
                client.disconnect()

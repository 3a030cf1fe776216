"""A socket keeps the user it connected as (no user query per event), so every change to what that user may
do closes the user's sockets: right after the HTTP call that made it returns, the open socket can do nothing
more, and a new socket gets the changed account."""
import pytest
import requests
import socketio

from tests.conftest import PASSWORD, Factory
from tests.realtime.helpers import quick_ws_close, wait_disconnected  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


@pytest.fixture
def world(live_server, live_db):
    """A live meeting open to the health department and to every leader; who is who."""
    from meetings import services

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP", kind="provincial_office")
        health = f.agency(code="SYT")
        other = f.agency(code="SXD")
        chair = f.user("leader", office, username="chair")
        f.user("leader", office, username="deputy")  # not invited: a leader may join any meeting
        f.user("officer", health, username="syt1", full_name="Trần Thị An")
        f.user("admin", None, username="quantri")
        meeting = services.create_meeting(chair, {"title": "Giao ban", "starts_at": "2026-12-01T08:00",
                                                  "agency_ids": [health.id]})
        services.start_meeting(chair, meeting)
        from auth.models import User
        from core.extensions import db

        ids = {"meeting": meeting.id, "other_agency": other.id, "office": office.id}
        ids.update(db.session.execute(db.select(User.username, User.id)).all())
    return live_server, ids


def _join(sock, mid):
    """The join's ack, or None when the socket is (being) closed."""
    try:
        return sock.call("meeting:join", {"meeting_id": mid}, timeout=5)
    except (socketio.exceptions.BadNamespaceError, socketio.exceptions.TimeoutError,
            socketio.exceptions.DisconnectedError):
        return None


def _cannot_join(sock, mid):
    ack = _join(sock, mid)
    return ack is None or ack["ok"] is False


def _form(browser, server, path, **fields):
    """POST a page's form with the session's CSRF token; it answers with a redirect."""
    res = browser.post(server.url + path, data={**fields, "csrf_token": browser.csrf}, allow_redirects=False)
    assert res.status_code == 302, res.text


def _admin_patch(server, user_id, body):
    res = requests.patch(f"{server.url}/api/v1/users/{user_id}", json=body,
                         headers={"Authorization": f"Bearer {server.token('quantri')}"})
    assert res.status_code == 200, res.text


@pytest.mark.parametrize("change", ["demote", "deactivate", "new_password"])
def test_a_leader_changed_by_an_admin_loses_the_meeting_at_once(world, change):
    server, ids = world
    sock = server.socket(token=server.token("deputy"))
    assert _join(sock, ids["meeting"])["ok"]
    body = {"demote": {"role": "officer", "agency_id": ids["other_agency"]}, "deactivate": {"active": False},
            "new_password": {"password": "another-pass-9"}}[change]
    _admin_patch(server, ids["deputy"], body)
    assert _cannot_join(sock, ids["meeting"])
    assert wait_disconnected(sock)
    if change == "demote":  # the new socket has the new role: no longer a meeting it may join
        again = server.socket(token=server.token("deputy"))
        assert _join(again, ids["meeting"])["error"] == "not_found"
        again.disconnect()


def test_a_leader_whose_agency_stops_being_the_provincial_office_loses_the_meeting_at_once(world):
    """A leader of the provincial office is province-wide (may join any meeting); once the office is made a
    department, their open socket (its kept user, its rooms, its cached invitation check) is closed."""
    server, ids = world
    sock = server.socket(token=server.token("deputy"))
    assert _join(sock, ids["meeting"])["ok"]
    res = requests.patch(f"{server.url}/api/v1/agencies/{ids['office']}", json={"kind": "department"},
                         headers={"Authorization": f"Bearer {server.token('quantri')}"})
    assert res.status_code == 200, res.text
    assert wait_disconnected(sock)
    again = server.socket(token=server.token("deputy"))
    assert _join(again, ids["meeting"])["error"] == "not_found"
    again.disconnect()


def test_an_officer_moved_to_another_agency_keeps_no_socket_of_the_old_one(world):
    """Its rooms (agency:<id>) came from the old agency: closed at once (test_access_revoked: the new rooms)."""
    server, ids = world
    sock = server.socket(token=server.token("syt1"))
    assert _join(sock, ids["meeting"])["ok"]
    _admin_patch(server, ids["syt1"], {"agency_id": ids["other_agency"]})
    assert _cannot_join(sock, ids["meeting"])
    assert wait_disconnected(sock)


def test_changing_ones_own_password_or_signing_out_everywhere_closes_every_socket(world):
    server, ids = world
    browser = server.session("syt1")
    by_cookie = server.socket(session=browser)
    by_token = server.socket(token=server.token("syt1"))
    _form(browser, server, "/account/password", current_password=PASSWORD, new_password="another-pass-9",
          confirm_password="another-pass-9")
    for sock in (by_cookie, by_token):
        assert _cannot_join(sock, ids["meeting"])
        assert wait_disconnected(sock)

    browser = server.session("deputy")
    sock = server.socket(token=server.token("deputy"))
    _form(browser, server, "/account/sign-out-everywhere")
    assert _cannot_join(sock, ids["meeting"])


def test_a_logout_or_a_revoked_token_closes_its_socket_before_the_answer(world):
    server, ids = world
    browser = server.session("syt1")
    by_cookie = server.socket(session=browser)
    token = server.token("syt1")
    by_token = server.socket(token=token)
    assert _join(by_cookie, ids["meeting"])["ok"] and _join(by_token, ids["meeting"])["ok"]
    _form(browser, server, "/logout")
    assert _cannot_join(by_cookie, ids["meeting"])
    assert _join(by_token, ids["meeting"])["ok"]  # another login's socket is not touched
    res = requests.delete(server.url + "/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 204
    assert _cannot_join(by_token, ids["meeting"])


def test_a_new_name_reaches_the_chat_through_a_new_socket(world):
    """The socket keeps the name it connected with: a profile change closes it, the next one has the new name."""
    server, ids = world
    browser = server.session("syt1")
    sock = server.socket(session=browser)
    assert _join(sock, ids["meeting"])["ok"]
    _form(browser, server, "/account", full_name="Trần Thị Bình", email="")
    assert wait_disconnected(sock)
    again = server.socket(session=browser)
    assert _join(again, ids["meeting"])["ok"]
    ack = again.call("chat:send", {"meeting_id": ids["meeting"], "body": "Xin chào", "client_id": "c1"}, timeout=10)
    assert ack["ok"] and ack["message"]["author"]["full_name"] == "Trần Thị Bình"
    again.disconnect()

"""Directives live, against a real server process with real Socket.IO clients."""
import threading
import time

import pytest
import requests

from tests.realtime.helpers import quick_ws_close  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


class Inbox:
    """Collects the events one client receives."""

    def __init__(self, client, *names):
        self.events = []
        self.cond = threading.Condition()
        for name in names:
            client.on(name, lambda data, name=name: self._got(name, data))

    def _got(self, name, data):
        with self.cond:
            self.events.append((name, data))
            self.cond.notify_all()

    def wait_for(self, name, pred=lambda d: True, timeout=10):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for n, d in self.events:
                    if n == name and pred(d):
                        return d
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def names(self):
        with self.cond:
            return [n for n, _d in self.events]


@pytest.fixture
def province(live_server, live_db):
    from tests.conftest import Factory

    with live_db(live_server):
        f = Factory()
        syt, sgd, hds = (
            f.agency("SYT", "Sở Y tế"),
            f.agency("SGD", "Sở Giáo dục"),
            f.agency("HDS", "UBND huyện Đông Sơn"),
        )
        f.user("leader", username="lead1")
        f.user("officer", syt, username="syt1")
        f.user("officer", sgd, username="sgd1")
        f.user("officer", hds, username="hds1")
        ids = {"syt": syt.id, "sgd": sgd.id, "hds": hds.id}
    return ids


def test_officers_of_assigned_agencies_get_directive_new_others_do_not(live_server, province):
    lead_token = live_server.token("lead1")
    clients, inboxes = {}, {}
    for name in ("syt1", "sgd1", "hds1"):
        clients[name] = live_server.socket(token=live_server.token(name))
        inboxes[name] = Inbox(clients[name], "directive:new", "notification:new", "assignment:updated")
    try:
        res = requests.post(live_server.url + "/api/v1/directives", headers={"Authorization": f"Bearer {lead_token}"},
                            json={"title": "Ứng phó bão số 9", "body": "Khẩn trương",
                                  "deadline": "2099-01-01T08:00:00+07:00",
                                  "priority": "urgent", "lead_agency_id": province["syt"],
                                  "support_agency_ids": [province["sgd"]]})
        assert res.status_code == 201, res.text
        d = res.json()
        by_agency = {a["agency_id"]: a["id"] for a in d["assignments"]}
        got = inboxes["syt1"].wait_for("directive:new")
        assert got == {"directive_id": d["id"], "assignment_id": by_agency[province["syt"]],
                       "title": "Ứng phó bão số 9", "deadline": "2099-01-01T01:00:00+00:00", "priority": "urgent",
                       "parent_id": None}
        assert inboxes["sgd1"].wait_for("directive:new")["assignment_id"] == by_agency[province["sgd"]]
        assert inboxes["syt1"].wait_for("notification:new")["link"] == f"/directives/{d['id']}"
        time.sleep(0.5)  # give a wrong delivery time to arrive
        assert inboxes["hds1"].names() == []
    finally:
        for c in clients.values():
            c.disconnect()


@pytest.mark.parametrize("live_server", ["gevent", "eventlet"], indirect=True)
def test_acknowledge_over_the_socket_reaches_the_leader(live_server, province):
    lead_token = live_server.token("lead1")
    leader = live_server.socket(token=lead_token)
    leader_inbox = Inbox(leader, "assignment:updated")
    officer = live_server.socket(token=live_server.token("syt1"))
    officer_inbox = Inbox(officer, "assignment:updated")
    outsider = live_server.socket(token=live_server.token("hds1"))
    outsider_inbox = Inbox(outsider, "assignment:updated")
    try:
        res = requests.post(live_server.url + "/api/v1/directives", headers={"Authorization": f"Bearer {lead_token}"},
                            json={"title": "Báo cáo số liệu tiêm chủng", "body": "",
                                  "deadline": "2099-01-01T08:00:00+07:00", "lead_agency_id": province["syt"]})
        a_id = res.json()["assignments"][0]["id"]
        ack = officer.call("directive:seen", {"assignment_id": a_id}, timeout=10)
        assert ack["ok"] and ack["first_seen_at"]
        ack = officer.call("assignment:acknowledge", {"assignment_id": a_id}, timeout=10)
        assert ack["ok"] and ack["assignment"]["status"] == "acknowledged"
        again = officer.call("assignment:acknowledge", {"assignment_id": a_id}, timeout=10)
        assert again["assignment"]["acknowledged_at"] == ack["assignment"]["acknowledged_at"]
        update = leader_inbox.wait_for("assignment:updated", lambda d: d["status"] == "acknowledged")
        assert update == {"directive_id": res.json()["id"], "assignment_id": a_id, "agency_id": province["syt"],
                          "status": "acknowledged", "tracking": "on_track", "parent_id": None}
        assert officer_inbox.wait_for("assignment:updated", lambda d: d["status"] == "acknowledged")
        # the leader is in its own room and the leaders' room: still one delivery per change
        acks = [d for n, d in leader_inbox.events if d["status"] == "acknowledged"]
        assert len(acks) == 1
        refused = outsider.call("assignment:acknowledge", {"assignment_id": a_id}, timeout=10)
        assert refused == {"ok": False, "error": "not_found", "message": refused["message"]}
        time.sleep(0.3)
        assert outsider_inbox.names() == []
    finally:
        for c in (leader, officer, outsider):
            c.disconnect()


def test_a_correction_reaches_every_affected_agency_at_once(live_server, province):
    """PATCH /directives/<id>: the agency still on it hears directive:updated (and its bell rings), the
    agency added hears directive:new, the agency taken off hears it was taken off; others hear nothing."""
    lead_token = live_server.token("lead1")
    auth = {"Authorization": f"Bearer {lead_token}"}
    res = requests.post(live_server.url + "/api/v1/directives", headers=auth,
                        json={"title": "Kiểm tra an toàn thực phẩm", "body": "",
                              "deadline": "2099-01-01T08:00:00+07:00",
                              "lead_agency_id": province["syt"], "support_agency_ids": [province["sgd"]]})
    assert res.status_code == 201, res.text
    d = res.json()
    by_agency = {a["agency_id"]: a["id"] for a in d["assignments"]}
    names = ("directive:updated", "directive:new", "assignment:updated", "notification:new")
    clients = {name: live_server.socket(token=live_server.token(name)) for name in ("syt1", "sgd1", "hds1")}
    inboxes = {name: Inbox(client, *names) for name, client in clients.items()}
    leader = live_server.socket(token=lead_token)
    leader_inbox = Inbox(leader, "directive:updated")
    try:
        res = requests.patch(live_server.url + f"/api/v1/directives/{d['id']}", headers=auth,
                             json={"title": "Kiểm tra ATTP dịp Tết", "deadline": "2099-02-01T08:00:00+07:00",
                                   "support_agency_ids": [province["hds"]], "reason": "Mở rộng địa bàn"})
        assert res.status_code == 200, res.text
        kept = inboxes["syt1"].wait_for("directive:updated")
        assert kept == {"directive_id": d["id"], "number": d["number"], "assignment_id": by_agency[province["syt"]],
                        "agency_id": province["syt"], "title": "Kiểm tra ATTP dịp Tết",
                        "deadline": "2099-02-01T01:00:00+00:00", "priority": "normal", "status": "pending",
                        "changed": ["deadline", "support_agency_ids", "title"], "reason": "Mở rộng địa bàn",
                        "removed": False}
        bell = inboxes["syt1"].wait_for("notification:new")
        assert bell["link"] == f"/directives/{d['id']}" and "Mở rộng địa bàn" in bell["text"]
        added = inboxes["hds1"].wait_for("directive:new")
        assert added["directive_id"] == d["id"] and added["title"] == "Kiểm tra ATTP dịp Tết"
        off = inboxes["sgd1"].wait_for("directive:updated")
        assert off["removed"] is True and off["status"] == "cancelled"
        assert inboxes["sgd1"].wait_for("assignment:updated", lambda m: m["status"] == "cancelled")
        assert leader_inbox.wait_for("directive:updated")["changed"] == ["deadline", "support_agency_ids", "title"]
        time.sleep(0.3)
        assert "directive:new" not in inboxes["syt1"].names() and "directive:updated" not in inboxes["hds1"].names()
    finally:
        for c in list(clients.values()) + [leader]:
            c.disconnect()

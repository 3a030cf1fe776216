"""Meeting outcomes over a real server: minutes, votes and speakers reach the room live; a conclusion
turned into a directive reaches the lead agency's officer at once (directive:new)."""
import threading
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from tests.realtime.helpers import quick_ws_close  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


class Inbox:
    """Collects events of one socket client; wait() blocks until a matching one arrives."""

    def __init__(self, client, *events):
        self.items = []
        self.cond = threading.Condition()
        for name in events:
            client.on(name, self._collector(name))

    def _collector(self, name):
        def collect(payload):
            with self.cond:
                self.items.append((name, payload))
                self.cond.notify_all()
        return collect

    def wait(self, name, pred=lambda p: True, timeout=10):
        with self.cond:
            ok = self.cond.wait_for(lambda: any(n == name and pred(p) for n, p in self.items), timeout)
        assert ok, f"no {name} arrived; got {[n for n, _p in self.items]}"
        return next(p for n, p in self.items if n == name and pred(p))


def seed(live_db, server):
    from core.extensions import db
    from meetings.models import Meeting, Participant
    from tests.conftest import Factory

    with live_db(server):
        f = Factory()
        office = f.agency(code="VPUB", name="Văn phòng UBND tỉnh", kind="provincial_office")
        health = f.agency(code="SYT", name="Sở Y tế")
        chair = f.user("leader", username="chair", full_name="Chủ tịch")
        secretary = f.user("officer", agency=office, username="sec", full_name="Thư ký")
        member = f.user("officer", agency=office, username="member", full_name="Đại biểu")
        f.user("officer", agency=health, username="syt1", full_name="Cán bộ Sở Y tế")
        f.user("officer", agency=health, username="outsider", full_name="Người ngoài")
        meeting = Meeting(title="Họp giao ban", starts_at=utcnow(), chair_id=chair.id, secretary_id=secretary.id,
                          status="live", started_at=utcnow(), created_by_id=chair.id)
        db.session.add(meeting)
        db.session.flush()
        for user, role in ((chair, "chair"), (secretary, "secretary"), (member, "member")):
            db.session.add(Participant(meeting_id=meeting.id, user_id=user.id, role=role))
        db.session.commit()
        return meeting.id, health.id


@pytest.mark.parametrize("live_server", ["gevent", "eventlet"], indirect=True)
def test_outcomes_reach_the_room_and_the_agency_live(live_server, live_db):
    meeting_id, health_id = seed(live_db, live_server)
    tokens = {name: live_server.token(name) for name in ("chair", "sec", "member", "syt1", "outsider")}
    member = live_server.socket(token=tokens["member"])
    officer = live_server.socket(token=tokens["syt1"])
    chair = live_server.socket(token=tokens["chair"])
    room_inbox = Inbox(member, "minutes:updated", "vote:opened", "vote:tally", "vote:closed", "speakers:updated",
                       "conclusions:updated")
    agency_inbox = Inbox(officer, "directive:new")
    try:
        assert member.call("meeting:join", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        assert chair.call("meeting:join", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        api = live_server.url + f"/api/v1/meetings/{meeting_id}"
        import requests

        sec = {"Authorization": f"Bearer {tokens['sec']}"}
        # minutes: the secretary writes, the member sees it (sanitised HTML alongside the Markdown)
        res = requests.put(api + "/minutes", json={"body": "**Khai mạc** <script>x()</script>", "base_version": 0},
                           headers=sec)
        assert res.status_code == 200 and res.json() == {"version": 1}
        got = room_inbox.wait("minutes:updated")
        assert got["version"] == 1 and got["meeting_id"] == meeting_id and got["status"] == "draft"
        assert "<strong>Khai mạc</strong>" in got["html"] and "<script" not in got["html"]
        # votes over sockets with acks
        ack = chair.call("vote:open", {"meeting_id": meeting_id, "question": "Thông qua?", "anonymous": True},
                         timeout=10)
        assert ack["ok"] is True
        vote_id = ack["vote"]["id"]
        assert room_inbox.wait("vote:opened")["id"] == vote_id
        assert member.call("vote:cast", {"vote_id": vote_id, "choice": 0}, timeout=10)["vote"]["my_choice"] == 0
        tally = room_inbox.wait("vote:tally")
        assert tally["counts"] == [1, 0, 0] and "ballot" not in tally and "ballots" not in tally
        assert member.call("vote:close", {"vote_id": vote_id}, timeout=10)["error"] == "forbidden"
        assert chair.call("vote:close", {"vote_id": vote_id}, timeout=10)["vote"]["status"] == "closed"
        assert room_inbox.wait("vote:closed")["counts"] == [1, 0, 0]
        assert member.call("vote:cast", {"vote_id": vote_id, "choice": 1}, timeout=10)["error"] == "vote_closed"
        # authorization and validation in the acks
        outsider = live_server.socket(token=tokens["outsider"])
        try:
            assert outsider.call("vote:cast", {"vote_id": vote_id, "choice": 0}, timeout=10)["error"] == "not_found"
            assert outsider.call("speakers:raise", {"meeting_id": meeting_id}, timeout=10)["error"] == "not_found"
            ack = outsider.call("vote:open", {"meeting_id": meeting_id, "question": "x"}, timeout=10)
            assert ack["error"] == "not_found"
        finally:
            outsider.disconnect()
        bad = chair.call("vote:open", {"meeting_id": meeting_id, "question": ""}, timeout=10)
        assert bad["ok"] is False and bad["error"] == "invalid" and "question" in bad["fields"]
        assert chair.call("vote:open", {"meeting_id": "abc"}, timeout=10)["ok"] is False
        # the speaker queue
        assert member.call("speakers:raise", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        queued = room_inbox.wait("speakers:updated", lambda p: len(p["queue"]) == 1)
        request_id = queued["queue"][0]["id"]
        assert member.call("speakers:grant", {"request_id": request_id}, timeout=10)["error"] == "forbidden"
        assert chair.call("speakers:grant", {"request_id": request_id}, timeout=10)["ok"] is True
        assert room_inbox.wait("speakers:updated", lambda p: p["current"] is not None)["current"]["id"] == request_id
        # the chair lowers every waiting hand at once; the one speaking keeps the floor
        assert chair.call("speakers:raise", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        assert member.call("speakers:lower_all", {"meeting_id": meeting_id}, timeout=10)["error"] == "forbidden"
        lowered = chair.call("speakers:lower_all", {"meeting_id": meeting_id}, timeout=10)
        assert lowered["ok"] and lowered["lowered"] == 1 and lowered["speakers"]["queue"] == []
        assert lowered["speakers"]["current"]["id"] == request_id
        assert room_inbox.wait("speakers:updated", lambda p: p["queue"] == [] and p["current"])
        # a conclusion becomes a directive: the lead agency's officer gets directive:new at once
        res = requests.post(api + "/conclusions", json={"text": "Sở Y tế rà soát số liệu tiêm chủng."}, headers=sec)
        assert res.status_code == 201
        conclusion_id = res.json()["id"]
        room_inbox.wait("conclusions:updated")
        deadline = (utcnow() + timedelta(days=7)).isoformat()
        res = requests.post(live_server.url + f"/api/v1/conclusions/{conclusion_id}/directive",
                            json={"lead_agency_id": health_id, "deadline": deadline},
                            headers={"Authorization": f"Bearer {tokens['chair']}"})
        assert res.status_code == 201, res.text
        directive = res.json()
        assert directive["source_meeting_id"] == meeting_id
        new = agency_inbox.wait("directive:new")
        assert new["directive_id"] == directive["id"] and new["title"] == "Sở Y tế rà soát số liệu tiêm chủng."
        linked = room_inbox.wait("conclusions:updated", lambda p: p["items"] and p["items"][0]["directive_ids"])
        assert linked["items"][0]["directive_ids"] == [directive["id"]]
    finally:
        for client in (member, officer, chair):
            client.disconnect()

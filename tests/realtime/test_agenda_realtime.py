"""Agenda control over a real server (issue 13): the chair or the secretary opens the item under discussion with
agenda:open and closes it with agenda:close; the room hears agenda:updated after commit and the minutes get the
item's heading once; a participant is forbidden, anyone not invited not_found, and nothing moves; after a
reconnect the state is read again, as the room does."""
import pytest
import requests

from core.dbtypes import utcnow
from tests.realtime.helpers import Recorder, close, quick_ws_close  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


def seed(live_db, server):
    from core.extensions import db
    from meetings.models import AgendaItem, Meeting, Participant
    from tests.conftest import Factory

    with live_db(server):
        f = Factory()
        office = f.agency(code="VPUB", name="Văn phòng UBND tỉnh", kind="provincial_office")
        chair = f.user("leader", username="chair", full_name="Chủ tịch")
        secretary = f.user("officer", agency=office, username="sec", full_name="Thư ký")
        member = f.user("officer", agency=office, username="member", full_name="Đại biểu")
        f.user("officer", agency=office, username="outsider", full_name="Người ngoài")
        f.user("leader", username="vice", full_name="Phó Chủ tịch")
        meeting = Meeting(title="Họp giao ban", starts_at=utcnow(), chair_id=chair.id, secretary_id=secretary.id,
                          status="live", started_at=utcnow(), created_by_id=chair.id)
        db.session.add(meeting)
        db.session.flush()
        items = [AgendaItem(meeting_id=meeting.id, position=1, title="Đầu tư công", presenter_id=member.id,
                            planned_minutes=20),
                 AgendaItem(meeting_id=meeting.id, position=2, title="Phòng chống thiên tai", planned_minutes=15)]
        db.session.add_all(items)
        for user, role in ((chair, "chair"), (secretary, "secretary"), (member, "member")):
            db.session.add(Participant(meeting_id=meeting.id, user_id=user.id, role=role))
        db.session.commit()
        return meeting.id, [i.id for i in items]


def test_agenda_open_and_close_reach_the_room_head_the_minutes_once_and_survive_a_reconnect(live_server, live_db):
    meeting_id, (first, second) = seed(live_db, live_server)
    tokens = {n: live_server.token(n) for n in ("chair", "sec", "member", "outsider", "vice")}
    chair = live_server.socket(token=tokens["chair"])
    member = live_server.socket(token=tokens["member"])
    clients = [chair, member]

    def call(client, event, **payload):
        return client.call(event, {"meeting_id": meeting_id, **payload}, timeout=10)

    def api(name, path):
        res = requests.get(f"{live_server.url}/api/v1/meetings/{meeting_id}/{path}",
                           headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=10)
        assert res.status_code == 200, res.text
        return res.json()

    try:
        for c in clients:
            assert call(c, "meeting:join")["ok"] is True
        heard = Recorder(member, "agenda:updated", "minutes:updated")

        ack = call(chair, "agenda:open", item_id=first)
        assert ack["ok"] is True and ack["agenda"]["current_item_id"] == first
        got = heard.wait_for("agenda:updated", where=lambda p: p["current_item_id"] == first)
        item = got["items"][0]
        assert item["presenter"]["full_name"] == "Đại biểu" and item["planned_minutes"] == 20 and item["opened_at"]
        assert got["now"]
        assert heard.wait_for("minutes:updated")["body"] == "## 1. Đầu tư công\n"

        # the secretary moves on: item 1 closes, item 2 is current, its heading follows the first
        sec = live_server.socket(token=tokens["sec"])
        clients.append(sec)
        assert call(sec, "agenda:open", item_id=second)["agenda"]["current_item_id"] == second
        got = heard.wait_for("agenda:updated", where=lambda p: p["current_item_id"] == second)
        assert got["items"][0]["closed_at"] and not got["items"][1]["closed_at"]
        heard.wait_for("minutes:updated", where=lambda p: p["version"] == 2)
        # opening the current item again: same state, no second heading
        assert call(chair, "agenda:open", item_id=second)["agenda"]["current_item_id"] == second
        minutes = api("member", "minutes")
        assert minutes["version"] == 2
        assert minutes["body"] == "## 1. Đầu tư công\n\n## 2. Phòng chống thiên tai\n"

        # refusals: nothing moves
        assert call(member, "agenda:open", item_id=first)["error"] == "forbidden"
        assert call(member, "agenda:close")["error"] == "forbidden"
        assert call(chair, "agenda:open", item_id=999999)["error"] == "not_found"
        assert call(chair, "agenda:open", item_id="x")["error"] == "bad_request"
        for name in ("outsider", "vice"):  # not invited: as if the meeting did not exist
            stranger = live_server.socket(token=tokens[name])
            clients.append(stranger)
            assert call(stranger, "agenda:open", item_id=first)["error"] == "not_found"
            assert call(stranger, "agenda:close")["error"] == "not_found"
        assert api("chair", "agenda")["current_item_id"] == second

        # the member drops; meanwhile the chair closes the item; back, the member reads the state again
        member.disconnect()
        clients.remove(member)
        closed = call(chair, "agenda:close")
        assert closed["ok"] is True and closed["agenda"]["current_item_id"] is None
        again = live_server.socket(token=tokens["member"])
        clients.append(again)
        assert call(again, "meeting:join")["ok"] is True
        state = api("member", "agenda")
        assert state["current_item_id"] is None and all(i["closed_at"] for i in state["items"])
        assert api("member", "minutes")["version"] == 2  # closing writes no heading
    finally:
        close(*clients)

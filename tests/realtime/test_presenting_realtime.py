"""Presenting a paper over a real server (issue 13): the presenter's document:present, document:page and
document:stop reach everyone in the room; the state is kept, so a late joiner asks document:state and lands on the
current page; a participant who does not present gets forbidden, anyone else not_found, and nothing moves."""
import pytest
import requests

from core.dbtypes import utcnow
from tests.pdf_support import make_pdf
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
        presenter = f.user("officer", agency=office, username="presenter", full_name="Giám đốc Sở KHĐT")
        member = f.user("officer", agency=office, username="member", full_name="Đại biểu")
        f.user("officer", agency=office, username="outsider", full_name="Người ngoài")
        f.user("leader", username="vice", full_name="Phó Chủ tịch")
        meeting = Meeting(title="Họp giao ban", starts_at=utcnow(), chair_id=chair.id, secretary_id=secretary.id,
                          status="live", started_at=utcnow(), created_by_id=chair.id)
        db.session.add(meeting)
        db.session.flush()
        db.session.add(AgendaItem(meeting_id=meeting.id, position=1, title="Đầu tư công", presenter_id=presenter.id))
        for user, role in ((chair, "chair"), (secretary, "secretary"), (presenter, "member"), (member, "member")):
            db.session.add(Participant(meeting_id=meeting.id, user_id=user.id, role=role))
        db.session.commit()
        return meeting.id


def upload(server, token, meeting_id, name, **fields):
    res = requests.post(f"{server.url}/api/v1/meetings/{meeting_id}/documents",
                        headers={"Authorization": f"Bearer {token}"},
                        files={"file": (name, make_pdf(5), "application/pdf")}, data=fields, timeout=10)
    assert res.status_code == 201, res.text
    return res.json()["id"]


def test_the_presenters_pages_reach_the_room_and_a_late_joiner_lands_on_the_current_page(live_server, live_db):
    meeting_id = seed(live_db, live_server)
    tokens = {n: live_server.token(n) for n in ("chair", "presenter", "member", "outsider", "vice", "sec")}
    doc = upload(live_server, tokens["chair"], meeting_id, "Báo cáo.pdf")
    secret = upload(live_server, tokens["chair"], meeting_id, "Mật.pdf", restricted="1")
    presenter = live_server.socket(token=tokens["presenter"])
    member = live_server.socket(token=tokens["member"])
    clients = [presenter, member]
    try:
        for c in clients:
            assert c.call("meeting:join", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        seen = Recorder(member, "document:present", "document:page", "document:stop")

        ack = presenter.call("document:present", {"meeting_id": meeting_id, "document_id": doc}, timeout=10)
        assert ack["ok"] is True and ack["presenting"]["page"] == 1
        assert ack["presenting"]["document"]["id"] == doc and ack["presenting"]["presenter"]["full_name"]
        got = seen.wait_for("document:present")
        assert got["presenting"]["document"]["view_url"] == f"/meetings/documents/{doc}/file"

        for page in (2, 3):
            assert presenter.call("document:page", {"meeting_id": meeting_id, "page": page,
                                                    "document_id": doc}, timeout=10)["ok"] is True
            assert seen.wait_for("document:page", where=lambda p, n=page: p["page"] == n)["document_id"] == doc

        # refusals: nothing moves
        def refused(client, event, payload):
            return client.call(event, {"meeting_id": meeting_id, **payload}, timeout=10)

        assert refused(member, "document:page", {"page": 5})["error"] == "forbidden"
        assert refused(member, "document:present", {"document_id": doc})["error"] == "forbidden"
        assert refused(member, "document:stop", {})["error"] == "forbidden"
        assert refused(presenter, "document:page", {"page": 0})["error"] == "invalid"
        assert refused(presenter, "document:page", {"page": "2"})["error"] == "invalid"
        assert refused(presenter, "document:page", {"page": 4, "document_id": doc + 99})["error"] == "stale"
        assert refused(presenter, "document:present", {"document_id": "x"})["error"] == "bad_request"
        sec = live_server.socket(token=tokens["sec"])
        clients.append(sec)
        assert refused(sec, "document:present",
                       {"document_id": secret})["error"] == "restricted"  # restricted: never to the whole room
        for name in ("outsider", "vice"):  # not invited: as if the meeting did not exist
            stranger = live_server.socket(token=tokens[name])
            clients.append(stranger)
            for event, payload in (("document:present", {"document_id": doc}), ("document:page", {"page": 1}),
                                   ("document:stop", {}), ("document:state", {})):
                assert refused(stranger, event, payload)["error"] == "not_found"
            assert refused(stranger, "document:state", {})["ok"] is False

        # a late joiner asks for the state and lands on page 3
        late = live_server.socket(token=tokens["chair"])
        clients.append(late)
        assert late.call("meeting:join", {"meeting_id": meeting_id}, timeout=10)["ok"] is True
        state = late.call("document:state", {"meeting_id": meeting_id}, timeout=10)
        assert state["ok"] is True and state["presenting"]["page"] == 3 and state["presenting"]["document"]["id"] == doc

        # the chair takes over with the same paper and then stops: everyone is told
        assert late.call("document:page", {"meeting_id": meeting_id, "page": 4}, timeout=10)["ok"] is True
        seen.wait_for("document:page", where=lambda p: p["page"] == 4)
        assert late.call("document:stop", {"meeting_id": meeting_id}, timeout=10) == {
            "ok": True, "meeting_id": meeting_id, "presenting": None}
        seen.wait_for("document:stop")
        assert member.call("document:state", {"meeting_id": meeting_id}, timeout=10)["presenting"] is None
        assert refused(presenter, "document:page", {"page": 2})["error"] == "not_presenting"
    finally:
        close(*clients)

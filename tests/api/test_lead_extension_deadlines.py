"""An extension granted to the lead agency: the directive shows the lead's current deadline (the one
given at issue struck through), and supporting agencies that had the lead's deadline move with it,
each with a history row saying why."""
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from directives import extensions, services
from directives.models import AssignmentEvent
from tests.conftest import login

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)  # 20/12/2026 17:00 in Hà Nội
EXTENDED = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # 31/12/2026 17:00
OWN = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # 25/12/2026 17:00


@pytest.fixture
def world(factory):
    syt, sgd, stc, sxd = (factory.agency("SYT", "Sở Y tế"), factory.agency("SGD", "Sở Giáo dục"),
                          factory.agency("STC", "Sở Tài chính"), factory.agency("SXD", "Sở Xây dựng"))
    w = {
        "leader": factory.user("leader", username="chutich", full_name="Nguyễn Văn Minh"),
        "syt1": factory.user("officer", syt, username="syt1"),
        "sgd1": factory.user("officer", sgd, username="sgd1"),
        "stc1": factory.user("officer", stc, username="stc1"),
        "sxd1": factory.user("officer", sxd, username="sxd1"),
    }
    d = services.issue_directive(w["leader"], {
        "title": "Tiêm chủng mở rộng", "deadline": DEADLINE.isoformat(), "lead_agency_id": syt.id,
        "support_agency_ids": [sgd.id, stc.id, sxd.id]}, now=T0)
    by_agency = {a.agency.code: a for a in d.assignments}
    w.update(directive=d, lead=by_agency["SYT"], same=by_agency["SGD"], own=by_agency["STC"], done=by_agency["SXD"])
    # STC got its own extension first; SXD finished before the lead asked for more time
    ext = extensions.request_extension(w["stc1"], w["own"], {"deadline": OWN.isoformat(), "reason": "Chờ số liệu"},
                                     now=T0 + timedelta(days=1))
    extensions.approve_extension(w["leader"], ext, now=T0 + timedelta(days=1, hours=1))
    services.acknowledge(w["sxd1"], w["done"], now=T0 + timedelta(hours=3))
    services.submit(w["sxd1"], w["done"], {"note": "Đã xong"}, now=T0 + timedelta(days=2))
    services.accept(w["leader"], w["done"], now=T0 + timedelta(days=2, hours=1))
    return w


def extend_lead(w):
    ext = extensions.request_extension(w["syt1"], w["lead"], {"deadline": EXTENDED.isoformat(),
                                                            "reason": "Thiếu vắc-xin"}, now=T0 + timedelta(days=3))
    extensions.approve_extension(w["leader"], ext, now=T0 + timedelta(days=4))
    return ext


def test_supporting_agencies_on_the_leads_deadline_move_with_its_extension(world):
    ext = extend_lead(world)
    assert world["lead"].deadline == EXTENDED
    assert world["same"].deadline == EXTENDED  # had the lead's deadline: moves with it
    assert world["own"].deadline == OWN  # its own, different deadline stays
    assert world["done"].deadline == DEADLINE  # finished: its record is not rewritten
    follow = [e for e in world["same"].events if e.action == "deadline_follow"]
    assert len(follow) == 1
    assert follow[0].actor_id == world["leader"].id
    assert follow[0].data["old_deadline"] == DEADLINE.isoformat()
    assert follow[0].data["new_deadline"] == EXTENDED.isoformat()
    assert follow[0].data["lead_assignment_id"] == world["lead"].id and follow[0].data["extension_id"] == ext.id
    assert not [e for e in world["own"].events + world["done"].events if e.action == "deadline_follow"]
    # the supporting agency's officers are told
    from notifications.models import Notification

    told = [n for n in Notification.query.filter_by(user_id=world["sgd1"].id) if "31/12/2026 17:00" in n.text]
    assert told


def test_a_pending_request_made_moot_by_the_move_cannot_pull_the_deadline_back(world):
    ext = extensions.request_extension(world["sgd1"], world["same"], {
        "deadline": (DEADLINE + timedelta(days=3)).isoformat(), "reason": "Cần thêm thời gian"},
        now=T0 + timedelta(days=2, hours=12))
    extend_lead(world)
    assert world["same"].deadline == EXTENDED
    from core.errors import Conflict

    with pytest.raises(Conflict):
        extensions.approve_extension(world["leader"], ext, now=T0 + timedelta(days=5))
    assert world["same"].deadline == EXTENDED


def _header_deadline(html):
    match = re.search(r'<dd[^>]*id="directive-deadline"[^>]*>(.*?)</dd>', html, re.S)
    assert match, "no deadline in the directive's header"
    return re.sub(r"\s+", " ", match.group(1))


def test_directive_page_shows_the_leads_current_deadline_and_the_original_struck_through(client, world):
    login(client, world["leader"])
    before = _header_deadline(client.get(f"/directives/{world['directive'].id}").get_data(as_text=True))
    assert "20/12/2026 17:00" in before and "<s" not in before
    extend_lead(world)
    html = client.get(f"/directives/{world['directive'].id}").get_data(as_text=True)
    header = _header_deadline(html)
    assert header.index("31/12/2026 17:00") < header.index("20/12/2026 17:00")
    assert re.search(r"gia hạn từ <s>20/12/2026 17:00</s>", header)  # the deadline given at issue, struck
    # the agencies' table says why the supporting agency's deadline moved, and why another is earlier
    same_row = re.search(rf'id="agency-row-{world["same"].id}".*?</tr>', html, re.S).group(0)
    assert "31/12/2026 17:00" in same_row
    assert "theo gia hạn của đơn vị chủ trì, từ <s>20/12/2026 17:00</s>" in same_row
    own_row = re.search(rf'id="agency-row-{world["own"].id}".*?</tr>', html, re.S).group(0)
    assert "25/12/2026 17:00" in own_row and "gia hạn từ <s>20/12/2026 17:00</s>" in own_row
    assert "sớm hơn hạn của đơn vị chủ trì (31/12/2026 17:00)" in own_row
    done_row = re.search(rf'id="agency-row-{world["done"].id}".*?</tr>', html, re.S).group(0)
    assert "deadline-note" not in done_row  # finished on the deadline it had: nothing to explain
    # the history shows the move as a consequence of the lead's extension
    assert "Dời hạn theo đơn vị chủ trì" in html
    # an open page refreshes its header's deadline with the live parts
    live = client.get(f"/directives/{world['directive'].id}/live").get_data(as_text=True)
    assert _header_deadline(live) == header


def test_list_page_and_export_show_the_leads_current_deadline(client, world):
    extend_lead(world)
    login(client, world["leader"])
    html = client.get("/directives").get_data(as_text=True)
    assert "31/12/2026 17:00" in html
    ws = load_workbook(io.BytesIO(client.get("/directives/export.xlsx").data)).active
    assert ws.cell(row=3, column=7).value == "Hạn xử lý"
    assert ws.cell(row=4, column=7).value == datetime(2026, 12, 31, 17, 0)


def test_supporting_agencys_history_export_names_the_leads_extension(client, world):
    extend_lead(world)
    login(client, world["leader"])
    ws = load_workbook(io.BytesIO(client.get(f"/assignments/{world['same'].id}/history.xlsx").data)).active
    last = [c.value for c in ws[ws.max_row]]
    assert last[2] == "Dời hạn theo đơn vị chủ trì"
    assert "Hạn xử lý 20/12/2026 17:00 → 31/12/2026 17:00" in last[6] and "Sở Y tế" in last[6]
    assert AssignmentEvent.query.filter_by(assignment_id=world["same"].id, action="deadline_follow").count() == 1

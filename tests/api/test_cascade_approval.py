"""Approval inside the agency: an officer's result for the agency waits for the agency's leader, who
approves it (it goes up) or returns it; an agency can switch this off; a leader's own result goes up."""
import pytest

from core.extensions import db
from directives import services
from directives.models import AssignmentEvent
from notifications.models import Notification
from tests.cascade_support import Province
from tests.conftest import login
from tests.directives_support import directive_state


@pytest.fixture
def p(factory):
    return Province(factory)


@pytest.fixture
def commune(p):
    """Province → Đông Sơn → xã Đông Hưng (which has a chairman, xdhct), acknowledged by its officer."""
    d = p.issue("HDS")
    xdh = p.pass_on("hdsct", p.root(d), ("XDH",))["XDH"]
    services.acknowledge(p.u["xdh1"], xdh)
    return d, xdh


def post(client, p, who, assignment, action, body=None):
    return client.post(f"/api/v1/assignments/{assignment.id}/{action}", headers=p.h(who), json=body or {})


def test_an_officers_result_waits_for_the_agency_leader_before_the_giver_can_accept(client, p, commune):
    d, xdh = commune
    res = post(client, p, "xdh1", xdh, "submit", {"note": "Danh sách 23 hộ"})
    assert res.status_code == 200, res.json
    assert res.json["status"] == "submitted" and res.json["awaiting_approval"] is True
    assert res.json["approved_at"] is None
    told = db.session.scalars(db.select(Notification.user_id).where(
        Notification.kind == "directive.approval_needed")).all()
    assert told == [p.u["xdhct"].id]
    before = directive_state(d.id)
    res = post(client, p, "hdsct", xdh, "accept")
    assert res.status_code == 409 and res.json["error"]["code"] == "awaiting_approval", res.json
    assert directive_state(d.id) == before
    # nobody else approves it: not the district above, not a fellow officer
    assert post(client, p, "hdsct", xdh, "approve").status_code == 403
    assert post(client, p, "xdh2", xdh, "approve").status_code == 403
    assert directive_state(d.id) == before
    res = post(client, p, "xdhct", xdh, "approve")
    assert res.status_code == 200, res.json
    assert res.json["awaiting_approval"] is False and res.json["approved_at"] is not None
    assert Notification.query.filter_by(kind="directive.submitted", user_id=p.u["hdsct"].id).count() == 1
    assert post(client, p, "xdhct", xdh, "approve").status_code == 409  # once
    res = post(client, p, "hdsct", xdh, "accept")
    assert res.status_code == 200 and res.json["status"] == "completed", res.json


def test_the_agency_leader_returns_it_before_it_goes_up(client, p, commune):
    d, xdh = commune
    post(client, p, "xdh1", xdh, "submit", {"note": "Danh sách 23 hộ"})
    res = post(client, p, "xdhct", xdh, "return", {"reason": "Thiếu dự toán từng hộ."})
    assert res.status_code == 200, res.json
    assert res.json["status"] == "in_progress" and res.json["awaiting_approval"] is False
    assert res.json["submitted_at"] is None
    event = db.session.scalar(db.select(AssignmentEvent).where(AssignmentEvent.assignment_id == xdh.id,
                                                                AssignmentEvent.action == "return"))
    assert event.note == "Thiếu dự toán từng hộ." and event.data["internal"] is True
    assert event.actor_id == p.u["xdhct"].id
    # the giver was never told of a result that did not go up
    assert Notification.query.filter_by(kind="directive.submitted", user_id=p.u["hdsct"].id).count() == 0


def test_with_approval_switched_off_the_result_goes_straight_up(client, p, commune):
    d, xdh = commune
    p.ag["XDH"].approval_required = False
    db.session.commit()
    res = post(client, p, "xdh1", xdh, "submit", {"note": "Danh sách 23 hộ"})
    assert res.status_code == 200 and res.json["awaiting_approval"] is False and res.json["approved_at"]
    assert Notification.query.filter_by(kind="directive.approval_needed").count() == 0
    assert post(client, p, "xdhct", xdh, "approve").status_code == 409
    assert post(client, p, "xdh2", xdh, "approve").status_code == 403  # an officer: not theirs, waiting or not
    res = post(client, p, "hdsct", xdh, "accept")
    assert res.status_code == 200 and res.json["status"] == "completed"


def test_a_leader_submitting_needs_no_approval(client, p, commune):
    d, xdh = commune
    res = post(client, p, "xdhct", xdh, "submit", {"note": "Chủ tịch xã trực tiếp báo cáo"})
    assert res.status_code == 200 and res.json["awaiting_approval"] is False, res.json
    assert post(client, p, "hdsct", xdh, "accept").status_code == 200


def test_an_agency_without_a_leader_sends_the_result_straight_up(client, p):
    d = p.issue("HDS")
    xdt = p.pass_on("hdsct", p.root(d), ("XDT",))["XDT"]  # xã Đông Thịnh has no chairman in this province
    services.acknowledge(p.u["xdt1"], xdt)
    res = post(client, p, "xdt1", xdt, "submit", {"note": "Xong"})
    assert res.status_code == 200 and res.json["awaiting_approval"] is False
    assert post(client, p, "hdsct", xdt, "accept").status_code == 200


def test_a_share_given_to_an_officer_goes_to_whoever_gave_it(client, p, commune):
    d, xdh = commune
    share = p.pass_on("xdhct", xdh, users=("xdh2",))["xdh2"]
    services.acknowledge(p.u["xdh2"], share)
    res = post(client, p, "xdh2", share, "submit", {"note": "Thôn 3 xong"})
    assert res.status_code == 200 and res.json["awaiting_approval"] is False
    assert post(client, p, "xdh1", share, "accept").status_code == 403  # a colleague does not decide it
    res = post(client, p, "xdhct", share, "accept")
    assert res.status_code == 200 and res.json["status"] == "completed"


def test_a_result_held_for_a_leader_who_left_goes_up_and_is_accepted(client, p, commune):
    """The commune's only leader is deactivated after the officer submitted: nobody can approve it any more,
    so it is not held: the district sees it waiting for its decision and accepts it."""
    d, xdh = commune
    assert post(client, p, "xdh1", xdh, "submit", {"note": "Xong"}).json["awaiting_approval"] is True
    assert post(client, p, "hdsct", xdh, "accept").status_code == 409
    p.u["xdhct"].active = False
    db.session.commit()
    district = client.application.test_client()
    login(district, p.u["hdsct"])
    page = district.get(f"/directives/{d.id}").get_data(as_text=True)
    assert f'id="decide-{xdh.id}"' in page  # waiting for the district's decision
    res = post(client, p, "hdsct", xdh, "accept")
    assert res.status_code == 200 and res.json["status"] == "completed", res.json
    assert res.json["approved_at"] is not None

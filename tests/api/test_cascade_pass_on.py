"""Passing an assignment on (POST /api/v1/assignments/<id>/sub-assignments): to agencies under the
assigned agency and to its officers, each with a deadline not after the parent's; every bad field named,
nothing created."""
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from core.validation import parse_datetime
from directives import services
from directives.models import Assignment, AssignmentEvent
from tests.cascade_support import Province, deadline
from tests.directives_support import directive_state


@pytest.fixture
def p(factory):
    return Province(factory)


def url(assignment):
    return f"/api/v1/assignments/{assignment.id}/sub-assignments"


def test_passing_on_returns_the_children_each_with_its_parent(client, p):
    d = p.issue("HDS", days=10)
    root = p.root(d)
    when = deadline(5)
    res = client.post(url(root), headers=p.h("hdsct"), json={
        "agency_ids": [p.ag["XDH"].id, p.ag["XDT"].id], "user_ids": [p.u["hds1"].id], "deadline": when,
        "note": "Các xã báo cáo trước ngày 15."})
    assert res.status_code == 201, res.json
    items = res.json["items"]
    assert [(i["agency_id"], i["assignee_id"]) for i in items] == [
        (p.ag["XDH"].id, None), (p.ag["XDT"].id, None), (p.ag["HDS"].id, p.u["hds1"].id)]
    for item in items:
        assert item["parent_id"] == root.id and item["status"] == "pending"
        assert item["deadline"] == parse_datetime(when).isoformat()
        assert item["assigned_by"] == p.u["hdsct"].id and item["note"] == "Các xã báo cáo trước ngày 15."
        assert item["role"] == "lead" and item["directive_id"] == d.id
    # the directive now draws them under the root
    got = {a["id"]: a for a in client.get(f"/api/v1/directives/{d.id}", headers=p.h("chutich")).json["assignments"]}
    assert got[root.id]["children"] == [i["id"] for i in items]
    assert got[root.id]["status"] == "acknowledged"  # a pending assignment is taken in by passing it on
    db.session.expire_all()
    assert root.acknowledged_by_id == p.u["hdsct"].id and root.acknowledged_at is not None
    actions = db.session.scalars(db.select(AssignmentEvent.action).where(AssignmentEvent.assignment_id == root.id))
    assert list(actions) == ["issue", "acknowledge", "pass_on"]


def test_an_officer_of_the_agency_passes_it_on_too(client, p):
    d = p.issue("HDS")
    res = client.post(url(p.root(d)), headers=p.h("hds1"), json={"agency_ids": [p.ag["XDT"].id],
                                                           "deadline": deadline(3)})
    assert res.status_code == 201, res.json
    assert res.json["items"][0]["assigned_by"] == p.u["hds1"].id


@pytest.mark.parametrize("body, field", [
    ({"agency_ids": ["XDH"], "days": 11}, "deadline"),  # after the parent's (10 days)
    ({"agency_ids": ["XDH"], "days": -1}, "deadline"),  # in the past
    ({"agency_ids": ["XDH"], "days": None}, "deadline"),  # missing
    ({"agency_ids": ["XTP"]}, "agency_ids"),  # a commune of another district
    ({"agency_ids": ["HTH"]}, "agency_ids"),  # another district
    ({"agency_ids": ["SYT"]}, "agency_ids"),  # a provincial department
    ({"agency_ids": ["HDS"]}, "agency_ids"),  # itself
    ({"agency_ids": [], "user_ids": []}, "agency_ids"),  # nobody
    ({"user_ids": ["xdh1"]}, "user_ids"),  # an officer of a commune under it, not of the district
    ({"user_ids": ["hth1"]}, "user_ids"),  # another district's officer
    ({"user_ids": ["hdsct"]}, "user_ids"),  # its leader is not an officer to hand work to
])
def test_bad_input_is_422_naming_the_field_and_creates_nothing(client, p, body, field):
    d = p.issue("HDS", days=10)
    root = p.root(d)
    before = directive_state(d.id)
    days = body.get("days", 5)
    payload = {"agency_ids": [p.ag[c].id for c in body.get("agency_ids", [])],
               "user_ids": [p.u[n].id for n in body.get("user_ids", [])]}
    if days is not None:
        payload["deadline"] = deadline(days)
    res = client.post(url(root), headers=p.h("hdsct"), json=payload)
    assert res.status_code == 422, res.json
    assert list(res.json["error"]["fields"]) == [field]
    assert directive_state(d.id) == before


def test_one_bad_agency_among_good_ones_creates_none(client, p):
    d = p.issue("HDS")
    before = directive_state(d.id)
    res = client.post(url(p.root(d)), headers=p.h("hdsct"), json={
        "agency_ids": [p.ag["XDH"].id, p.ag["XTP"].id], "deadline": deadline(5)})
    assert res.status_code == 422 and str(p.ag["XTP"].id) in res.json["error"]["fields"]["agency_ids"]
    assert directive_state(d.id) == before


@pytest.mark.parametrize("who, status", [
    ("chutich", 403),  # sees it, does not hold it
    ("xdh1", 404),  # a commune officer: the district's node is a path node to them
    ("hthct", 404),  # another district
    ("hth1", 404),
    ("syt1", 404),
])
def test_only_whoever_holds_it_passes_it_on(client, p, who, status):
    d = p.issue("HDS")
    before = directive_state(d.id)
    if who == "xdh1":
        p.pass_on("hdsct", p.root(d), ("XDH",))
        before = directive_state(d.id)
    res = client.post(url(p.root(d)), headers=p.h(who), json={"agency_ids": [p.ag["XDT"].id],
                                                               "deadline": deadline(5)})
    assert res.status_code == status, res.json
    assert directive_state(d.id) == before


def test_a_share_given_to_an_officer_is_theirs_to_do_not_to_pass_on(client, p):
    d, n = p.cascade()
    res = client.post(url(n["xdh1"]), headers=p.h("xdh1"), json={"user_ids": [p.u["xdh2"].id],
                                                                 "deadline": deadline(2)})
    assert res.status_code == 403, res.json


def test_passing_twice_to_the_same_agency_or_officer_is_refused(client, p):
    d = p.issue("HDS")
    root = p.root(d)
    p.pass_on("hdsct", root, ("XDH",), users=("hds1",))
    before = directive_state(d.id)
    res = client.post(url(root), headers=p.h("hds1"), json={"agency_ids": [p.ag["XDH"].id], "deadline": deadline(4)})
    assert res.status_code == 422 and list(res.json["error"]["fields"]) == ["agency_ids"]
    assert "UBND xã Đông Hưng" in res.json["error"]["fields"]["agency_ids"]
    res = client.post(url(root), headers=p.h("hdsct"), json={"user_ids": [p.u["hds1"].id], "deadline": deadline(4)})
    assert res.status_code == 422 and list(res.json["error"]["fields"]) == ["user_ids"]
    assert directive_state(d.id) == before
    # the root, Đông Hưng and hds1 personally: nothing more
    assert db.session.scalar(db.select(db.func.count(Assignment.id)).where(Assignment.directive_id == d.id)) == 3


def test_a_child_deadline_equal_to_the_parent_is_allowed_and_a_closed_parent_passes_nothing(client, p):
    d = p.issue("HDS", days=10)
    root = p.root(d)
    exact = root.deadline.isoformat()
    res = client.post(url(root), headers=p.h("hdsct"), json={"agency_ids": [p.ag["XDH"].id], "deadline": exact})
    assert res.status_code == 201, res.json
    services.submit(p.u["hdsct"], root, {"children_note": "Xã Đông Hưng báo cáo sau."})
    res = client.post(url(root), headers=p.h("hdsct"), json={"agency_ids": [p.ag["XDT"].id],
                                                             "deadline": (utcnow() + timedelta(days=3)).isoformat()})
    assert res.status_code == 409 and res.json["error"]["code"] == "invalid_transition"


def test_an_agency_taken_off_earlier_gets_its_own_row_back_when_passed_the_directive(client, p):
    """The province gave Đông Hưng a supporting share, then took it off; the district passes it the work:
    the commune's old (cancelled) row is given anew under the district, its history kept."""
    from directives import corrections

    d = p.issue("HDS", support=("XDH",))
    old = p.root(d, "XDH")
    corrections.correct_directive(p.u["chutich"], d, {"support_agency_ids": [], "reason": "Huyện giao lại"})
    assert old.status == "cancelled"
    res = client.post(url(p.root(d)), headers=p.h("hdsct"), json={"agency_ids": [p.ag["XDH"].id],
                                                                   "deadline": deadline(4), "note": "Xã làm"})
    assert res.status_code == 201, res.json
    item = res.json["items"][0]
    assert item["id"] == old.id and item["parent_id"] == p.root(d).id and item["status"] == "pending"
    assert item["acknowledged_at"] is None and item["note"] == "Xã làm"
    actions = db.session.scalars(db.select(AssignmentEvent.action).where(AssignmentEvent.assignment_id == old.id)
                                 .order_by(AssignmentEvent.id))
    assert list(actions) == ["issue", "remove", "add"]
    # the commune works on it again
    assert client.post(f"/api/v1/assignments/{old.id}/acknowledge", headers=p.h("xdh1")).status_code == 200

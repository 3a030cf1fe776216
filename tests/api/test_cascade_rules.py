"""The rules that tie a parent to its children: progress rolls up, a parent is not submitted past open
children without saying why, accepting it closes them, a child's deadline stays within its parent's
(extensions refused, a stale approval 409, a correction pulls the children along), cancelling the
directive cancels every node."""
from datetime import timedelta

import pytest

from core.extensions import db
from core.validation import parse_datetime
from directives import extensions, services
from directives.models import AssignmentEvent, ExtensionRequest
from tests.cascade_support import Province, deadline
from tests.directives_support import directive_state


@pytest.fixture
def p(factory):
    return Province(factory)


def nodes_of(client, p, d, who="chutich"):
    res = client.get(f"/api/v1/directives/{d.id}", headers=p.h(who))
    assert res.status_code == 200, res.json
    return {a["id"]: a for a in res.json["assignments"]}


def test_branch_progress_is_the_mean_of_the_children(client, p):
    d, n = p.cascade()
    n.update(p.pass_on("xdhct", n["XDH"], users=("xdh2",), days=4))
    services.acknowledge(p.u["xdh1"], n["xdh1"])
    services.report_progress(p.u["xdh1"], n["xdh1"], {"progress": 40})
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.report_progress(p.u["xdt1"], n["XDT"], {"progress": 60})
    services.report_progress(p.u["hds1"], n["HDS"], {"progress": 5})  # the branch speaks for the parent
    got = nodes_of(client, p, d)
    assert got[n["xdh1"].id]["branch_progress"] == 40 and got[n["xdh2"].id]["branch_progress"] == 0
    assert got[n["XDH"].id]["branch_progress"] == 20  # (40 + 0) / 2
    assert got[n["HDS"].id]["branch_progress"] == 40  # (20 + 60) / 2
    assert got[n["HDS"].id]["progress"] == 5  # its own report is kept
    # a completed child counts 100 whatever it last reported
    services.submit(p.u["xdh1"], n["xdh1"], {"note": "Xong"})
    services.accept(p.u["xdhct"], n["xdh1"])
    got = nodes_of(client, p, d)
    assert got[n["XDH"].id]["branch_progress"] == 50  # (100 + 0) / 2
    assert got[n["HDS"].id]["branch_progress"] == 55  # (50 + 60) / 2
    # a cancelled child is left out (the leader accepted the commune's result without xdh2's share)
    services.acknowledge(p.u["xdh2"], n["XDH"])
    services.submit(p.u["xdhct"], n["XDH"], {"children_note": "Phần của đồng chí Diệp không còn cần."})
    services.accept(p.u["hdsct"], n["XDH"])
    got = nodes_of(client, p, d)
    assert got[n["xdh2"].id]["status"] == "cancelled"
    assert got[n["XDH"].id]["branch_progress"] == 100
    assert got[n["HDS"].id]["branch_progress"] == 80  # (100 + 60) / 2


def test_a_parent_with_open_children_is_submitted_only_with_children_note(client, p):
    d, n = p.cascade()
    services.report_progress(p.u["hds1"], n["HDS"], {"progress": 90})
    before = directive_state(d.id)
    url = f"/api/v1/assignments/{n['HDS'].id}/submit"
    res = client.post(url, headers=p.h("hdsct"), json={"note": "Huyện đã tổng hợp"})
    assert res.status_code == 422, res.json
    assert list(res.json["error"]["fields"]) == ["children_note"]
    assert "2" in res.json["error"]["fields"]["children_note"]  # two communes have not finished
    assert directive_state(d.id) == before
    res = client.post(url, headers=p.h("hdsct"), json={"note": "Huyện đã tổng hợp",
                                                       "children_note": "Hai xã báo cáo bổ sung sau."})
    assert res.status_code == 200 and res.json["status"] == "submitted", res.json
    event = db.session.scalar(db.select(AssignmentEvent).where(AssignmentEvent.assignment_id == n["HDS"].id,
                                                                AssignmentEvent.action == "submit"))
    assert event.data["children_note"] == "Hai xã báo cáo bổ sung sau."


def test_a_parent_whose_children_are_done_needs_no_children_note(client, p):
    d = p.issue("HDS")
    child = p.pass_on("hdsct", p.root(d), ("XDT",))["XDT"]
    services.acknowledge(p.u["xdt1"], child)
    services.submit(p.u["xdt1"], child, {"note": "Xong"})
    services.accept(p.u["hdsct"], child)
    res = client.post(f"/api/v1/assignments/{p.root(d).id}/submit", headers=p.h("hdsct"), json={})
    assert res.status_code == 200, res.json


def test_accepting_the_parent_closes_its_open_children(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdt1"], n["XDT"])
    ext = extensions.request_extension(p.u["xdt1"], n["XDT"], {"deadline": deadline(8), "reason": "Mưa lũ"})
    services.submit(p.u["hdsct"], n["HDS"], {"children_note": "Đủ số liệu từ huyện."})
    res = client.post(f"/api/v1/assignments/{n['HDS'].id}/accept", headers=p.h("chutich"))
    assert res.status_code == 200 and res.json["status"] == "completed", res.json
    got = nodes_of(client, p, d)
    assert {got[n[k].id]["status"] for k in ("XDH", "XDT", "xdh1")} == {"cancelled"}
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, ext.id).status == "rejected"  # nobody can decide it any more
    assert got[n["HDS"].id]["branch_progress"] == 100
    assert client.get(f"/api/v1/directives/{d.id}", headers=p.h("chutich")).json["status"] == "closed"


def test_an_extension_past_the_parent_deadline_is_refused(client, p):
    d, n = p.cascade(days=(10, 6, 4))
    services.acknowledge(p.u["xdt1"], n["XDT"])
    before = directive_state(d.id)
    url = f"/api/v1/assignments/{n['XDT'].id}/extension-requests"
    res = client.post(url, headers=p.h("xdt1"), json={"deadline": deadline(11), "reason": "Thiếu người"})
    assert res.status_code == 422, res.json
    assert list(res.json["error"]["fields"]) == ["deadline"]
    assert "UBND huyện Đông Sơn" in res.json["error"]["fields"]["deadline"]
    assert directive_state(d.id) == before
    # within the district's deadline it is asked, and the district decides it
    res = client.post(url, headers=p.h("xdt1"), json={"deadline": deadline(9), "reason": "Thiếu người"})
    assert res.status_code == 201, res.json
    ext_id = res.json["id"]
    assert client.post(f"/api/v1/extension-requests/{ext_id}/approve", headers=p.h("hthct")).status_code == 404
    assert client.post(f"/api/v1/extension-requests/{ext_id}/approve", headers=p.h("hds1")).status_code == 403
    res = client.post(f"/api/v1/extension-requests/{ext_id}/approve", headers=p.h("hdsct"))
    assert res.status_code == 200, res.json
    assert res.json["assignment"]["deadline"] == parse_datetime(deadline(9)).isoformat()


def test_approving_an_extension_the_parent_deadline_no_longer_allows_is_409(client, p):
    d, n = p.cascade(days=(10, 6, 4))
    services.acknowledge(p.u["xdt1"], n["XDT"])
    ext = extensions.request_extension(p.u["xdt1"], n["XDT"], {"deadline": deadline(9), "reason": "Mưa lũ"})
    # the province brings the directive forward to 8 days: the district's deadline follows
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h("chutich"),
                       json={"deadline": deadline(8), "reason": "Đẩy nhanh trước bão"})
    assert res.status_code == 200, res.json
    before = directive_state(d.id)
    res = client.post(f"/api/v1/extension-requests/{ext.id}/approve", headers=p.h("hdsct"))
    assert res.status_code == 409, res.json
    assert res.json["error"]["code"] == "parent_deadline"
    assert directive_state(d.id) == before
    res = client.post(f"/api/v1/extension-requests/{ext.id}/reject", headers=p.h("hdsct"),
                      json={"reason": "Hạn của huyện đã rút ngắn."})
    assert res.status_code == 200 and res.json["status"] == "rejected"


def test_a_correction_moving_the_deadline_earlier_pulls_the_children_with_it(client, p):
    d, n = p.cascade(days=(10, 6, 4))
    services.acknowledge(p.u["xdt1"], n["XDT"])
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h("chutich"),
                       json={"deadline": deadline(3), "reason": "Bão sắp vào"})
    assert res.status_code == 200, res.json
    new = res.json["deadline"]
    got = nodes_of(client, p, d)
    assert {got[n[k].id]["deadline"] for k in ("HDS", "XDH", "XDT", "xdh1")} == {new}
    follows = db.session.scalars(db.select(AssignmentEvent).where(AssignmentEvent.action == "deadline_follow")).all()
    assert sorted(e.assignment_id for e in follows) == sorted(n[k].id for k in ("XDH", "XDT", "xdh1"))
    # a later deadline moves the root only: the children keep theirs
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h("chutich"),
                       json={"deadline": deadline(12), "reason": "Gia hạn chung"})
    got = nodes_of(client, p, d)
    assert got[n["HDS"].id]["deadline"] == res.json["deadline"] and got[n["XDT"].id]["deadline"] == new


def test_a_correction_leaves_a_finished_child_its_deadline(client, p):
    d, n = p.cascade(days=(10, 6, 4))
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.submit(p.u["xdt1"], n["XDT"], {"note": "Xong"})
    services.accept(p.u["hdsct"], n["XDT"])
    old = nodes_of(client, p, d)[n["XDT"].id]["deadline"]
    client.patch(f"/api/v1/directives/{d.id}", headers=p.h("chutich"),
                 json={"deadline": deadline(2), "reason": "Bão sắp vào"})
    assert nodes_of(client, p, d)[n["XDT"].id]["deadline"] == old


def test_cancelling_the_directive_cancels_every_node(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdh1"], n["xdh1"])
    ext = extensions.request_extension(p.u["xdh1"], n["xdh1"], {"deadline": deadline(5), "reason": "Ốm"})
    res = client.post(f"/api/v1/directives/{d.id}/cancel", headers=p.h("chutich"), json={"reason": "Lồng ghép"})
    assert res.status_code == 200, res.json
    got = nodes_of(client, p, d)
    assert len(got) == 4 and {a["status"] for a in got.values()} == {"cancelled"}
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, ext.id).status == "rejected"
    # a district leader cannot cancel the province's directive
    d2, _n2 = p.cascade()
    res = client.post(f"/api/v1/directives/{d2.id}/cancel", headers=p.h("hdsct"), json={"reason": "Không cần"})
    assert res.status_code == 403


def test_a_child_deadline_cannot_pass_its_parent_even_by_a_second(client, p):
    d = p.issue("HDS", days=10)
    root = p.root(d)
    late = (root.deadline + timedelta(seconds=1)).isoformat()
    res = client.post(f"/api/v1/assignments/{root.id}/sub-assignments", headers=p.h("hdsct"),
                      json={"agency_ids": [p.ag["XDH"].id], "deadline": late})
    assert res.status_code == 422 and list(res.json["error"]["fields"]) == ["deadline"]


def test_taking_an_agency_off_closes_what_it_passed_on(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdh1"], n["xdh1"])
    ext = extensions.request_extension(p.u["xdh1"], n["xdh1"], {"deadline": deadline(5), "reason": "Ốm"})
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h("chutich"),
                       json={"lead_agency_id": p.ag["HTH"].id, "reason": "Giao huyện Tây Hòa chủ trì"})
    assert res.status_code == 200, res.json
    got = nodes_of(client, p, d)
    assert {got[n[k].id]["status"] for k in ("HDS", "XDH", "XDT", "xdh1")} == {"cancelled"}
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, ext.id).status == "rejected"
    # what was passed on can no longer be acted on
    res = client.post(f"/api/v1/assignments/{n['xdh1'].id}/reports", headers=p.h("xdh1"), json={"progress": 50})
    assert res.status_code == 409

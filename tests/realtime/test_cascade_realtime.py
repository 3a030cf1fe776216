"""The cascade live, against a real server process with real Socket.IO clients: a child assignment's
directive:new reaches its commune (or the officer given it personally) only; a commune's changes reach
the province's leaders, the district's people and leaders and that commune, never a sibling commune
nor another district."""
import time

import pytest
import requests

from tests.cascade_support import Province, deadline
from tests.realtime.helpers import Recorder, close, quick_ws_close  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]

EVENTS = ("directive:new", "assignment:updated")
LISTENERS = ("chutich", "hdsct", "hds1", "xdhct", "xdh1", "xdh2", "xdt1", "hthct", "hth1", "xtp1", "syt1")


@pytest.fixture
def world(live_server, live_db):
    from tests.conftest import Factory

    with live_db(live_server):
        p = Province(Factory())
        ids = {"agencies": {code: a.id for code, a in p.ag.items()}, "users": {n: u.id for n, u in p.u.items()},
               "tokens": dict(p.tokens)}
    sockets, inboxes = {}, {}
    try:
        for name in LISTENERS:
            sockets[name] = live_server.socket(token=ids["tokens"][name])
            inboxes[name] = Recorder(sockets[name], *EVENTS)
        ids.update(sockets=sockets, inboxes=inboxes)
        yield ids
    finally:
        close(*sockets.values())


def api(server, world, who, path, body):
    res = requests.post(server.url + "/api/v1" + path, json=body,
                        headers={"Authorization": f"Bearer {world['tokens'][who]}"})
    assert res.status_code in (200, 201), res.text
    return res.json()


def events(world, name, event, assignment_id):
    return [d for n, d in world["inboxes"][name].events if n == event and d["assignment_id"] == assignment_id]


def test_child_assignments_reach_their_commune_or_officer_only(live_server, world):
    ag, users = world["agencies"], world["users"]
    d = api(live_server, world, "chutich", "/directives", {
        "title": "Rà soát nhà ở hộ nghèo", "body": "", "deadline": deadline(10), "lead_agency_id": ag["HDS"]})
    root = d["assignments"][0]["id"]
    world["inboxes"]["hds1"].wait_for("directive:new", where=lambda m: m["assignment_id"] == root)
    items = api(live_server, world, "hdsct", f"/assignments/{root}/sub-assignments",
                {"agency_ids": [ag["XDH"], ag["XDT"]], "deadline": deadline(6)})["items"]
    xdh, xdt = (next(i["id"] for i in items if i["agency_id"] == ag[code]) for code in ("XDH", "XDT"))
    got = world["inboxes"]["xdh1"].wait_for("directive:new", where=lambda m: m["assignment_id"] == xdh)
    assert got["directive_id"] == d["id"] and got["parent_id"] == root and got["title"] == "Rà soát nhà ở hộ nghèo"
    assert world["inboxes"]["xdt1"].wait_for("directive:new", where=lambda m: m["assignment_id"] == xdt)
    share = api(live_server, world, "xdhct", f"/assignments/{xdh}/sub-assignments",
                {"user_ids": [users["xdh1"]], "deadline": deadline(4)})["items"][0]["id"]
    got = world["inboxes"]["xdh1"].wait_for("directive:new", where=lambda m: m["assignment_id"] == share)
    assert got["parent_id"] == xdh
    time.sleep(0.7)  # time for a wrong delivery to arrive
    # Đông Hưng's assignment reached Đông Hưng's people, nobody else's (not Đông Thịnh, not Tây Hòa)
    for name in LISTENERS:
        expected = 1 if name in ("xdhct", "xdh1", "xdh2") else 0
        assert len(events(world, name, "directive:new", xdh)) == expected, name
        expected = 1 if name == "xdt1" else 0
        assert len(events(world, name, "directive:new", xdt)) == expected, name
        # the share given to xdh1 personally: only xdh1, not the colleague in the same commune
        assert len(events(world, name, "directive:new", share)) == (1 if name == "xdh1" else 0), name
    assert events(world, "hds1", "directive:new", root) and not events(world, "xtp1", "directive:new", root)


def test_a_communes_changes_reach_the_path_above_never_a_sibling_or_another_district(live_server, world):
    ag = world["agencies"]
    d = api(live_server, world, "chutich", "/directives", {
        "title": "Kiểm tra đê điều", "body": "", "deadline": deadline(10), "lead_agency_id": ag["HDS"]})
    root = d["assignments"][0]["id"]
    items = api(live_server, world, "hdsct", f"/assignments/{root}/sub-assignments",
                {"agency_ids": [ag["XDH"], ag["XDT"]], "deadline": deadline(6)})["items"]
    xdh = next(i["id"] for i in items if i["agency_id"] == ag["XDH"])
    world["inboxes"]["xdh1"].wait_for("directive:new", where=lambda m: m["assignment_id"] == xdh)
    api(live_server, world, "xdh2", f"/assignments/{xdh}/acknowledge", {})
    api(live_server, world, "xdh2", f"/assignments/{xdh}/reports", {"progress": 45, "note": "Đã rà 3/5 thôn"})
    hear = ("chutich", "hdsct", "hds1", "xdhct", "xdh1", "xdh2")
    for name in hear:
        got = world["inboxes"][name].wait_for(
            "assignment:updated", where=lambda m: m["assignment_id"] == xdh and m["status"] == "in_progress")
        assert got["parent_id"] == root and got["agency_id"] == ag["XDH"] and got["directive_id"] == d["id"], name
    time.sleep(0.7)
    for name in set(LISTENERS) - set(hear):  # xdt1 (sibling commune), hthct/hth1/xtp1 (Tây Hòa), syt1
        assert events(world, name, "assignment:updated", xdh) == [], name
    # each hears a change once, even a leader in several of the rooms it goes to
    assert len([m for m in events(world, "hdsct", "assignment:updated", xdh) if m["status"] == "in_progress"]) == 1
    # the district's own node: the province hears it, Tây Hòa does not
    api(live_server, world, "hds1", f"/assignments/{root}/reports", {"progress": 20})
    world["inboxes"]["chutich"].wait_for("assignment:updated",
                                         where=lambda m: m["assignment_id"] == root and m["status"] == "in_progress")
    time.sleep(0.5)
    assert events(world, "hthct", "assignment:updated", root) == []
    assert events(world, "xtp1", "assignment:updated", root) == []

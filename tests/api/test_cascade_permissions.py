"""Who sees and directs what in the cascade, over the API: a district leader directs the district's
communes only; a commune officer sees the commune's share and the path above it, nothing of a sibling
commune; ``parent_id``/``children`` as in API.md."""
import pytest

from directives import services
from tests.cascade_support import Province, deadline
from tests.directives_support import directive_state


@pytest.fixture
def p(factory):
    return Province(factory)


def _issue_body(province, lead, support=()):
    return {"title": "Kiểm tra đê điều", "body": "Trước mùa lũ.", "deadline": deadline(7),
            "lead_agency_id": province.ag[lead].id, "support_agency_ids": [province.ag[c].id for c in support]}


def test_a_district_leader_issues_to_its_own_communes(client, p):
    res = client.post("/api/v1/directives", headers=p.h("hdsct"), json=_issue_body(p, "XDH", ["XDT"]))
    assert res.status_code == 201, res.json
    assert sorted(a["agency_id"] for a in res.json["assignments"]) == sorted([p.ag["XDH"].id, p.ag["XDT"].id])
    assert all(a["parent_id"] is None for a in res.json["assignments"])  # its own directive: roots


@pytest.mark.parametrize("lead, support, field", [
    ("XTP", (), "lead_agency_id"),  # a commune of another district
    ("HTH", (), "lead_agency_id"),  # another district
    ("SYT", (), "lead_agency_id"),  # a provincial department
    ("HDS", (), "lead_agency_id"),  # its own agency is not under it
    ("XDH", ("SYT",), "support_agency_ids"),
    ("XDH", ("XTP",), "support_agency_ids"),
])
def test_a_district_leader_cannot_issue_outside_its_district(client, p, lead, support, field):
    from core.extensions import db
    from directives.models import Directive

    res = client.post("/api/v1/directives", headers=p.h("hdsct"), json=_issue_body(p, lead, support))
    assert res.status_code == 422, res.json
    assert list(res.json["error"]["fields"]) == [field]
    assert db.session.scalar(db.select(db.func.count(Directive.id))) == 0


def test_a_district_leader_cannot_accept_or_return_what_the_province_gave(client, p):
    d = p.issue("HDS")
    root = p.root(d)
    services.acknowledge(p.u["hdsct"], root)
    services.submit(p.u["hdsct"], root, {"note": "Xong."})  # a leader's own result needs no approval
    before = directive_state(d.id)
    res = client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("hdsct"))
    assert res.status_code == 403, res.json
    res = client.post(f"/api/v1/assignments/{root.id}/return", headers=p.h("hdsct"), json={"reason": "Thiếu"})
    assert res.status_code == 403, res.json
    assert directive_state(d.id) == before
    res = client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("chutich"))
    assert res.status_code == 200 and res.json["status"] == "completed"


def test_a_district_leader_sees_nothing_of_another_district(client, p):
    other = p.issue("HTH", title="Nạo vét kênh mương Tây Hòa")
    p.pass_on("hthct", p.root(other, "HTH"), ("XTP",))
    own = p.issue("XDH", title="Đông Hưng: rà soát hộ nghèo")  # a commune of Đông Sơn, given by the province
    res = client.get("/api/v1/directives", headers=p.h("hdsct"))
    assert res.status_code == 200
    assert [d["id"] for d in res.json["items"]] == [own.id]
    assert client.get(f"/api/v1/directives/{other.id}", headers=p.h("hdsct")).status_code == 404
    for a in other.assignments:
        assert client.get(f"/api/v1/assignments/{a.id}", headers=p.h("hdsct")).status_code == 404
    # and the other way round: Tây Hòa's chairman does not see Đông Sơn's commune
    assert client.get(f"/api/v1/directives/{own.id}", headers=p.h("hthct")).status_code == 404
    assert client.get(f"/api/v1/directives/{own.id}", headers=p.h("hdsct")).status_code == 200


PATH_FIELDS = {"id", "directive_id", "agency_id", "agency", "role", "status", "tracking", "deadline", "parent_id",
               "children", "assignee_id", "path_only"}


def test_a_commune_officer_sees_its_share_and_the_path_above_nothing_of_a_sibling(client, p):
    d, n = p.cascade()
    services.report_progress(p.u["hds1"], n["HDS"], {"progress": 20, "note": "Ghi chú nội bộ của huyện"})
    services.acknowledge(p.u["xdh1"], n["XDH"])
    services.report_progress(p.u["xdh1"], n["XDH"], {"progress": 50, "note": "Đông Hưng: 12 hộ"})
    res = client.get(f"/api/v1/directives/{d.id}", headers=p.h("xdt1"))
    assert res.status_code == 200, res.json
    got = {a["id"]: a for a in res.json["assignments"]}
    assert set(got) == {n["HDS"].id, n["XDT"].id}  # not Đông Hưng, not its officer's share
    path = got[n["HDS"].id]
    assert set(path) == PATH_FIELDS and path["path_only"] is True
    assert path["agency_id"] == p.ag["HDS"].id and path["status"] == "in_progress"
    assert path["children"] == [n["XDT"].id]  # the sibling's id is not even listed
    share = got[n["XDT"].id]
    assert share["parent_id"] == n["HDS"].id and share["progress"] == 0 and "path_only" not in share
    assert "Đông Hưng" not in res.get_data(as_text=True) and "Ghi chú nội bộ" not in res.get_data(as_text=True)
    for hidden in (n["XDH"], n["xdh1"]):
        assert client.get(f"/api/v1/assignments/{hidden.id}", headers=p.h("xdt1")).status_code == 404
        assert client.get(f"/api/v1/assignments/{hidden.id}/reports", headers=p.h("xdt1")).status_code == 404
        assert client.get(f"/api/v1/assignments/{hidden.id}/history", headers=p.h("xdt1")).status_code == 404
    # the district's node is a path node: its reports and history are not the commune's to read
    assert client.get(f"/api/v1/assignments/{n['HDS'].id}", headers=p.h("xdt1")).status_code == 404
    assert client.get(f"/api/v1/assignments/{n['HDS'].id}/reports", headers=p.h("xdt1")).status_code == 404
    res = client.get(f"/api/v1/assignments/{n['XDT'].id}", headers=p.h("xdt1"))
    assert res.status_code == 200 and res.json["parent_id"] == n["HDS"].id
    # the list says no more than the directive does
    res = client.get("/api/v1/directives", headers=p.h("xdt1"))
    assert [item["id"] for item in res.json["items"]] == [d.id]
    assert {a["id"] for a in res.json["items"][0]["assignments"]} == {n["HDS"].id, n["XDT"].id}
    assert "Đông Hưng" not in res.get_data(as_text=True)


def test_an_officer_given_a_share_personally_sees_it_and_the_path(client, p):
    d, n = p.cascade()
    res = client.get(f"/api/v1/directives/{d.id}", headers=p.h("xdh1"))
    got = {a["id"]: a for a in res.json["assignments"]}
    assert set(got) == {n["HDS"].id, n["XDH"].id, n["xdh1"].id}
    assert got[n["HDS"].id]["path_only"] is True and got[n["HDS"].id]["children"] == [n["XDH"].id]
    share = got[n["xdh1"].id]
    assert share["assignee_id"] == p.u["xdh1"].id and share["assignee"]["id"] == p.u["xdh1"].id
    assert share["parent_id"] == n["XDH"].id and share["assigned_by"] == p.u["xdhct"].id


def test_parent_id_and_children_draw_the_whole_cascade_for_those_above(client, p):
    d, n = p.cascade()
    for who in ("chutich", "hdsct"):
        res = client.get(f"/api/v1/directives/{d.id}", headers=p.h(who))
        got = {a["id"]: a for a in res.json["assignments"]}
        assert set(got) == {n["HDS"].id, n["XDH"].id, n["XDT"].id, n["xdh1"].id}, who
        assert got[n["HDS"].id]["parent_id"] is None
        assert sorted(got[n["HDS"].id]["children"]) == sorted([n["XDH"].id, n["XDT"].id])
        assert got[n["XDH"].id]["parent_id"] == n["HDS"].id and got[n["XDH"].id]["children"] == [n["xdh1"].id]
        assert got[n["xdh1"].id]["children"] == [] and got[n["XDT"].id]["children"] == []
        assert not any(a.get("path_only") for a in got.values())
    res = client.get(f"/api/v1/assignments/{n['XDH'].id}", headers=p.h("hdsct"))
    assert res.status_code == 200 and res.json["children"] == [n["xdh1"].id]
    assert res.json["parent_id"] == n["HDS"].id
    # the commune's chairman: his commune's branch in full, the district above as a path node
    res = client.get(f"/api/v1/directives/{d.id}", headers=p.h("xdhct"))
    got = {a["id"]: a for a in res.json["assignments"]}
    assert set(got) == {n["HDS"].id, n["XDH"].id, n["xdh1"].id} and got[n["HDS"].id]["path_only"] is True


def test_a_sibling_communes_report_files_are_not_downloadable(client, p):
    from io import BytesIO

    d, n = p.cascade()
    report = services.report_progress(p.u["xdh1"], n["XDH"], {"progress": 30, "note": "Ảnh hiện trạng"})
    res = client.post(f"/api/v1/reports/{report.id}/attachments", headers=p.h("xdh1"),
                      data={"file": (BytesIO(b"%PDF-1.4 nha o"), "hien-trang.pdf")})
    assert res.status_code == 201, res.json
    file_id = res.json["items"][0]["id"]
    assert client.get(f"/api/v1/attachments/{file_id}", headers=p.h("xdt1")).status_code == 404
    assert client.get(f"/api/v1/attachments/{file_id}", headers=p.h("hthct")).status_code == 404
    for who in ("xdh2", "hdsct", "chutich"):
        res = client.get(f"/api/v1/attachments/{file_id}", headers=p.h(who))
        assert res.status_code == 200 and res.data == b"%PDF-1.4 nha o", who
    # and the sibling cannot add files to Đông Hưng's report either
    res = client.post(f"/api/v1/reports/{report.id}/attachments", headers=p.h("xdt1"),
                      data={"file": (BytesIO(b"%PDF-1.4 x"), "x.pdf")})
    assert res.status_code == 404


def test_the_district_decides_on_what_it_gave_a_commune_not_the_commune_above_it(client, p):
    d = p.issue("XDH", by="hdsct", title="Huyện giao: dọn vệ sinh kênh mương")  # the district's own directive
    root = p.root(d, "XDH")
    services.acknowledge(p.u["xdhct"], root)
    services.submit(p.u["xdhct"], root, {"note": "Xong"})
    assert client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("xdhct")).status_code == 403
    assert client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("hthct")).status_code == 404
    # the district's officers work on what the district holds, not on what its chairman gave (as at the province)
    assert client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("hds1")).status_code == 404
    assert client.post(f"/api/v1/directives/{d.id}/cancel", headers=p.h("xdhct"),
                       json={"reason": "x"}).status_code == 403
    res = client.post(f"/api/v1/assignments/{root.id}/accept", headers=p.h("hdsct"))
    assert res.status_code == 200 and res.json["status"] == "completed"

"""Found in the review of the cascade (issue 14): what a commune officer could still learn of a sibling
commune, and the fixes' proofs."""
import pytest

from directives import services
from tests.cascade_support import Province


@pytest.fixture
def p(factory):
    return Province(factory)


def _ids(res):
    assert res.status_code == 200, res.json
    return [d["id"] for d in res.json["items"]]


def test_list_filters_do_not_match_a_sibling_communes_share(client, p):
    """?agency_id and ?tracking on the list hold for the caller's own shares only: a sibling
    commune's share answering them would tell its status by whether the directive comes back."""
    d, nodes = p.cascade(days=(10, 6, 1))  # xdh1's personal share (under XDH) is due tomorrow
    services.acknowledge(p.u["xdt1"], nodes["XDT"])  # XDT acknowledged, XDH passed it on (acknowledged)
    xdt1 = p.h("xdt1")
    assert _ids(client.get("/api/v1/directives", headers=xdt1)) == [d.id]
    sibling = p.ag["XDH"].id
    assert _ids(client.get(f"/api/v1/directives?agency_id={sibling}", headers=xdt1)) == []
    assert _ids(client.get(f"/api/v1/directives?agency_id={sibling}&tracking=on_track", headers=xdt1)) == []
    # the one node due soon is under XDH
    assert _ids(client.get("/api/v1/directives?tracking=due_soon", headers=xdt1)) == []
    assert _ids(client.get("/api/v1/directives?tracking=due_soon", headers=p.h("xdh2"))) == [d.id]
    # their own share and the root still filter as before
    assert _ids(client.get(f"/api/v1/directives?agency_id={p.ag['XDT'].id}", headers=xdt1)) == [d.id]
    assert _ids(client.get(f"/api/v1/directives?agency_id={sibling}", headers=p.h("hdsct"))) == [d.id]


def test_list_filters_still_match_a_co_assigned_root(client, p):
    """One holding a root sees the other roots: filtering by a supporting agency still finds the directive."""
    d = p.issue("HDS", support=("SYT",))
    assert _ids(client.get(f"/api/v1/directives?agency_id={p.ag['SYT'].id}", headers=p.h("hds1"))) == [d.id]
    assert _ids(client.get(f"/api/v1/directives?agency_id={p.ag['HDS'].id}", headers=p.h("syt1"))) == [d.id]
    assert _ids(client.get(f"/api/v1/directives?agency_id={p.ag['HTH'].id}", headers=p.h("syt1"))) == []


def _cells(content):
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(content)).active
    return " | ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None)


def test_a_commune_leaders_directive_list_export_names_no_other_districts_root(client, p):
    """The province gave a directive to HDS and to HTH (supporting); HDS passed it to XDH. XDH's leader sees
    the HDS root as a path only and nothing of HTH: the export does not name HTH nor count it in 'x/y'."""
    from tests.conftest import login

    d = p.issue("HDS", support=("HTH",))
    p.pass_on("hdsct", p.root(d), ("XDH",))
    login(client, p.u["xdhct"])
    res = client.get("/directives/export.xlsx")
    assert res.status_code == 200
    text = _cells(res.data)
    assert d.number in text
    assert p.ag["HTH"].name not in text and "HTH" not in text
    assert " | 1/1 | " in text  # HDS acknowledged (passing on is taking in), out of the one root it sees
    other = client.application.test_client()
    login(other, p.u["hdsct"])  # HDS holds a root: the co-assigned HTH is its partner, named as before
    text = _cells(other.get("/directives/export.xlsx").data)
    assert p.ag["HTH"].name in text


def test_search_by_agency_does_not_match_a_sibling_communes_share(client, p):
    """Search's ?agency_id holds for what the caller may see: a commune officer filtering by the sibling
    commune does not learn that the directive went to it."""
    d, _nodes = p.cascade()
    xdt1 = p.h("xdt1")

    def found(agency):
        res = client.get(f"/api/v1/search?q=ra+soat+nha+o&agency_id={p.ag[agency].id}", headers=xdt1)
        assert res.status_code == 200, res.json
        return [i["id"] for i in res.json["items"] if i["type"] == "directive"]

    assert found("XDT") == [d.id]
    assert found("XDH") == []
    assert found("XTP") == []


def test_the_giver_cannot_return_a_result_still_waiting_for_the_agency_leader(client, p):
    """It has not gone up yet: the giver neither accepts (409 awaiting_approval) nor returns it; the agency's
    leader still can."""
    from tests.directives_support import directive_state

    d = p.issue("HDS")
    xdh = p.pass_on("hdsct", p.root(d), ("XDH",))["XDH"]
    services.acknowledge(p.u["xdh1"], xdh)
    services.submit(p.u["xdh1"], xdh, {"note": "Xong"})
    before = directive_state(d.id)
    url = f"/api/v1/assignments/{xdh.id}/return"
    res = client.post(url, headers=p.h("hdsct"), json={"reason": "Thiếu"})
    assert res.status_code == 409 and res.json["error"]["code"] == "awaiting_approval", res.json
    assert directive_state(d.id) == before
    res = client.post(url, headers=p.h("xdhct"), json={"reason": "Thiếu dự toán"})
    assert res.status_code == 200 and res.json["status"] == "in_progress", res.json


def test_the_pass_on_form_offers_again_an_agency_whose_share_was_cancelled(client, p):
    """The service gives a cancelled share anew (an agency taken off can be passed the directive again): the
    form must not draw that agency as 'already has it', disabled."""
    import re

    from directives import corrections
    from tests.conftest import login

    d = p.issue("HDS", support=("XDH",))  # the province gave it to the district and one of its communes
    corrections.correct_directive(p.u["chutich"], d, {"support_agency_ids": [], "reason": "Huyện giao lại"})
    hds = p.root(d)
    login(client, p.u["hdsct"])
    html = client.get(f"/directives/{d.id}").get_data(as_text=True)
    box = re.search(rf'<input[^>]*id="pass-agency-{hds.id}-{p.ag["XDH"].id}"[^>]*>', html).group(0)
    assert "disabled" not in box
    xdh = p.pass_on("hdsct", hds, ("XDH",))["XDH"]  # and the service takes it
    assert xdh.parent_id == hds.id and xdh.status == "pending"


def test_a_co_assigned_roots_history_and_progress_tell_nothing_of_what_it_passed_on(client, p):
    """HDS and HTH got the directive together: HDS's people see HTH's own share (as before the cascade), not
    what HTH passed on to its commune: not the commune's id or name in HTH's history, nor its progress in
    HTH's branch_progress."""
    d = p.issue("HDS", support=("HTH",))
    hth = p.root(d, "HTH")
    xtp = p.pass_on("hthct", hth, ("XTP",))["XTP"]
    services.acknowledge(p.u["xtp1"], xtp)
    services.report_progress(p.u["xtp1"], xtp, {"progress": 80, "note": "Gần xong"})
    for who in ("hds1", "hdsct"):
        res = client.get(f"/api/v1/assignments/{hth.id}/history", headers=p.h(who))
        assert res.status_code == 200, res.json
        text = str(res.json)
        assert str(p.ag["XTP"].id) not in [str(i) for e in res.json["items"]
                                           for i in (e["data"].get("agency_ids") or [])]
        assert xtp.id not in [i for e in res.json["items"] for i in (e["data"].get("children") or [])]
        assert p.ag["XTP"].name not in text
        res = client.get(f"/api/v1/directives/{d.id}", headers=p.h(who))
        node = next(a for a in res.json["assignments"] if a["id"] == hth.id)
        assert node["children"] == [] and node["branch_progress"] == hth.progress == 0
    # HTH's own people see it all
    res = client.get(f"/api/v1/assignments/{hth.id}/history", headers=p.h("hth1"))
    assert xtp.id in [i for e in res.json["items"] for i in (e["data"].get("children") or [])]


@pytest.mark.parametrize("who", ["hdsct", "chutich"])
@pytest.mark.parametrize("field, code", [("support_agency_ids", "XTP"), ("support_agency_ids", "HTH"),
                                         ("support_agency_ids", "SYT"), ("lead_agency_id", "XTP")])
def test_a_district_directive_is_not_corrected_out_of_the_district(client, p, who, field, code):
    """A directive the district issued goes to agencies under the district, corrected or not (by its own
    leader or by the province): another district's commune added would have its result judged by this
    district."""
    from tests.directives_support import directive_state

    d = p.issue("XDH", by="hdsct")
    before = directive_state(d.id)
    value = [p.ag[code].id] if field == "support_agency_ids" else p.ag[code].id
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h(who), json={field: value, "reason": "Bổ sung"})
    assert res.status_code == 422, res.json
    assert list(res.json["error"]["fields"]) == [field]
    assert directive_state(d.id) == before
    res = client.patch(f"/api/v1/directives/{d.id}", headers=p.h(who),
                       json={"support_agency_ids": [p.ag["XDT"].id], "reason": "Bổ sung"})
    assert res.status_code == 200, res.json


def test_the_correction_form_of_a_district_directive_offers_the_districts_agencies_only(client, p):
    from tests.conftest import login

    d = p.issue("XDH", by="hdsct")
    login(client, p.u["hdsct"])
    html = client.get(f"/directives/{d.id}/edit").get_data(as_text=True)
    assert f'value="{p.ag["XDT"].id}"' in html
    for code in ("XTP", "HTH", "SYT"):
        assert f'id="sa-{p.ag[code].id}"' not in html

"""Agency kinds: communes have their own, and a new agency's kind is chosen, not defaulted to the office."""
from auth import agencies
from auth.protocol import agency_key
from tests.conftest import login


def test_communes_are_a_kind_of_their_own_listed_after_districts(app, factory):
    admin = factory.user("admin")
    district = agencies.create_agency(admin, {"code": "HDS", "name": "UBND huyện Đông Sơn", "kind": "district"})
    commune = agencies.create_agency(admin, {"code": "XDH", "name": "UBND xã Đông Hưng", "kind": "commune",
                                             "parent_id": district.id})
    assert commune.kind == "commune"
    assert sorted([commune, district], key=agency_key) == [district, commune]


def test_the_new_agency_form_makes_the_admin_choose_a_kind(app, client, factory):
    login(client, factory.user("admin"))
    html = client.get("/admin/agencies/new").get_data(as_text=True)
    start = html.index('id="f-kind"')
    select = html[start:html.index("</select>", start)]
    assert select.split(">", 1)[0].rstrip().endswith("required")
    assert "selected" not in select  # no kind pre-selected (it was the provincial office)
    assert "Xã, phường, thị trấn" in select


def test_the_demo_communes_are_communes(app):
    from auth.models import Agency
    from core import demo
    from core.extensions import db

    demo.seed()
    kinds = dict(db.session.execute(db.select(Agency.code, Agency.kind)).all())
    assert kinds["XDH"] == "commune" and kinds["XDT"] == "commune"

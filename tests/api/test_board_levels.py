"""The tracking board by level (directives/board.py): each assignment counted once, on the board of the
agency that gave it; ranking, drill-down permissions, export and the API's ``level`` per level; a constant
number of SQL statements whatever the number of cascades."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from core.dbtypes import utcnow
from core.extensions import db
from directives import board, cascade, services
from directives.models import Assignment, AssignmentStatus
from tests.conftest import bearer, login

COUNTS = ("assigned", "acknowledged", "on_track", "due_soon", "overdue", "completed_on_time", "completed_late")


@pytest.fixture
def prov(factory):
    """A province: a department (SYT), two districts (HA with communes XA1 and XA2, HB with XB1); leaders of
    the province, HA, HB and XA1; officers everywhere."""
    syt = factory.agency("SYT", "Sở Y tế")
    ha = factory.agency("HA", "UBND huyện An", kind="district")
    hb = factory.agency("HB", "UBND huyện Bình", kind="district")
    xa1 = factory.agency("XA1", "UBND xã An Một", parent=ha, kind="commune")
    xa2 = factory.agency("XA2", "UBND xã An Hai", parent=ha, kind="commune")
    xb1 = factory.agency("XB1", "UBND xã Bình Một", parent=hb, kind="commune")
    p = {"syt": syt, "ha": ha, "hb": hb, "xa1": xa1, "xa2": xa2, "xb1": xb1,
         "leader": factory.user("leader", username="chutich", full_name="Chủ tịch tỉnh"),
         "ha_leader": factory.user("leader", ha, username="ct_ha", full_name="Chủ tịch huyện An"),
         "hb_leader": factory.user("leader", hb, username="ct_hb", full_name="Chủ tịch huyện Bình"),
         "admin": factory.user("admin", username="quantri")}
    for ag in (syt, ha, hb, xa1, xa2, xb1):
        p[ag.code.lower() + "_off"] = factory.user("officer", ag, username=f"{ag.code.lower()}_off")
    p["ha_off2"] = factory.user("officer", ha, username="ha_off2", full_name="Trần Thị Bình")
    p["xa1_off2"] = factory.user("officer", xa1, username="xa1_off2", full_name="Lê Văn Cường")
    return p


def issue(actor, lead, support=(), at=None, days=30):
    at = at or utcnow()
    return services.issue_directive(actor, {
        "title": f"Chỉ đạo {lead.code} {days}", "deadline": (at + timedelta(days=days)).isoformat(),
        "lead_agency_id": lead.id, "support_agency_ids": [s.id for s in support]}, now=at)


def share(directive, agency, assignee=None):
    return next(a for a in directive.assignments if a.agency_id == agency.id and a.assignee_id ==
                (assignee.id if assignee else None))


def pass_on(actor, parent, agencies=(), users=(), deadline=None, at=None):
    return cascade.pass_on(actor, parent, {"agency_ids": [a.id for a in agencies], "user_ids": [u.id for u in users],
                                           "deadline": deadline.isoformat(), "note": "Triển khai"}, now=at)


@pytest.fixture
def data(prov):
    """D1 from the province to HA (lead), HB and SYT, 20 days ago, due in 10 days; HA passed it on to XA1 and
    XA2 (due yesterday) and to its officer ha_off2 personally (due in 5 days); XA1 finished on time, XA2 is
    overdue. D2 from HA's own leader to XA1, passed on by XA1 to its officer xa1_off2. D3 (HB lead, SYT
    support) and D4 (HB) from the province, overdue. D5 cancelled: counted nowhere."""
    p, now = prov, utcnow()
    ago = now - timedelta(days=20)
    d1 = issue(p["leader"], p["ha"], (p["hb"], p["syt"]), at=ago, days=30)
    services.acknowledge(p["ha_off"], share(d1, p["ha"]), now=ago + timedelta(hours=2))
    pass_on(p["ha_off"], share(d1, p["ha"]), (p["xa1"], p["xa2"]), deadline=now - timedelta(days=1),
            at=ago + timedelta(days=1))
    pass_on(p["ha_off"], share(d1, p["ha"]), users=(p["ha_off2"],), deadline=now + timedelta(days=5),
            at=ago + timedelta(days=1))
    x1 = share(d1, p["xa1"])
    services.acknowledge(p["xa1_off"], x1, now=ago + timedelta(days=2))
    services.submit(p["xa1_off"], x1, {"note": "Xong"}, now=ago + timedelta(days=3))
    services.accept(p["ha_leader"], x1, now=ago + timedelta(days=4))
    d2 = issue(p["ha_leader"], p["xa1"], days=30)
    pass_on(p["xa1_off"], share(d2, p["xa1"]), users=(p["xa1_off2"],), deadline=now + timedelta(days=20))
    issue(p["leader"], p["hb"], (p["syt"],), at=ago, days=18)
    issue(p["leader"], p["hb"], at=ago, days=15)
    d5 = issue(p["leader"], p["syt"], (p["hb"],))
    services.cancel_directive(p["leader"], d5, {"reason": "Trùng nội dung"})
    return dict(p, d1=d1, d2=d2)


def by_name(rows):
    return {r["name"]: r for r in rows}


def counts(row):
    return tuple(row[k] for k in COUNTS)


def test_province_level_counts_what_the_province_gave(app, data):
    rows = by_name(board.level_stats(None))
    assert set(rows) == {"Sở Y tế", "UBND huyện An", "UBND huyện Bình"}  # no commune, no officer
    #                                   assigned ack on_track due_soon overdue on_time late
    assert counts(rows["UBND huyện An"]) == (1, 1, 1, 0, 0, 0, 0)  # its own assignment, not + communes
    assert counts(rows["UBND huyện Bình"]) == (3, 0, 1, 0, 2, 0, 0)
    assert counts(rows["Sở Y tế"]) == (2, 0, 1, 0, 1, 0, 0)
    assert rows["UBND huyện An"]["median_ack_seconds"] == 2 * 3600
    assert rows["UBND huyện An"]["has_level"] and rows["UBND huyện Bình"]["has_level"]  # communes under it
    assert not rows["Sở Y tế"]["has_level"]  # nothing passed on, nothing under it


def test_district_level_counts_what_the_district_gave(app, data):
    p = data
    rows = by_name(board.level_stats(p["ha"].id))
    assert set(rows) == {"UBND xã An Một", "UBND xã An Hai", "Trần Thị Bình"}
    # XA1: D1 passed on (done on time) and D2 from HA's own leader (on track)
    assert counts(rows["UBND xã An Một"]) == (2, 2, 1, 0, 0, 1, 0)
    assert counts(rows["UBND xã An Hai"]) == (1, 0, 0, 0, 1, 0, 0)
    officer = rows["Trần Thị Bình"]
    assert counts(officer) == (1, 0, 1, 0, 0, 0, 0)  # due in 5 days: on track
    assert officer["kind"] == "officer" and officer["assignee_id"] == p["ha_off2"].id
    assert officer["agency_id"] == p["ha"].id and not officer["has_level"]
    assert rows["UBND xã An Một"]["has_level"]  # XA1 passed D2 on to its officer
    assert not rows["UBND xã An Hai"]["has_level"]
    commune = by_name(board.level_stats(p["xa1"].id))
    assert list(commune) == ["Lê Văn Cường"] and counts(commune["Lê Văn Cường"]) == (1, 0, 1, 0, 0, 0, 0)
    assert board.level_stats(p["hb"].id) == []  # HB passed nothing on
    assert board.level_stats(p["syt"].id) == []


def test_each_assignment_is_counted_once_over_all_levels(app, data):
    """The levels partition the (not cancelled) assignments: summing every board gives each exactly once."""
    p = data
    total = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.status != AssignmentStatus.CANCELLED))
    on_boards = sum(r["assigned"] for scope in (None, p["syt"].id, p["ha"].id, p["hb"].id, p["xa1"].id,
                                                 p["xa2"].id, p["xb1"].id) for r in board.level_stats(scope))
    assert on_boards == total == 11  # D1: 3 + 3, D2: 1 + 1, D3: 2, D4: 1 (D5's two are cancelled)
    summary = {s["level"]: s for s in board.level_summary()}
    assert [s["level"] for s in board.level_summary()] == ["province", "district", "commune"]
    assert summary["province"]["assigned"] == 6
    assert summary["district"]["assigned"] == 4  # HA: XA1, XA2, ha_off2, and D2 from HA's leader
    assert summary["commune"]["assigned"] == 1  # XA1 to xa1_off2
    assert summary["district"]["completed_on_time"] == 1 and summary["district"]["overdue"] == 1
    assert summary["province"]["overdue"] == 3
    assert sum(s["assigned"] for s in summary.values()) == total
    district = {s["level"]: s["assigned"] for s in board.level_summary(p["ha"].id)}
    assert district == {"district": 4, "commune": 1}  # what HA and what its communes gave


def test_ranking_by_on_time_rate_then_overdue(app, data):
    rows = board.level_stats(None)
    ranked = [r["name"] for r in sorted(rows, key=lambda r: r["rank"])]
    # SYT and HB both 0 % on time: SYT has 1 overdue, HB 2; HA has nothing done or overdue yet (no rate)
    assert ranked == ["Sở Y tế", "UBND huyện Bình", "UBND huyện An"]
    district = sorted(board.level_stats(data["ha"].id), key=lambda r: r["rank"])
    assert [r["name"] for r in district] == ["UBND xã An Một", "UBND xã An Hai", "Trần Thị Bình"]
    assert [r["rank"] for r in district] == [1, 2, 3]


def test_filters_and_bad_filters(app, data):
    from core.errors import Invalid

    rows = by_name(board.level_stats(None, filters={"priority": "urgent"}))
    assert rows == {}
    with pytest.raises(Invalid) as exc:
        board.level_stats(None, filters={"date_from": "hôm qua"})
    assert "date_from" in exc.value.fields


def _statements(fn):
    seen = []

    def listener(*_args, **_kw):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_constant_number_of_statements(app, client, prov):
    """The same number of statements with one cascade as with three, for the functions and the pages."""
    p, now = prov, utcnow()

    def cascade_once(n):
        d = issue(p["leader"], p["ha"], (p["hb"],), days=30 + n)
        pass_on(p["ha_off"], share(d, p["ha"]), (p["xa1"], p["xa2"]), users=(p["ha_off2"],),
                deadline=now + timedelta(days=20))
        pass_on(p["xa1_off"], share(d, p["xa1"]), users=(p["xa1_off2"],), deadline=now + timedelta(days=10))
        services.acknowledge(p["xa2_off"], share(d, p["xa2"]))

    login(client, p["leader"])

    def all_reads():
        board.level_stats(None)
        board.level_stats(p["ha"].id)
        board.level_summary()
        assert client.get(f"/directives/dashboard?level={p['ha'].id}").status_code == 200
        assert client.get("/directives/dashboard").status_code == 200
        assert client.get(f"/api/v1/directives/stats?level={p['ha'].id}").status_code == 200

    cascade_once(1)
    all_reads()  # warm: the agency tree, the session's user
    one = _statements(all_reads)
    cascade_once(2)
    cascade_once(3)
    all_reads()
    three = _statements(all_reads)
    assert one == three
    assert len(board.level_stats(p["ha"].id)) == 3 and board.level_stats(p["ha"].id)[0]["assigned"] == 3


def test_who_may_open_a_level(app, client, data):
    p = data
    ha, hb, xa1 = p["ha"].id, p["hb"].id, p["xa1"].id
    login(client, p["ha_leader"])
    page = client.get("/directives/dashboard")  # an agency's leader lands on their own level
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "UBND xã An Một" in html and "Trần Thị Bình" in html and "UBND huyện Bình" not in html
    home = client.get("/").get_data(as_text=True)  # the home page's numbers: the leader's own level
    assert re.search(r'id="home-leader-numbers"[\s\S]*data-kpi="overdue">1<', home)  # XA2's share
    assert client.get(f"/directives/dashboard?level={xa1}").status_code == 200  # below: yes
    assert client.get(f"/directives/dashboard?level={hb}").status_code == 403  # a sibling: no
    assert client.get("/directives/dashboard?level=province").status_code == 403  # above: no
    assert client.get("/directives/dashboard?level=999999").status_code == 404
    assert client.get(f"/directives/dashboard/export.xlsx?level={hb}").status_code == 403
    assert client.get(f"/api/v1/directives/stats?level={hb}").status_code == 403
    assert client.get("/api/v1/directives/stats?level=province").status_code == 403
    for raw in ("abc", "0", "-3", "9223372036854775808"):
        bad = client.get(f"/api/v1/directives/stats?level={raw}")
        assert bad.status_code == 422 and "level" in bad.json["error"]["fields"], raw
    client = app.test_client()
    login(client, p["ha_off"])  # an officer: no board at all
    assert client.get("/directives/dashboard").status_code == 403
    assert client.get(f"/directives/dashboard?level={ha}").status_code == 403
    assert client.get(f"/api/v1/directives/stats?level={ha}").status_code == 403


def test_the_province_drills_down_with_breadcrumbs(app, client, data):
    p = data
    login(client, p["leader"])
    html = client.get("/directives/dashboard").get_data(as_text=True)
    assert f'href="/directives/dashboard?level={p["ha"].id}"' in html  # HA's row opens HA's board
    assert f'href="/directives/dashboard?level={p["syt"].id}"' not in html  # SYT has no level below it
    html = client.get(f"/directives/dashboard?level={p['xa1'].id}").get_data(as_text=True)
    crumbs = html[html.index('aria-label="breadcrumb"'):html.index("</nav>", html.index('aria-label="breadcrumb"'))]
    assert 'href="/directives/dashboard?level=province"' in crumbs
    assert f'href="/directives/dashboard?level={p["ha"].id}"' in crumbs and "UBND xã An Một" in crumbs
    assert "Lê Văn Cường" in html


def test_export_per_level(app, client, data):
    p = data
    login(client, p["ha_leader"])
    res = client.get(f"/directives/dashboard/export.xlsx?level={p['ha'].id}")
    assert res.status_code == 200
    assert re.search(r'filename="?bao-cao-theo-don-vi-ha-\d{8}-\d{4}\.xlsx', res.headers["Content-Disposition"])
    ws = load_workbook(io.BytesIO(res.data)).active
    assert "UBND huyện An" in ws["A1"].value
    lines = {row[2]: row for row in ws.iter_rows(min_row=4, values_only=True)}
    assert lines["UBND xã An Một"][3:6] == (2, 2, 100.0)
    assert lines["UBND xã An Hai"][9] == 1  # overdue
    assert "Trần Thị Bình" in lines
    assert lines["Tổng cộng"][3] == 4


def test_api_level_param(app, client, data, factory):
    p = data
    token = bearer(factory.token(p["leader"]))
    res = client.get(f"/api/v1/directives/stats?level={p['ha'].id}", headers=token)
    assert res.status_code == 200, res.json
    names = {r["name"]: r for r in res.json["agencies"]}
    assert names["UBND xã An Một"]["assigned"] == 2 and names["Trần Thị Bình"]["kind"] == "officer"
    assert res.json["totals"]["assigned"] == 4
    assert res.json["level"] == {"agency_id": p["ha"].id, "name": "UBND huyện An"}
    assert [s["level"] for s in res.json["summary"]] == ["district", "commune"]
    province = client.get("/api/v1/directives/stats?level=province", headers=token).json
    assert province["totals"]["assigned"] == 6 and province["level"] == {"agency_id": None, "name": None}
    plain = client.get("/api/v1/directives/stats", headers=token).json  # without level: unchanged shape
    assert set(plain) == {"agencies", "totals", "due_soon_days"}
    assert {p["syt"].id, p["ha"].id, p["hb"].id} <= {r["agency_id"] for r in plain["agencies"]}
    # the same numbers as the province's level: D2, which HA's own leader gave XA1, is on HA's board only
    assert plain["totals"]["assigned"] == 6 and p["xa1"].id not in {r["agency_id"] for r in plain["agencies"]}
    own = client.get("/api/v1/directives/stats", headers=bearer(factory.token(p["ha_leader"]))).json
    assert own["totals"]["assigned"] == 4  # an agency's leader without level: their own level

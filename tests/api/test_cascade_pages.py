"""The cascade on the pages: the directive page's tree as each viewer may see it, the pass-on form, the
agency leader's approval, "My tasks", the inbox's handlers and the agency's approval switch."""
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from auth.models import Agency
from core.audit import AuditLog
from core.dbtypes import utcnow
from core.extensions import db
from core.validation import display_zone
from directives import services
from directives.models import Assignment
from tests.cascade_support import Province
from tests.conftest import login


@pytest.fixture
def p(factory):
    return Province(factory)


def page(client, directive):
    res = client.get(f"/directives/{directive.id}")
    assert res.status_code == 200
    return res.get_data(as_text=True)


def row(html, assignment):
    match = re.search(rf'<tr id="agency-row-{assignment.id}".*?</tr>', html, re.S)
    assert match, f"no row for assignment {assignment.id}"
    return match.group(0)


def as_(client, p, username):
    fresh = client.application.test_client()
    return fresh, login(fresh, p.u[username])


def local(days):
    return (utcnow() + timedelta(days=days)).astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M")


# -- the tree ----------------------------------------------------------------------------------

def test_the_provincial_leader_sees_the_whole_cascade_as_one_tree(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdh1"], n["xdh1"])
    c, _token = as_(client, p, "chutich")
    html = page(c, d)
    assert 'role="treegrid"' in html
    order = [html.index(f'id="agency-row-{n[k].id}"') for k in ("HDS", "XDH", "xdh1", "XDT")]
    assert order == sorted(order)  # depth first: the commune's officer under the commune, before the next commune
    hds, xdh, officer = row(html, n["HDS"]), row(html, n["XDH"]), row(html, n["xdh1"])
    assert 'data-depth="0"' in hds and f'data-tree-toggle="{n["HDS"].id}"' in hds
    assert f'data-parent-id="{n["HDS"].id}"' in xdh and 'data-depth="1"' in xdh
    assert f'data-parent-id="{n["XDH"].id}"' in officer and 'data-depth="2"' in officer
    assert p.u["xdh1"].full_name in officer and "UBND xã Đông Hưng" in officer
    assert "data-tree-toggle" not in officer  # a leaf: nothing to fold
    # the handler: the officers a commune passed it to; the children's tracking counted on the parent
    assert f"Giao cho {p.u['xdh1'].full_name}" in xdh
    assert 'data-children-tracking="on_track">2' in hds
    assert 'data-tree-all="collapse"' in html and "path-only" not in html


def test_a_branch_rolls_up_its_progress_and_the_oldest_overdue_path_is_highlighted(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.report_progress(p.u["xdt1"], n["XDT"], {"progress": 60})
    n["xdh1"].deadline = utcnow() - timedelta(days=2)  # the officer's share ran late
    db.session.commit()
    c, _token = as_(client, p, "chutich")
    html = page(c, d)
    assert 'aria-valuenow="30"' in row(html, n["HDS"])  # (0 + 60) / 2: each commune weighs the same
    for k in ("HDS", "XDH", "xdh1"):
        assert "on-stuck-path" in row(html, n[k]), k
    assert "on-stuck-path" not in row(html, n["XDT"])
    assert "stuck-node" in row(html, n["xdh1"])
    note = re.search(r'id="stuck-note".*?</div>\s*</div>', html, re.S).group(0)
    assert f"Chậm ở {p.u['xdh1'].full_name}" in note and "UBND huyện Đông Sơn › UBND xã Đông Hưng" in note


def test_a_commune_officer_sees_the_path_above_and_nothing_of_a_sibling_commune(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.report_progress(p.u["xdt1"], n["XDT"], {"progress": 40, "note": "Ghi chú của xã Đông Thịnh"})
    c, _token = as_(client, p, "xdh2")
    for html in (page(c, d), c.get(f"/directives/{d.id}/live").get_data(as_text=True)):
        assert "UBND xã Đông Thịnh" not in html and "Ghi chú của xã Đông Thịnh" not in html
        assert f'agency-row-{n["XDT"].id}"' not in html and f'data-assignment-id="{n["XDT"].id}"' not in html
        xdt = n["XDT"].id
        for trace in (f'data-parent-id="{xdt}"', f"/assignments/{xdt}/", f'data-own-id="{xdt}"', f"decide-{xdt}"):
            assert trace not in html, trace
        hds = row(html, n["HDS"])
        assert "UBND huyện Đông Sơn" in hds and "path-only" in hds
        assert "tracking-badge" not in hds and "progress-cell" not in hds and "history.xlsx" not in hds
        assert "data-children-tracking" not in hds  # the district's children would count the sibling
        xdh = row(html, n["XDH"])
        assert "path-only" not in xdh and f"/assignments/{n['XDH'].id}/history.xlsx" in xdh
        assert f'id="agency-row-{n["xdh1"].id}"' in html  # the commune's own branch, whole


def test_the_history_shows_only_the_events_of_what_the_viewer_sees_in_full(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.report_progress(p.u["xdt1"], n["XDT"], {"progress": 40, "note": "Đã rà soát thôn 3"})
    c, _token = as_(client, p, "xdh1")
    html = page(c, d)
    history = html[html.index('id="part-history"'):]
    assert "Đã rà soát thôn 3" not in history
    c, _token = as_(client, p, "chutich")
    html = page(c, d)
    assert "Đã rà soát thôn 3" in html[html.index('id="part-history"'):]


# -- passing on from the page ------------------------------------------------------------------

def test_the_holder_passes_it_on_from_the_form_of_its_card(client, p):
    d = p.issue()
    hds = p.root(d)
    c, token = as_(client, p, "hds1")
    html = page(c, d)
    form = html[html.index('id="pass-on-form"'):]
    form = form[:form.index("</form>")]
    assert "UBND xã Đông Hưng" in form and "UBND xã Đông Thịnh" in form and "UBND xã Tây Phú" not in form
    own_deadline = hds.deadline.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{own_deadline}" max="{own_deadline}"' in form  # the assignment's own, by default and at most
    res = c.post(f"/assignments/{hds.id}/pass-on", data={
        "csrf_token": token, "agency_ids": [p.ag["XDH"].id, p.ag["XDT"].id], "deadline": local(5),
        "note": "Mỗi xã rà soát địa bàn mình"})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/directives/{d.id}#actions")
    children = db.session.scalars(db.select(Assignment).where(Assignment.parent_id == hds.id)).all()
    assert sorted(a.agency.code for a in children) == ["XDH", "XDT"]
    assert all(a.note == "Mỗi xã rà soát địa bàn mình" and a.assigned_by_id == p.u["hds1"].id for a in children)
    db.session.refresh(hds)
    assert hds.status == "acknowledged"  # passing it on took it in
    html = page(c, d)
    assert html.count("already-has") >= 2 and f'data-parent-id="{hds.id}"' in html


def test_the_pass_on_form_names_each_bad_field_and_keeps_what_was_typed(client, p):
    d = p.issue(days=10)
    hds = p.root(d)
    services.acknowledge(p.u["hds1"], hds)
    c, token = as_(client, p, "hds1")
    before = db.session.scalar(db.select(db.func.count(Assignment.id)))
    res = c.post(f"/assignments/{hds.id}/pass-on", data={
        "csrf_token": token, "agency_ids": [p.ag["XDH"].id], "deadline": local(30), "note": "Ghi chú đã gõ"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422
    at = html.index('id="f-pass-deadline"')
    assert "is-invalid" in html[html.rindex("<input", 0, at):at]  # the field itself is marked
    assert "Hạn không được sau hạn của chính việc này" in html[at:at + 1500]
    assert "Ghi chú đã gõ" in html
    assert re.search(r'class="tab-pane fade show active" id="tab-pass"', html)
    assert re.search(rf'value="{p.ag["XDH"].id}" id="pass-agency-{hds.id}-{p.ag["XDH"].id}"\s+checked', html)
    # an agency that is not under the district
    res = c.post(f"/assignments/{hds.id}/pass-on", data={
        "csrf_token": token, "agency_ids": [p.ag["XTP"].id], "deadline": local(5)})
    html = res.get_data(as_text=True)
    assert res.status_code == 422
    assert f'id="pass-agencies-error">Không phải đơn vị thuộc UBND huyện Đông Sơn: {p.ag["XTP"].id}' in html
    # nobody chosen
    res = c.post(f"/assignments/{hds.id}/pass-on", data={"csrf_token": token, "deadline": local(5)})
    assert res.status_code == 422 and "Chọn ít nhất một đơn vị hoặc cán bộ" in res.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Assignment.id))) == before


def test_only_a_holder_sees_the_form_and_may_post_it(client, p):
    d = p.issue()
    hds = p.root(d)
    c, token = as_(client, p, "chutich")
    assert "pass-on-form" not in page(c, d)
    res = c.post(f"/assignments/{hds.id}/pass-on", data={"csrf_token": token, "agency_ids": [p.ag["XDH"].id],
                                                         "deadline": local(5)})
    assert res.status_code == 403
    c, token = as_(client, p, "hth1")  # another district: not even there
    res = c.post(f"/assignments/{hds.id}/pass-on", data={"csrf_token": token, "agency_ids": [p.ag["XDH"].id],
                                                         "deadline": local(5)})
    assert res.status_code == 404
    assert db.session.scalar(db.select(db.func.count(Assignment.id)).where(Assignment.parent_id == hds.id)) == 0


def test_an_officer_holding_the_agencys_node_and_a_personal_share_gets_a_card_for_each(client, p):
    d, n = p.cascade()
    c, _token = as_(client, p, "xdh1")
    html = page(c, d)
    cards = re.findall(r'class="card border-0 shadow-sm mb-3 own-card"[^>]*data-own-id="(\d+)"', html)
    assert cards == [str(n["xdh1"].id), str(n["XDH"].id)]  # the personal share first
    assert f'id="actions" data-own-id="{n["xdh1"].id}"' in html
    assert "Việc của bạn" in html and "Giao bởi" in html
    # a personal share is not passed on further; the commune's node is
    assert f'/assignments/{n["xdh1"].id}/pass-on' not in html and f'/assignments/{n["XDH"].id}/pass-on' in html
    # seen by opening the page: both of what they hold
    db.session.refresh(n["xdh1"])
    db.session.refresh(n["XDH"])
    assert n["xdh1"].first_seen_by_id == p.u["xdh1"].id and n["XDH"].first_seen_by_id is not None


# -- submitting with children open, approval inside the agency --------------------------------

def test_submitting_a_parent_with_open_children_asks_why_on_the_form(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["hds1"], n["HDS"])
    c, token = as_(client, p, "hds1")
    html = page(c, d)
    assert 'name="children_note"' in html and "2 đơn vị hoặc cán bộ được giao tiếp chưa xong" in html
    res = c.post(f"/assignments/{n['HDS'].id}/submit", data={"csrf_token": token, "note": "Xong phần huyện"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and re.search(r'id="f-children-note"[^>]*>', html)
    assert "Xong phần huyện" in html  # kept
    res = c.post(f"/assignments/{n['HDS'].id}/submit", data={"csrf_token": token, "note": "Xong phần huyện",
                                                             "children_note": "Hai xã báo cáo sau"})
    assert res.status_code == 302


def officer_submits(p, n):
    services.acknowledge(p.u["xdh1"], n["XDH"])
    services.submit(p.u["xdh1"], n["XDH"], {"note": "Đã rà soát 45 hộ", "children_note": "Cán bộ báo cáo sau"})
    db.session.refresh(n["XDH"])
    assert n["XDH"].approved_at is None  # the commune has a leader and asks for approval


def test_the_agency_leader_approves_an_officers_result_and_it_goes_up(client, p):
    d, n = p.cascade()
    officer_submits(p, n)
    c, _token = as_(client, p, "xdh1")
    card = page(c, d)
    assert 'data-waiting="approval"' in card and "chờ lãnh đạo đơn vị duyệt" in card
    c, token = as_(client, p, "xdhct")
    html = page(c, d)
    item = html[html.index(f'id="decide-{n["XDH"].id}"'):]
    assert "approve-button" in item[:3000] and "Đã rà soát 45 hộ" in item[:3000]
    assert "Cán bộ báo cáo sau" in item[:3000]  # why it went without the officer's share
    res = c.post(f"/assignments/{n['XDH'].id}/approve", data={"csrf_token": token})
    assert res.status_code == 302
    db.session.refresh(n["XDH"])
    assert n["XDH"].approved_at is not None and n["XDH"].approved_by_id == p.u["xdhct"].id
    c, _token = as_(client, p, "xdh1")
    assert 'data-waiting="giver"' in page(c, d)
    c, _token = as_(client, p, "hdsct")  # the district, which gave it, now decides
    assert f'/assignments/{n["XDH"].id}/accept' in page(c, d)


def test_the_agency_leader_returns_an_officers_result_with_a_reason(client, p):
    d, n = p.cascade()
    officer_submits(p, n)
    c, token = as_(client, p, "xdhct")
    res = c.post(f"/assignments/{n['XDH'].id}/return", data={"csrf_token": token, "assignment_id": n["XDH"].id,
                                                              "reason": "Thiếu danh sách hộ"})
    assert res.status_code == 302
    db.session.refresh(n["XDH"])
    assert n["XDH"].status == "in_progress"
    c, _token = as_(client, p, "xdh1")
    assert "Thiếu danh sách hộ" in page(c, d)


def test_a_non_leader_cannot_approve(client, p):
    d, n = p.cascade()
    officer_submits(p, n)
    for who, status in (("xdh2", 403), ("hdsct", 403), ("xdt1", 404)):
        c, token = as_(client, p, who)
        res = c.post(f"/assignments/{n['XDH'].id}/approve", data={"csrf_token": token})
        assert res.status_code == status, who
        assert "approve-button" not in (page(c, d) if status == 403 else "")
    db.session.refresh(n["XDH"])
    assert n["XDH"].approved_at is None


# -- the agency's approval switch ---------------------------------------------------------------

def test_the_agency_leader_switches_approval_off_and_on_from_the_home_page(client, p):
    c, token = as_(client, p, "xdhct")
    home = c.get("/").get_data(as_text=True)
    assert 'id="home-approval"' in home and 'name="approval_required" value="0"' in home
    res = c.post(f"/agencies/{p.ag['XDH'].id}/approval", data={"csrf_token": token, "approval_required": "0",
                                                              "next": "/"})
    assert res.status_code == 302 and res.headers["Location"] == "/"
    assert db.session.get(Agency, p.ag["XDH"].id).approval_required is False
    audit = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "agency.update")).all()
    assert [(a.actor_id, a.data.get("approval_required")) for a in audit] == [(p.u["xdhct"].id, [True, False])]
    d, n = p.cascade()
    services.acknowledge(p.u["xdh1"], n["XDH"])
    services.submit(p.u["xdh1"], n["XDH"], {"children_note": "Sau"})
    db.session.refresh(n["XDH"])
    assert n["XDH"].approved_at is not None  # went straight up
    c.post(f"/agencies/{p.ag['XDH'].id}/approval", data={"csrf_token": token, "approval_required": "1"})
    assert db.session.get(Agency, p.ag["XDH"].id).approval_required is True


def test_only_the_agencys_leaders_and_admins_switch_its_approval(client, p, factory):
    for who in ("xdh1", "hdsct", "chutich"):  # an officer; the district above; the province
        c, token = as_(client, p, who)
        res = c.post(f"/agencies/{p.ag['XDH'].id}/approval", data={"csrf_token": token, "approval_required": "0"})
        assert res.status_code == 403, who
        assert f"/agencies/{p.ag['XDH'].id}/approval" not in c.get("/").get_data(as_text=True)
    assert db.session.get(Agency, p.ag["XDH"].id).approval_required is True
    admin = factory.user("admin", username="quantri")
    c = client.application.test_client()
    token = login(c, admin)
    res = c.post(f"/admin/agencies/{p.ag['XDH'].id}/edit", data={
        "csrf_token": token, "code": "XDH", "name": "UBND xã Đông Hưng", "kind": "commune",
        "parent_id": p.ag["HDS"].id, "active": "1"})
    assert res.status_code == 302
    assert db.session.get(Agency, p.ag["XDH"].id).approval_required is False  # the switch left unticked
    form = c.get(f"/admin/agencies/{p.ag['XDH'].id}/edit").get_data(as_text=True)
    assert re.search(r'id="f-approval_required" name="approval_required" value="1"\s*>', form)


def test_the_approval_switch_refuses_a_post_without_a_value_or_the_csrf_token(client, p):
    c, token = as_(client, p, "xdhct")
    res = c.post(f"/agencies/{p.ag['XDH'].id}/approval", data={"csrf_token": token, "next": "/"})
    assert res.status_code == 302
    assert "approval_required" not in res.headers.get("Location", "")
    assert db.session.get(Agency, p.ag["XDH"].id).approval_required is True
    assert c.post(f"/agencies/{p.ag['XDH'].id}/approval", data={"approval_required": "0"}).status_code == 400


# -- my tasks and the inbox ---------------------------------------------------------------------

def test_my_tasks_lists_only_what_was_passed_to_me_open_first(client, p):
    d, n = p.cascade()
    later = p.issue(title="Kiểm tra an toàn thực phẩm", days=12)
    xdh_later = p.pass_on("hdsct", p.root(later), ("XDH",), days=8)["XDH"]
    mine_later = p.pass_on("xdhct", xdh_later, users=("xdh1", "xdh2"), days=2, note="Làm trước Tết")
    other = p.issue(title="Không phải việc của tôi")
    p.pass_on("xdhct", p.pass_on("hdsct", p.root(other), ("XDH",))["XDH"], users=("xdh2",))
    c, _token = as_(client, p, "xdh1")
    html = c.get("/tasks").get_data(as_text=True)
    assert 'href="/tasks"' in html and "Việc của tôi" in html
    ids = re.findall(r'id="task-(\d+)"', html)
    assert ids == [str(mine_later["xdh1"].id), str(n["xdh1"].id)]  # by deadline: 2 days before 4
    assert "Không phải việc của tôi" not in html and "Làm trước Tết" in html
    assert f'href="/directives/{later.id}"' in html and later.number in html
    assert p.u["xdhct"].full_name in html  # who passed it on
    c, _token = as_(client, p, "hds1")  # nothing passed to them personally: no menu entry, an empty page
    assert 'href="/tasks"' not in c.get("/").get_data(as_text=True)
    assert "Chưa có việc nào được giao riêng cho bạn" in c.get("/tasks").get_data(as_text=True)


def test_the_inbox_shows_who_handles_each_assignment_in_one_statement(client, p):
    d, n = p.cascade()
    second = p.issue(title="Kiểm tra an toàn thực phẩm")
    p.pass_on("hds1", p.root(second), users=("hds1",))
    c, _token = as_(client, p, "xdh2")
    html = c.get("/directives/inbox").get_data(as_text=True)
    xdh = html[html.index(f'id="assignment-{n["XDH"].id}"'):]
    assert f"Người xử lý: {p.u['xdh1'].full_name}" in xdh[:3000]
    c, _token = as_(client, p, "hds1")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = c.get("/directives/inbox").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    hds = html[html.index(f'id="assignment-{n["HDS"].id}"'):]
    assert "Đã giao tiếp cho UBND xã Đông Hưng, UBND xã Đông Thịnh" in hds[:3000]
    assert f"Người xử lý: {p.u['hds1'].full_name}" in html
    handler_reads = [s for s in statements if "parent_id IN" in s]
    assert len(handler_reads) == 1


def test_the_new_forms_refuse_a_post_without_the_csrf_token(client, p):
    d, n = p.cascade()
    officer_submits(p, n)
    for who, url, data in (
        ("hds1", f"/assignments/{n['HDS'].id}/pass-on", {"agency_ids": [p.ag["XDH"].id], "deadline": local(3)}),
        ("xdhct", f"/assignments/{n['XDH'].id}/approve", {}),
        ("xdhct", f"/agencies/{p.ag['XDH'].id}/approval", {"approval_required": "0"}),
    ):
        c, _token = as_(client, p, who)
        assert c.post(url, data=data).status_code == 400, url
    db.session.refresh(n["XDH"])
    assert n["XDH"].approved_at is None and db.session.get(Agency, p.ag["XDH"].id).approval_required is True


def test_the_cascade_pages_speak_english_on_request(client, p):
    d, n = p.cascade()
    c, token = as_(client, p, "xdh1")
    c.post("/lang/en", data={"next": "/", "csrf_token": token})
    html = page(c, d)
    for words in ("Assigned agencies and officers", "Your task", "Passed on by", "Pass it on", "Handler",
                  "above your part: agency, status and deadline only"):
        assert words in html, words
    assert "Đơn vị và cán bộ được giao" not in html
    assert "My tasks" in c.get("/tasks").get_data(as_text=True)


def statements_for(c, url):
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert c.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_directive_page_reads_the_same_number_of_statements_however_big_the_cascade(client, p, factory):
    from directives import cascade
    from tests.cascade_support import deadline

    small, _n = p.cascade()
    big = p.issue(title="Chỉ đạo lớn")
    communes = [factory.agency(f"XL{i}", f"UBND xã Lớn {i}", parent=p.ag["HDS"], kind="commune") for i in range(12)]
    officers = [factory.user("officer", a, username=f"xl{i}") for i, a in enumerate(communes)]
    shares = cascade.pass_on(p.u["hds1"], p.root(big), {"agency_ids": [a.id for a in communes],
                                                        "deadline": deadline(5)})
    for share, officer in zip(shares, officers, strict=True):
        cascade.pass_on(officer, share, {"user_ids": [officer.id], "deadline": deadline(4)})
    for who in ("chutich", "hds1"):
        c, _token = as_(client, p, who)
        for d in (small, big):  # the first view of each marks it seen: count the ones after
            c.get(f"/directives/{d.id}")
        for url in ("/directives/{}", "/directives/{}/live"):
            assert statements_for(c, url.format(small.id)) == statements_for(c, url.format(big.id)), (who, url)


def test_the_tree_rows_the_script_asks_for_are_only_those_and_only_if_visible(client, p):
    d, n = p.cascade()
    ids = ",".join(str(n[k].id) for k in ("XDH", "XDT", "xdh1"))
    c, _token = as_(client, p, "chutich")
    html = c.get(f"/directives/{d.id}/tree?ids={ids}").get_data(as_text=True)
    assert re.findall(r'<tr id="agency-row-(\d+)"', html) == [str(n[k].id) for k in ("XDH", "xdh1", "XDT")]
    assert 'id="part-agencies"' in html and "2 trong hạn" not in html  # the district's row was not asked for
    c, _token = as_(client, p, "xdh2")
    html = c.get(f"/directives/{d.id}/tree?ids={ids}").get_data(as_text=True)
    assert re.findall(r'<tr id="agency-row-(\d+)"', html) == [str(n[k].id) for k in ("XDH", "xdh1")]
    assert "UBND xã Đông Thịnh" not in html
    assert c.get(f"/directives/{d.id}/tree?ids=abc,²,{'9' * 40}").status_code == 200  # nonsense: no rows
    live = c.get(f"/directives/{d.id}/live?tree=0").get_data(as_text=True)
    assert 'id="part-agencies"' not in live and 'id="part-actions"' in live
    c, _token = as_(client, p, "hth1")
    assert c.get(f"/directives/{d.id}/tree?ids={ids}").status_code == 404


def test_a_row_fetched_alone_is_the_row_the_page_draws(client, p):
    d, n = p.cascade()
    services.acknowledge(p.u["xdt1"], n["XDT"])
    services.report_progress(p.u["xdt1"], n["XDT"], {"progress": 50})
    n["xdh1"].deadline = utcnow() - timedelta(days=1)  # a stuck path to mark
    db.session.commit()
    for who in ("chutich", "xdh1"):
        c, _token = as_(client, p, who)
        html = page(c, d)
        ids = re.findall(r'<tr id="agency-row-(\d+)"', html)
        alone = c.get(f"/directives/{d.id}/tree?ids={','.join(ids)}").get_data(as_text=True)
        for i in ids:
            node = SimpleNamespace(id=i)
            assert row(alone, node) == row(html, node), (who, i)
        stuck = re.search(r'data-stuck-path="([\d,]*)"', alone).group(1)
        assert stuck == ",".join(str(n[k].id) for k in ("HDS", "XDH", "xdh1"))


def test_a_district_leader_is_offered_only_the_agencies_under_the_district(client, p):
    fresh, _token = as_(client, p, "hdsct")
    html = fresh.get("/directives/new").get_data(as_text=True)
    for code in ("XDH", "XDT"):
        assert f'value="{p.ag[code].id}"' in html
    for code in ("HDS", "HTH", "XTP", "SYT", "VPUB"):
        assert f'value="{p.ag[code].id}"' not in html, code
    province, _token = as_(client, p, "chutich")
    html = province.get("/directives/new").get_data(as_text=True)
    assert all(f'value="{p.ag[code].id}"' in html for code in ("HDS", "XDH", "SYT"))

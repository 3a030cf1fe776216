"""Journey: a directive goes down the cascade (province → district → commune → one of its officers) and its
results come back up, while the provincial leader watches the tree on the directive page change live;
a commune officer's page shows the path above and nothing of the sibling commune."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, assert_not_reloaded, no_reload_marker, shot
from tests.e2e.test_directive_journey import local_input

pytestmark = pytest.mark.e2e


def make_province(admin):
    """A district of the journey's own with two communes and their officers (so the demo province's
    directives and settings do not matter): {name: id} and the users' {key: (username, full name)}."""
    tag = uuid.uuid4().hex[:5].upper()
    ids = {}
    for key, name, kind, parent in (("district", f"UBND huyện Sông Mã {tag}", "district", None),
                                    ("xa", f"UBND xã Mường Lầm {tag}", "commune", "district"),
                                    ("xb", f"UBND xã Chiềng Khoong {tag}", "commune", "district")):
        res = admin.api("POST", "/api/v1/agencies", {"code": f"{key}{tag}", "name": name, "kind": kind,
                                                     "parent_id": ids.get(parent)})
        assert res["status"] == 201, res
        ids[key] = res["data"]["id"]
        ids[key + "_name"] = name
    people = {}
    for key, full_name, agency in (("dt", "Lò Văn Thành", "district"), ("xa1", "Quàng Thị Mai", "xa"),
                                   ("xa2", "Cầm Văn Khiêm", "xa"), ("xb1", "Lường Thị Hoa", "xb")):
        username = f"{key}{tag.lower()}"
        res = admin.api("POST", "/api/v1/users", {"username": username, "full_name": full_name, "role": "officer",
                                                  "agency_id": ids[agency], "password": DEMO_PASSWORD})
        assert res["status"] == 201, res
        people[key] = (username, full_name)
    return ids, people


def row_of(page, parent_id=None, text=None):
    rows = page.locator("#part-agencies tr.tree-row")
    if parent_id is not None:
        rows = page.locator(f"#part-agencies tr.tree-row[data-parent-id='{parent_id}']")
    return rows.filter(has_text=text) if text else rows


def status_of(row):
    return row.locator("[data-status]").first


def test_a_directive_goes_down_three_levels_and_back_up_while_the_province_watches(actors):
    admin = actors("admin")
    ids, people = make_province(admin)
    leader = actors("chutich")
    district, xa1, xa2 = (actors(people[k][0]) for k in ("dt", "xa1", "xa2"))
    title = "Rà soát hộ nghèo, hộ cận nghèo năm 2027 trên địa bàn"

    # the province issues it to the district
    page = leader.page
    page.goto("/directives/new")
    page.fill("#f-title", title)
    page.fill("#f-body", "Các xã rà soát từng thôn, báo cáo danh sách về huyện.")
    page.fill("#f-deadline", local_input(20)[0])
    page.select_option("#f-lead_agency_id", label=ids["district_name"])
    page.click("#issue-button")
    expect(page).to_have_url(re.compile(r"/directives/\d+$"))
    directive_id = int(page.url.rsplit("/", 1)[1])
    leader.socket_connected()
    no_reload_marker(page)
    root = row_of(page, text=ids["district_name"])
    expect(status_of(root)).to_have_attribute("data-status", "pending")
    root_id = root.get_attribute("data-assignment-id")

    # the district's officer acknowledges and passes it on to both communes
    dp = district.page
    dp.goto(f"/directives/{directive_id}")
    dp.locator("#actions .ack-button").click()
    expect(status_of(root)).to_have_attribute("data-status", "acknowledged")
    # the district's own page swaps its card in again for the acknowledgement: act on the new one (under load
    # the swap could land between opening the tab and ticking a box)
    expect(status_of(row_of(dp, text=ids["district_name"]))).to_have_attribute("data-status", "acknowledged")
    dp.wait_for_function("() => parseInt(document.querySelector('[data-live-url]').dataset.refreshed || '0') >= 1")
    expect(dp.locator("#actions .ack-button")).to_have_count(0)
    dp.locator("button[data-bs-target='#tab-pass']").click()
    dp.locator("#pass-on-form .pass-on-item", has_text=ids["xa_name"]).locator("input").check()
    dp.locator("#pass-on-form .pass-on-item", has_text=ids["xb_name"]).locator("input").check()
    dp.fill("#f-pass-deadline", local_input(12)[0])
    dp.fill("#f-pass-note", "Mỗi xã rà soát địa bàn của mình.")
    shot(dp, "cascade-pass-on-form")
    dp.locator("#pass-on-form button[type=submit]").click()
    expect(dp.locator(".alert-success")).to_contain_text("Đã giao tiếp")

    # ... and the province's tree grows two communes under the district, without a reload
    xa = row_of(page, root_id, ids["xa_name"])
    expect(xa).to_have_count(1)
    expect(row_of(page, root_id, ids["xb_name"])).to_have_count(1)
    expect(xa).to_have_attribute("data-depth", "1")
    assert_not_reloaded(page)
    xa_id = xa.get_attribute("data-assignment-id")

    # the commune passes it to one of its officers personally (that takes it in too); the officer has
    # "My tasks" open and sees it arrive
    op = xa2.page
    op.goto("/tasks")
    xa2.socket_connected()
    no_reload_marker(op)
    cp = xa1.page
    commune_inbox = xa1.new_page()  # the commune's inbox in a second tab: its handler follows live
    commune_inbox.goto("/directives/inbox")
    xa1.socket_connected(commune_inbox)
    no_reload_marker(commune_inbox)
    handler = commune_inbox.locator(".inbox-row", has_text=title).locator(".handler")
    expect(handler).to_contain_text("Chưa giao tiếp")
    cp.goto(f"/directives/{directive_id}")
    expect(cp.locator("#actions")).to_contain_text(ids["xa_name"])
    cp.locator("#actions button[data-bs-target='#tab-pass']").click()
    cp.locator("#pass-on-form .pass-on-item", has_text=people["xa2"][1]).locator("input").check()
    cp.fill("#f-pass-note", "Anh Khiêm rà soát thôn Bản Lầm.")
    cp.locator("#pass-on-form button[type=submit]").click()
    officer = row_of(page, xa_id, people["xa2"][1])
    expect(officer).to_have_count(1)
    expect(officer).to_have_attribute("data-depth", "2")
    expect(status_of(xa)).to_have_attribute("data-status", "acknowledged")
    expect(xa).to_contain_text(f"Giao cho {people['xa2'][1]}")
    assert_not_reloaded(page)

    # the commune officer sees the district above as a path, nothing of the other commune
    expect(cp.locator(f"#part-agencies tr[data-assignment-id='{root_id}']")).to_have_class(re.compile("path-only"))
    expect(cp.locator("#part-agencies")).not_to_contain_text(ids["xb_name"])
    assert ids["xb_name"] not in cp.content()
    cp.locator("#part-agencies").scroll_into_view_if_needed()
    shot(cp, "cascade-commune-officer")

    # the officer does the work: acknowledges their own task and submits
    expect(op.locator(".task-row", has_text=title)).to_contain_text("Anh Khiêm rà soát thôn Bản Lầm.")
    assert_not_reloaded(op)
    shot(op, "cascade-my-tasks")
    op.locator(".task-row", has_text=title).locator(".directive-title").click()
    expect(op.locator("#actions")).to_contain_text("Việc của bạn")
    op.locator("#actions .ack-button").click()
    expect(op.locator("#actions button[data-bs-target='#tab-submit']")).to_be_visible()
    op.locator("#actions button[data-bs-target='#tab-submit']").click()
    op.fill("#f-submit-note", "Thôn Bản Lầm: 12 hộ nghèo, 7 hộ cận nghèo.")
    op.locator("#tab-submit button[type=submit]").click()
    expect(status_of(officer)).to_have_attribute("data-status", "submitted")

    # the province's view, with the branches at three levels
    page.locator("#part-agencies").scroll_into_view_if_needed()
    shot(page, "cascade-province-tree")

    # the commune's inbox says who handles it (changed live); the commune accepts its officer's result,
    # then submits its own
    expect(handler).to_contain_text(people["xa2"][1])
    assert_not_reloaded(commune_inbox)
    shot(commune_inbox, "cascade-inbox-handlers")
    cp.goto(f"/directives/{directive_id}")
    decide = cp.locator(f"[id='decide-{officer.get_attribute('data-assignment-id')}']")
    expect(decide).to_contain_text("Thôn Bản Lầm: 12 hộ nghèo")
    decide.locator("form[action$='/accept'] button").click()
    expect(status_of(officer)).to_have_attribute("data-status", "completed")
    commune_card = cp.locator(f".own-card[data-own-id='{xa_id}']")
    commune_card.locator("button[data-bs-target^='#tab-submit']").click()
    commune_card.locator("textarea[id^='f-submit-note']").fill("Xã Mường Lầm đã rà soát xong 9 thôn.")
    commune_card.locator("[id^='tab-submit'] button[type=submit]").click()
    expect(status_of(xa)).to_have_attribute("data-status", "submitted")
    assert_not_reloaded(page)

    # the district accepts the commune and submits without the other commune, saying why
    dp.reload()
    dp.locator(f"[id='decide-{xa_id}'] form[action$='/accept'] button").click()
    expect(status_of(xa)).to_have_attribute("data-status", "completed")
    dp.locator("#actions button[data-bs-target='#tab-submit']").click()
    dp.fill("#f-submit-note", "Huyện tổng hợp kết quả của xã Mường Lầm.")
    expect(dp.locator("#f-children-note")).to_be_visible()
    dp.fill("#f-children-note", "Xã Chiềng Khoong báo cáo sau do mưa lũ.")
    dp.locator("#tab-submit button[type=submit]").click()
    expect(status_of(root)).to_have_attribute("data-status", "submitted")

    assert_not_reloaded(page)

    # the province accepts: the district done, the commune still open closed with it
    item = page.locator(f"[id='decide-{root_id}']")
    expect(item).to_contain_text("Xã Chiềng Khoong báo cáo sau do mưa lũ.")
    item.locator("form[action$='/accept'] button").click()
    expect(status_of(root)).to_have_attribute("data-status", "completed")
    expect(status_of(row_of(page, root_id, ids["xb_name"]))).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#part-agencies [data-tree-toggle]")).to_have_count(2)

    # collapse the district's branch, and it stays folded across a live refresh
    page.locator(f"[data-tree-toggle='{root_id}']").click()
    expect(xa).to_be_hidden()
    page.locator("[data-tree-all='expand']").click()
    expect(officer).to_be_visible()

    # on a phone the tree stacks each node as a card, indented by its level
    phone = actors("phochutich", viewport=PHONE)
    phone.page.goto(f"/directives/{directive_id}")
    phone.page.locator("#part-agencies").scroll_into_view_if_needed()
    expect(phone.page.locator(f"#part-agencies tr[data-assignment-id='{root_id}']")).to_be_visible()
    shot(phone.page, "cascade-phone-tree")

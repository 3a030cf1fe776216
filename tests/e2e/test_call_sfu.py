"""The call through a real Janus (started from deploy/janus) in a real browser with fake devices: three
participants of the live demo meeting each receive the two others' video and sound over their one
subscriber connection (judged by getStats per person: decoded frames, received audio bytes); the chair
mutes one and the others stop receiving that sound; a removed participant's streams end; a socket back
from offline joins the call again."""

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import OFFLINE_NOISE, PHONE, Actor, query, seed_demo, shot, user_id
from tests.e2e.test_call_mesh import silent_since, stats, wait_stats
from tests.e2e.test_meeting_journey import create_meeting
from tests.e2e.test_meetings_chat_browser import LIVE_DEMO, enter, meeting_id

CALL_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser, janus):
    """The demo province on a server whose call goes through Janus (overrides the shared ``server``)."""
    folder = tmp_path_factory.mktemp("e2e-sfu")
    env = dict(janus.env(), MEDIA_SFU_RECORD_DIR=str(folder / "recordings"))
    srv = LiveServer(folder, name="e2e", env=env).start()
    try:
        seed_demo(srv)
        yield srv
    finally:
        srv.stop()


def receiving_from(expected):
    return lambda s: set(s) >= set(expected) and all(s[u]["frames"] > 0 and s[u]["audio"] > 0 for u in expected)


def join_call(page):
    page.get_by_test_id("media-join").click()
    expect(page.get_by_test_id("media-leave")).to_be_visible(timeout=CALL_MS)
    page.wait_for_function("() => window.meetingCall.mode === 'sfu'")


def test_three_people_through_janus_see_and_hear_each_other_and_the_chair_mutes_one(server, actors):
    mid = meeting_id(server, LIVE_DEMO)
    chair, first, second = actors("phochutich"), actors("sgddt1"), actors("sgddt2", viewport=PHONE)
    ids = {a: user_id(server, a.username) for a in (chair, first, second)}
    pages = {a: enter(a, mid) for a in (chair, first, second)}
    for a in (chair, first, second):
        join_call(pages[a])
    for a in (chair, first, second):
        others = [ids[o] for o in (chair, first, second) if o is not a]
        wait_stats(pages[a], receiving_from(others), f"{a.username} receives from {others} through Janus")
        expect(pages[a].locator("#call-grid .call-tile")).to_have_count(3)
    # one connection up to Janus and one down, whatever the number of people
    assert pages[chair].evaluate("window.meetingCall.peers.size") == 0
    shot(pages[chair], "call-sfu-desktop")

    # the chair mutes the first: held in Janus too, and the others stop receiving their sound
    pages[chair].get_by_test_id(f"media-mute-{ids[first]}").click()
    expect(pages[first].get_by_test_id("media-mic")).to_have_attribute("data-muted", "1")
    silent_since([pages[chair], pages[second]], ids[first])
    held = query(server, "SELECT audio_held, audio_mid FROM meeting_call_members WHERE user_id = ?", ids[first])
    assert held[0][0] == 1 and held[0][1] is not None
    # their own unmute releases it: sound again
    pages[first].get_by_test_id("media-mic").click()
    before = stats(pages[second])[ids[first]]["audio"]
    wait_stats(pages[second], lambda s: s[ids[first]]["audio"] > before + 2000, "sound again after unmuting")
    assert query(server, "SELECT audio_held FROM meeting_call_members WHERE user_id = ?", ids[first])[0][0] == 0

    # one leaves: the others stop getting their streams and keep two tiles
    pages[first].get_by_test_id("media-leave").click()
    frames = {}
    for a in (chair, second):
        expect(pages[a].locator("#call-grid .call-tile")).to_have_count(2)
        frames[a] = stats(pages[a]).get(ids[first], {}).get("frames", 0)
    pages[chair].wait_for_timeout(1500)  # both pages over the same 1.5 s
    for a in (chair, second):
        assert stats(pages[a]).get(ids[first], {}).get("frames", 0) == frames[a]


def test_a_removed_participants_streams_end_and_the_meeting_end_closes_the_room(server, actors):
    chair, kept, removed = actors("chutich"), actors("snv1"), actors("snv2")
    mid = create_meeting(server, chair, "Họp qua Janus", ["snv1", "snv2"], start=True)
    ids = {a: user_id(server, a.username) for a in (chair, kept, removed)}
    for a in (chair, kept, removed):
        enter(a, mid)
        join_call(a.page)
    wait_stats(kept.page, receiving_from([ids[chair], ids[removed]]), "the member receives both")

    res = chair.api("PATCH", f"/api/v1/meetings/{mid}", {"participant_ids": [ids[kept]]})
    assert res["status"] == 200, res
    expect(removed.page.locator("#call-grid .call-tile")).to_have_count(0)
    expect(removed.page.locator("#call-message")).to_contain_text("cuộc gọi đã kết thúc")
    expect(kept.page.locator("#call-grid .call-tile")).to_have_count(2)
    # Janus kicked them: nothing of theirs reaches the others any more
    frames = stats(kept.page).get(ids[removed], {}).get("frames", 0)
    kept.page.wait_for_timeout(2000)
    assert stats(kept.page).get(ids[removed], {}).get("frames", 0) == frames

    assert chair.api("POST", f"/api/v1/meetings/{mid}/end")["status"] == 200
    expect(kept.page.locator("#call-message")).to_have_text("Cuộc họp đã kết thúc: cuộc gọi đã đóng.")
    expect(kept.page.locator("#call-grid .call-tile")).to_have_count(0)


def test_a_socket_back_from_offline_joins_the_janus_call_again(server, actors):
    mid = meeting_id(server, LIVE_DEMO)
    chair, officer = actors("phochutich"), actors("sgddt1")
    officer.allow(*OFFLINE_NOISE)
    pages = {a: enter(a, mid) for a in (chair, officer)}
    for a in (chair, officer):
        join_call(pages[a])
    chair_id, officer_id = user_id(server, "phochutich"), user_id(server, "sgddt1")
    wait_stats(pages[chair], receiving_from([officer_id]), "the chair receives the officer")

    officer.context.set_offline(True)
    expect(pages[chair].locator("#call-grid .call-tile")).to_have_count(1, timeout=CALL_MS)
    officer.context.set_offline(False)
    wait_stats(pages[chair], receiving_from([officer_id]), "the chair receives the officer again")
    wait_stats(pages[officer], receiving_from([chair_id]), "the officer receives the chair again")
    pages[officer].get_by_test_id("media-leave").click()
    pages[chair].get_by_test_id("media-leave").click()


def test_the_chair_records_the_call_and_participants_download_the_tracks(server, actors):
    chair, member = actors("chutich"), actors("snv1")
    mid = create_meeting(server, chair, "Họp có ghi hình", ["snv1"], start=True)
    ids = {a: user_id(server, a.username) for a in (chair, member)}
    for a in (chair, member):
        enter(a, mid)
        join_call(a.page)
    wait_stats(member.page, receiving_from([ids[chair]]), "the member receives the chair")
    expect(member.page.get_by_test_id("media-record")).to_have_count(0)  # the chair's control only

    chair.page.get_by_test_id("media-record").click()
    for a in (chair, member):  # nobody is recorded unaware
        expect(a.page.get_by_test_id("media-recording")).to_be_visible()
    expect(chair.page.get_by_test_id("media-record")).to_have_attribute("aria-pressed", "true")
    shot(chair.page, "call-sfu-recording")
    member.page.wait_for_timeout(3000)  # three seconds of sound and picture
    chair.page.get_by_test_id("media-record").click()
    for a in (chair, member):
        expect(a.page.get_by_test_id("media-recording")).to_be_hidden()
    expect(member.page.locator(".toast").filter(has_text="bản ghi")).to_be_visible(timeout=30_000)

    listed = member.api("GET", f"/api/v1/meetings/{mid}/recordings")
    assert listed["status"] == 200 and listed["data"]["recording"] is False
    tracks = {(r["user_id"], r["kind"]) for r in listed["data"]["items"]}
    assert tracks == {(ids[chair], "audio"), (ids[chair], "video"), (ids[member], "audio"), (ids[member], "video")}
    assert all(r["size"] > 1000 for r in listed["data"]["items"])
    video = next(r for r in listed["data"]["items"] if r["kind"] == "video")
    got = member.page.request.get(server.url + video["url"])
    assert got.status == 200 and got.headers["content-type"] == "video/webm"
    assert got.body()[:4] == b"\x1a\x45\xdf\xa3"  # a WebM (Matroska) file

    # the meeting page lists them for its participants, and nobody else gets them
    member.page.goto(f"{server.url}/meetings/{mid}")
    expect(member.page.locator("#call-recordings [data-testid^=recording-]")).to_have_count(4)
    outsider = actors("sgddt1")
    outsider.allow(r"status of 404")  # the refusals below are the point
    assert outsider.page.request.get(server.url + video["url"]).status == 404
    assert outsider.api("GET", f"/api/v1/meetings/{mid}/recordings")["status"] == 404


@pytest.fixture(scope="module")
def one_publisher_server(tmp_path_factory, browser, janus):
    """A Janus-backed server whose rooms carry one publisher (MEDIA_SFU_PUBLISHERS=1)."""
    srv = LiveServer(tmp_path_factory.mktemp("e2e-sfu-cap"), name="e2e",
                     env=dict(janus.env(), MEDIA_SFU_PUBLISHERS="1")).start()
    try:
        seed_demo(srv)
        yield srv
    finally:
        srv.stop()


def test_past_the_rooms_publisher_cap_one_listens_only(one_publisher_server, browser):
    server = one_publisher_server
    made = []
    try:
        for username in ("phochutich", "sgddt1"):
            made.append(Actor(browser, server, username).login())
        chair, officer = made
        chair_id, officer_id = user_id(server, "phochutich"), user_id(server, "sgddt1")
        mid = meeting_id(server, LIVE_DEMO)
        for a in (chair, officer):
            enter(a, mid)
            join_call(a.page)
        expect(officer.page.locator("#call-message")).to_contain_text("đủ số người phát biểu tối đa")
        expect(officer.page.get_by_test_id("media-mic")).to_be_disabled()
        # the listener sees and hears the chair; the chair gets nothing from them, and shows them muted
        wait_stats(officer.page, receiving_from([chair_id]), "the listener receives the chair")
        expect(chair.page.locator(f'#call-grid .call-tile.mic-off.cam-off[data-user-id="{officer_id}"]')
               ).to_have_count(1)
        chair.page.wait_for_timeout(1500)
        assert stats(chair.page).get(officer_id, {}).get("frames", 0) == 0
        assert [e for a in made for e in a.errors] == []
    finally:
        for a in made:
            a.close()

"""The call in a real browser, mesh mode (Chromium's fake camera and microphone): three participants of the
live demo meeting see and hear each other, judged by each RTCPeerConnection's getStats (decoded frames,
received audio bytes); the chair mutes one and the others stop receiving their sound; one leaves and the
others drop to one peer; a socket that goes offline and back joins the call again; a removed participant
is dropped from it and ending the meeting ends it; past the video limit one joins with sound only. Slow on purpose: each
browser encodes and decodes video for every peer, so the waits are generous for a 2-core machine."""
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import OFFLINE_NOISE, PHONE, Actor, no_horizontal_scroll, query, seed_demo, shot, user_id
from tests.e2e.test_meeting_journey import create_meeting
from tests.e2e.test_meetings_chat_browser import LIVE_DEMO, UPCOMING_DEMO, enter, meeting_id

# LIVE_DEMO is chaired by phochutich; sgddt1 and sgddt2 are invited. UPCOMING_DEMO has not started.
CALL_MS = 60_000
POLL_MS = 100  # getStats is cheap: a short poll ends each wait soon after its condition holds

# what each remote peer sent us so far: {user id: {state, frames, audio bytes, width}} (the call's own hook)
STATS = "() => window.meetingCall.stats()"


def stats(page):
    return {int(k): v for k, v in page.evaluate(STATS).items()}


def wait_stats(page, check, what, timeout=CALL_MS):
    """Poll getStats until check(stats) holds (stats come from the page; no event says "frames arrived")."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        current = stats(page)
        if check(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {current}")
        page.wait_for_timeout(POLL_MS)


def receiving_from(expected):
    return lambda s: set(s) == set(expected) and all(s[u]["frames"] > 0 and s[u]["audio"] > 0 for u in expected)


def join_call(page):
    page.get_by_test_id("media-join").click()
    expect(page.get_by_test_id("media-leave")).to_be_visible(timeout=CALL_MS)
    expect(page.locator("#call-grid .call-tile.is-me")).to_have_count(1)


def test_three_people_see_and_hear_each_other_the_chair_mutes_one_and_one_leaves(server, actors):
    mid = meeting_id(server, LIVE_DEMO)
    chair, first, second = actors("phochutich"), actors("sgddt1"), actors("sgddt2", viewport=PHONE)
    ids = {a: user_id(server, a.username) for a in (chair, first, second)}
    pages = {a: enter(a, mid) for a in (chair, first, second)}
    for a in (chair, first, second):
        expect(pages[a].get_by_test_id("media-join")).to_have_text("Tham gia gọi video")
        join_call(pages[a])

    # everyone receives video frames and sound from both others
    for a in (chair, first, second):
        others = [ids[o] for o in (chair, first, second) if o is not a]
        wait_stats(pages[a], receiving_from(others), f"{a.username} receives from {others}")
        expect(pages[a].locator("#call-grid .call-tile")).to_have_count(3)

    # with three in the call and nobody holding the floor or presenting, the chair is spotlit everywhere
    chair_spot = f'#call-grid .call-tile.is-spotlight[data-spotlight="chair"][data-user-id="{ids[chair]}"]'
    for a in (chair, first, second):
        expect(pages[a].locator(chair_spot)).to_have_count(1)
    # the room with three people in the call, on a desktop and on a phone
    expect(pages[chair].get_by_test_id(f"media-mute-{ids[first]}")).to_be_visible()
    shot(pages[chair], "call-desktop")
    no_horizontal_scroll(pages[second], PHONE["width"])
    shot(pages[second], "call-phone")

    # the chair mutes the first: their own mic button shows it, the others' tiles too, and no more sound
    pages[chair].get_by_test_id(f"media-mute-{ids[first]}").click()
    expect(pages[first].get_by_test_id("media-mic")).to_have_attribute("data-muted", "1")
    expect(pages[first].locator("#call-message")).to_contain_text("Chủ trì đã tắt micrô")
    for a in (chair, second):
        expect(pages[a].locator(f'#call-grid .call-tile.mic-off[data-user-id="{ids[first]}"]')).to_have_count(1)
    silent_since([pages[chair], pages[second]], ids[first])
    # a participant's own unmute brings the sound back
    pages[first].get_by_test_id("media-mic").click()
    expect(pages[first].get_by_test_id("media-mic")).to_have_attribute("data-muted", "0")
    before = stats(pages[second])[ids[first]]["audio"]
    wait_stats(pages[second], lambda s: s[ids[first]]["audio"] > before + 2000, "sound again after unmuting")

    # the phone turns its camera off (the others see its initials) and on again (frames flow again)
    pages[second].get_by_test_id("media-camera").click()
    expect(pages[second].get_by_test_id("media-camera")).to_have_attribute("data-off", "1")
    expect(pages[chair].locator(f'#call-grid .call-tile.cam-off[data-user-id="{ids[second]}"]')).to_have_count(1)
    pages[second].get_by_test_id("media-camera").click()
    expect(pages[second].get_by_test_id("media-camera")).to_have_attribute("data-off", "0")
    expect(pages[chair].locator(f'#call-grid .call-tile.cam-off[data-user-id="{ids[second]}"]')).to_have_count(0)
    frames = stats(pages[chair])[ids[second]]["frames"]
    wait_stats(pages[chair], lambda s: s[ids[second]]["frames"] > frames + 10, "video again after the camera is back")

    # the chair turns the phone's camera off: its camera button says so, its tile shows initials
    pages[chair].get_by_test_id(f"media-stop-video-{ids[second]}").click()
    expect(pages[second].get_by_test_id("media-camera")).to_have_attribute("data-off", "1")
    expect(pages[first].locator(f'#call-grid .call-tile.cam-off[data-user-id="{ids[second]}"]')).to_have_count(1)

    # the chair presents the screen: the others receive it in place of the camera picture, then the camera again
    camera_width = stats(pages[first])[ids[chair]]["width"]
    pages[chair].get_by_test_id("media-screen").click()
    expect(pages[chair].get_by_test_id("media-screen")).to_have_attribute("aria-pressed", "true")
    wait_stats(pages[first], lambda s: s[ids[chair]]["width"] not in (0, camera_width), "the screen arrives")
    spot = f'#call-grid .call-tile.is-spotlight[data-spotlight="presenting"][data-user-id="{ids[chair]}"]'
    for a in (chair, first, second):  # the presenter is spotlit, labelled "Đang trình chiếu"
        expect(pages[a].locator(spot)).to_contain_text("Đang trình chiếu")
    pages[chair].get_by_test_id("media-screen").click()
    expect(pages[chair].get_by_test_id("media-screen")).to_have_attribute("aria-pressed", "false")
    wait_stats(pages[first], lambda s: s[ids[chair]]["width"] == camera_width, "the camera again")

    # one leaves: the others drop to one remote peer and two tiles
    pages[first].get_by_test_id("media-leave").click()
    expect(pages[first].get_by_test_id("media-join")).to_be_visible()
    assert pages[first].evaluate("window.meetingCall.peers.size") == 0
    for a in (chair, second):
        pages[a].wait_for_function("n => window.meetingCall.peers.size === n", arg=1, timeout=CALL_MS)
        expect(pages[a].locator("#call-grid .call-tile")).to_have_count(2)
    assert query(server, "SELECT COUNT(*) FROM meeting_call_members WHERE meeting_id = ?", mid)[0][0] == 2


def silent_since(pages, peer):
    """The sound each page receives from peer stops growing for three seconds (a muted sender sends no audio
    packets at all) while the video from them still comes in: the connection itself is alive. The pages
    are watched over the same three seconds, not one after another."""
    last = {page: (-1, time.monotonic()) for page in pages}
    deadline = time.monotonic() + CALL_MS / 1000
    while True:
        for page in pages:
            current = stats(page).get(peer, {}).get("audio", 0)
            if current != last[page][0]:
                last[page] = (current, time.monotonic())
        if all(time.monotonic() - at >= 3 for _, at in last.values()):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"sound from {peer} stops: {[received for received, _ in last.values()]}")
        pages[0].wait_for_timeout(POLL_MS)
    frames = {page: stats(page)[peer]["frames"] for page in pages}
    for page in pages:
        wait_stats(page, lambda s, page=page: s[peer]["frames"] > frames[page], f"video from {peer} still arrives")


def test_a_socket_back_from_offline_joins_the_call_again(server, actors):
    mid = meeting_id(server, LIVE_DEMO)
    chair, officer = actors("phochutich"), actors("sgddt1")
    officer.allow(*OFFLINE_NOISE)
    pages = {a: enter(a, mid) for a in (chair, officer)}
    for a in (chair, officer):
        join_call(pages[a])
    wait_stats(pages[chair], receiving_from([user_id(server, "sgddt1")]), "the chair receives the officer")

    officer.context.set_offline(True)
    # the server drops the offline socket from the call: the chair's side closes that peer
    pages[chair].wait_for_function("() => window.meetingCall.peers.size === 0", timeout=CALL_MS)
    officer.context.set_offline(False)
    officer_id, chair_id = user_id(server, "sgddt1"), user_id(server, "phochutich")
    wait_stats(pages[chair], receiving_from([officer_id]), "the chair receives the officer again")
    wait_stats(pages[officer], receiving_from([chair_id]), "the officer receives the chair again")
    pages[officer].get_by_test_id("media-leave").click()
    pages[chair].get_by_test_id("media-leave").click()


def test_no_call_before_the_meeting_starts(server, actors):
    chair = actors("chutich")
    page = enter(chair, meeting_id(server, UPCOMING_DEMO))
    expect(page.get_by_test_id("media-join")).to_be_disabled()
    expect(page.locator("#call-message")).to_have_text("Cuộc gọi mở khi chủ trì bắt đầu cuộc họp.")


def test_mute_all_a_removed_participant_leaves_the_call_and_ending_the_meeting_ends_it(server, actors):
    chair, kept, removed = actors("chutich"), actors("snv1"), actors("snv2")
    mid = create_meeting(server, chair, "Họp có cuộc gọi", ["snv1", "snv2"], start=True)
    for a in (chair, kept, removed):
        enter(a, mid)
        join_call(a.page)
    for a in (chair, kept):
        a.page.wait_for_function("n => window.meetingCall.peers.size === n", arg=2, timeout=CALL_MS)

    # the chair's "mute all" turns every other microphone off
    chair.page.get_by_test_id("media-mute-all").click()
    for a in (kept, removed):
        expect(a.page.get_by_test_id("media-mic")).to_have_attribute("data-muted", "1")
    expect(chair.page.get_by_test_id("media-mic")).to_have_attribute("data-muted", "0")
    expect(chair.page.locator("#call-grid .call-tile.mic-off")).to_have_count(2)

    # a leader who is not invited may look into the room, but not into the call
    guest = actors("phochutich")
    enter(guest, mid)
    expect(guest.page.get_by_test_id("media-join")).to_be_disabled()
    expect(guest.page.locator("#call-message")).to_have_text("Chỉ thành phần dự họp mới tham gia cuộc gọi.")

    res = chair.api("PATCH", f"/api/v1/meetings/{mid}", {"participant_ids": [user_id(server, "snv1")]})
    assert res["status"] == 200, res
    removed.page.wait_for_function("() => window.meetingCall.peers.size === 0", timeout=CALL_MS)
    expect(removed.page.locator("#call-grid .call-tile")).to_have_count(0)
    expect(removed.page.locator("#call-message")).to_contain_text("cuộc gọi đã kết thúc")
    for a in (chair, kept):
        a.page.wait_for_function("n => window.meetingCall.peers.size === n", arg=1, timeout=CALL_MS)

    res = chair.api("POST", f"/api/v1/meetings/{mid}/end")
    assert res["status"] == 200, res
    expect(kept.page.locator("#call-message")).to_have_text("Cuộc họp đã kết thúc: cuộc gọi đã đóng.")
    expect(kept.page.locator("#call-grid .call-tile")).to_have_count(0)
    assert kept.page.evaluate("window.meetingCall.peers.size") == 0
    expect(kept.page.get_by_test_id("media-join")).to_be_disabled()
    assert query(server, "SELECT COUNT(*) FROM meeting_call_members WHERE meeting_id = ?", mid)[0][0] == 0


@pytest.fixture(scope="module")
def one_video_server(tmp_path_factory, browser):
    """A server whose call sends video among one person only (MEDIA_VIDEO_LIMIT=1)."""
    srv = LiveServer(tmp_path_factory.mktemp("e2e-video-limit"), name="e2e", env={"MEDIA_VIDEO_LIMIT": "1"})
    srv.start()
    try:
        seed_demo(srv)
        yield srv
    finally:
        srv.stop()


def test_beyond_the_video_limit_one_joins_with_sound_only(one_video_server, browser):
    server = one_video_server
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
        expect(officer.page.locator("#call-message")).to_contain_text("Hình ảnh chỉ truyền giữa 1 người đầu tiên")
        expect(officer.page.get_by_test_id("media-camera")).to_be_disabled()
        # the officer sees and hears the chair; the chair hears the officer and gets no picture from them
        wait_stats(officer.page, receiving_from([chair_id]), "the officer receives the chair")
        wait_stats(chair.page, lambda s: s.get(officer_id, {}).get("audio", 0) > 0, "the chair hears the officer")
        assert stats(chair.page)[officer_id]["frames"] == 0
        expect(chair.page.locator(f'#call-grid .call-tile.cam-off[data-user-id="{officer_id}"]')).to_have_count(1)
        assert [e for a in made for e in a.errors] == []
    finally:
        for a in made:
            a.close()


def test_the_floor_offers_an_unmute_and_spotlights_the_speaker(server, actors):
    mid = meeting_id(server, LIVE_DEMO)
    chair, officer = actors("phochutich"), actors("sgddt1", viewport=PHONE)
    officer_id, chair_id = user_id(server, "sgddt1"), user_id(server, "phochutich")
    pages = {a: enter(a, mid) for a in (chair, officer)}
    for a in (chair, officer):
        join_call(pages[a])
    wait_stats(pages[chair], receiving_from([officer_id]), "the chair receives the officer")
    spot = f'#call-grid .call-tile.is-floor[data-user-id="{officer_id}"]'

    # the officer mutes, raises a hand; the chair gives them the floor from the queue
    pages[officer].get_by_test_id("media-mic").click()
    expect(pages[officer].get_by_test_id("media-mic")).to_have_attribute("data-muted", "1")
    silent_since([pages[chair]], officer_id)
    pages[officer].locator('[data-room-tab="speakers"]').click()
    pages[officer].locator("#speaker-toggle").click()
    expect(pages[chair].locator("#speaker-queue li")).to_have_count(1)
    pages[chair].locator("#speaker-queue li button.btn-success").click()

    # the officer is asked (the microphone stays off until they click), the chair sees them spotlit
    prompt = pages[officer].locator(".call-floor-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Chủ trì mời đồng chí phát biểu.")
    expect(pages[officer].get_by_test_id("media-mic")).to_have_attribute("data-muted", "1")
    for a in (chair, officer):
        expect(pages[a].locator(spot)).to_have_count(1)
        expect(pages[a].locator(spot + " .call-floor-badge")).to_have_text("Đang phát biểu")
    # the spotlit tile comes first and is larger than the others
    box = pages[chair].locator(spot).bounding_box()
    other = pages[chair].locator(f'#call-grid .call-tile[data-user-id="{chair_id}"]').bounding_box()
    assert box["y"] <= other["y"] and box["x"] <= other["x"], (box, other)
    assert box["width"] > 1.5 * other["width"] and box["height"] > 1.5 * other["height"], (box, other)
    shot(pages[chair], "call-floor-desktop")
    no_horizontal_scroll(pages[officer], PHONE["width"])
    shot(pages[officer], "call-floor-phone")

    before = stats(pages[chair])[officer_id]["audio"]
    pages[officer].get_by_test_id("media-floor-unmute").click()
    expect(pages[officer].get_by_test_id("media-mic")).to_have_attribute("data-muted", "0")
    expect(prompt).to_be_hidden()
    wait_stats(pages[chair], lambda s: s[officer_id]["audio"] > before + 2000, "the chair hears the speaker")
    expect(pages[chair].locator(f'#call-grid .call-tile.mic-off[data-user-id="{officer_id}"]')).to_have_count(0)

    # the chair ends the turn: no spotlight anywhere
    pages[chair].locator("#speaker-end").click()
    for a in (chair, officer):
        expect(pages[a].locator("#call-grid .call-tile.is-floor")).to_have_count(0)
    pages[officer].get_by_test_id("media-leave").click()
    pages[chair].get_by_test_id("media-leave").click()

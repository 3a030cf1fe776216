"""The chat panel in a real browser: links made clickable safely, history loads as you scroll up,
and a message typed offline survives closing the tab (the outbox in localStorage) and is sent once."""
import contextlib
import re
import sqlite3
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import OFFLINE_NOISE, query, user_id

LIVE_DEMO = "Họp trực tuyến về phòng, chống dịch bệnh mùa đông"  # meetings/demo.py, live, syt1/syt2 invited
UPCOMING_DEMO = "Họp triển khai kế hoạch đầu tư công năm 2027"  # chaired by chutich


def meeting_id(server, title):
    return query(server, "SELECT id FROM meetings WHERE title = ?", title)[0][0]


def enter(actor, mid):
    page = actor.goto(f"/meetings/{mid}/room")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    return page


def send(page, text):
    page.fill("#chat-input", text)
    page.click("#chat-send")


def test_links_are_clickable_and_everything_else_stays_text(server, actors):
    officer = actors("syt1")
    page = enter(officer, meeting_id(server, LIVE_DEMO))
    text = ("Tài liệu: https://example.org/tai-lieu?a=1&b=2, không phải javascript:alert(1) "
            "<img src=x onerror=alert(1)> <a href=\"http://evil\">x</a>")
    send(page, text)
    bubble = page.locator("#chat-list .chat-msg.mine", has_text="Tài liệu:")
    expect(bubble).to_have_count(1)
    expect(bubble).to_have_attribute("data-state", "sent")
    body = bubble.locator(".chat-body")
    expect(body).to_have_text(text)
    # only the http(s) URLs in the text became links (the trailing comma is not part of one)
    links = body.locator("a")
    expect(links).to_have_count(2)
    hrefs = [a.get_attribute("href") for a in links.all()]
    assert hrefs == ["https://example.org/tai-lieu?a=1&b=2", "http://evil"]
    assert [a.inner_text() for a in links.all()] == hrefs
    expect(links.first).to_have_attribute("rel", re.compile("noopener"))
    expect(body.locator("img")).to_have_count(0)


def test_older_history_loads_when_scrolling_up(server, actors):
    chair = actors("chutich")
    mid = meeting_id(server, UPCOMING_DEMO)
    author = user_id(server, "chutich")
    start = datetime(2026, 11, 1, 1, 0)
    path = server.database_url.split("sqlite:///", 1)[1]
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        conn.executemany(
            "INSERT INTO meeting_chat_messages (meeting_id, author_id, body, client_id, created_at) VALUES (?,?,?,?,?)",
            [(mid, author, f"Tin cũ số {n}", f"old-{n}", (start + timedelta(minutes=n)).isoformat(sep=" "))
             for n in range(120)])
        conn.commit()
    page = enter(chair, mid)
    items = page.locator("#chat-list .chat-msg")
    expect(items).to_have_count(50)
    expect(items.last.locator(".chat-body")).to_have_text("Tin cũ số 119")
    expect(page.locator("#chat-older")).to_be_visible()
    for expected in (100, 120):
        page.evaluate("document.getElementById('chat-messages').scrollTop = 0")
        expect(items).to_have_count(expected)
    expect(items.first.locator(".chat-body")).to_have_text("Tin cũ số 0")
    bodies = [b.inner_text() for b in page.locator("#chat-list .chat-msg .chat-body").all()]
    assert bodies == [f"Tin cũ số {n}" for n in range(120)]
    expect(page.locator("#chat-older")).to_be_hidden()


def test_a_message_typed_offline_survives_closing_the_tab_and_is_sent_once(server, actors):
    officer = actors("syt2")
    mid = meeting_id(server, LIVE_DEMO)
    page = enter(officer, mid)
    officer.allow(*OFFLINE_NOISE)
    officer.context.set_offline(True)
    expect(page.locator("#chat-connection")).not_to_have_attribute("data-state", "connected", timeout=30_000)
    send(page, "Gửi lúc mất mạng rồi đóng tab")
    pending = page.locator("#chat-pending .chat-msg", has_text="Gửi lúc mất mạng rồi đóng tab")
    expect(pending).to_have_attribute("data-state", re.compile("sending|failed"))
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('meeting-outbox:'))"
                           ".map(k => JSON.parse(localStorage.getItem(k)).map(i => i.body))")
    assert stored == [["Gửi lúc mất mạng rồi đóng tab"]]
    page.close()

    officer.context.set_offline(False)
    page = officer.new_page()
    officer.page = page
    page.goto(f"/meetings/{mid}/room")
    sent_offline = page.locator("#chat-list .chat-msg.mine .chat-body", has_text="Gửi lúc mất mạng rồi đóng tab")
    expect(sent_offline).to_have_count(1, timeout=20_000)
    expect(page.locator("#chat-pending .chat-msg")).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('meeting-outbox:')).length") == 0
    rows = query(server, "SELECT count(*) FROM meeting_chat_messages WHERE meeting_id = ? AND body = ?",
                 mid, "Gửi lúc mất mạng rồi đóng tab")
    assert rows[0][0] == 1

"""Notifications: the bell count, the list page, open marks read, read-all, the API, privacy."""
import re

from core.extensions import db
from notifications.models import Notification
from notifications.queries import unread_count
from notifications.services import notify
from tests.api.test_auth_api import error_of
from tests.conftest import bearer, login


def bell(html):
    match = re.search(r'id="bell-count">(\d+)<', html)
    assert match, "no bell in the navbar"
    badge = re.search(r'<span class="([^"]*)" id="bell-count"', html).group(1)
    return int(match.group(1)), "d-none" not in badge


def make(user, *texts, link="/notifications"):
    rows = notify([user], "test.kind", lambda u: texts[0]) if len(texts) == 1 else None
    if rows is None:
        rows = [notify([user], "test.kind", t, link=link)[0] for t in texts]
    db.session.commit()
    return rows


def test_bell_shows_the_unread_count(client, factory):
    user = factory.user()
    login(client, user)
    assert bell(client.get("/").get_data(as_text=True)) == (0, False)
    make(user, "Chỉ đạo mới 1", "Chỉ đạo mới 2", "Chỉ đạo mới 3")
    assert bell(client.get("/").get_data(as_text=True)) == (3, True)


def test_list_page_open_and_read_all(client, factory):
    user = factory.user()
    a, b, c = make(user, "Giấy mời họp <b>giao ban</b>", "Nhắc hạn xử lý", "Chỉ đạo mới", link="/account")
    csrf = login(client, user)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Giấy mời họp &lt;b&gt;giao ban&lt;/b&gt;" in html  # escaped
    assert html.index("Chỉ đạo mới") < html.index("Nhắc hạn xử lý")  # newest first
    res = client.get(f"/notifications/{a.id}/open")
    assert res.status_code == 302 and res.headers["Location"] == "/account"
    assert db.session.get(Notification, a.id).read_at is not None
    unread_page = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "Nhắc hạn xử lý" in unread_page and "giao ban" not in unread_page
    assert client.post("/notifications/read-all", data={"csrf_token": csrf}).status_code == 302
    assert unread_count(user) == 0
    assert "Bạn không có thông báo" in client.get("/notifications?unread=1").get_data(as_text=True) or \
        "Chưa có thông báo nào" in client.get("/notifications?unread=1").get_data(as_text=True)


def test_empty_list_page(client, factory):
    login(client, factory.user())
    html = client.get("/notifications").get_data(as_text=True)
    assert "Chưa có thông báo nào" in html


def test_read_all_needs_csrf(client, factory):
    user = factory.user()
    make(user, "x")
    login(client, user)
    assert client.post("/notifications/read-all").status_code == 400
    assert unread_count(user) == 1


def test_open_never_redirects_off_site(client, factory):
    user = factory.user()
    (row,) = make(user, "x", "y")[:1]
    row.link = "https://evil.example/"
    db.session.commit()
    login(client, user)
    assert client.get(f"/notifications/{row.id}/open").headers["Location"] == "/notifications"


def test_api_lists_and_marks_read(client, factory):
    user = factory.user()
    rows = make(user, "một", "hai", "ba")
    token = factory.token(user)
    body = client.get("/api/v1/notifications", headers=bearer(token)).get_json()
    assert [n["text"] for n in body["items"]] == ["ba", "hai", "một"] and body["unread"] == 3
    assert set(body["items"][0]) >= {"id", "kind", "text", "link", "created_at", "read"}
    page = client.get("/api/v1/notifications", query_string={"limit": 2}, headers=bearer(token)).get_json()
    assert len(page["items"]) == 2
    older = client.get("/api/v1/notifications", query_string={"before": page["items"][-1]["id"]},
                       headers=bearer(token)).get_json()
    assert [n["text"] for n in older["items"]] == ["một"]
    res = client.post(f"/api/v1/notifications/{rows[0].id}/read", headers=bearer(token))
    assert res.get_json() == {"unread": 2}
    unread = client.get("/api/v1/notifications", query_string={"unread": "1"}, headers=bearer(token)).get_json()
    assert {n["text"] for n in unread["items"]} == {"hai", "ba"}
    assert client.post("/api/v1/notifications/read-all", headers=bearer(token)).get_json() == {"unread": 0}


def test_nobody_sees_another_users_notifications(client, factory):
    owner, other = factory.user(), factory.user()
    (row,) = make(owner, "riêng tư", "khác")[:1]
    token = factory.token(other)
    assert client.get("/api/v1/notifications", headers=bearer(token)).get_json()["items"] == []
    error_of(client.post(f"/api/v1/notifications/{row.id}/read", headers=bearer(token)), 404, "not_found")
    error_of(client.post("/api/v1/notifications/999999/read", headers=bearer(token)), 404)
    client.post("/api/v1/notifications/read-all", headers=bearer(token))
    assert db.session.get(Notification, row.id).read_at is None
    login(client, other)
    res = client.get(f"/notifications/{row.id}/open")
    assert res.status_code == 404 and "riêng tư" not in res.get_data(as_text=True)
    assert db.session.get(Notification, row.id).read_at is None


def test_api_needs_authentication(client):
    error_of(client.get("/api/v1/notifications"), 401)
    error_of(client.post("/api/v1/notifications/read-all"), 401)

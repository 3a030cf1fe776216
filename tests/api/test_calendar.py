"""The calendar (week and month) and the private iCalendar feed: only the user's own meetings and
deadlines, never another agency's; the feed parses with icalendar; a replaced or unknown token is 404."""
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from core.extensions import db
from directives import services as directive_services
from meetings import services
from meetings.models_schedule import CalendarFeed
from tests.conftest import csrf_from, login

DAY = date(2027, 3, 10)  # a Wednesday; its week runs from Monday 8 to Sunday 14 March
AT = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@pytest.fixture
def w(factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health, finance = factory.agency(code="SYT", name="Sở Y tế"), factory.agency(code="STC", name="Sở Tài chính")
    leader = factory.user("leader", office, username="chair")
    h1 = factory.user("officer", health, username="syt1")
    f1 = factory.user("officer", finance, username="stc1")

    def meeting(title, when, people):
        return services.create_meeting(leader, {"title": title, "starts_at": when.isoformat(),
                                                "participant_ids": [p.id for p in people]})

    def directive(title, agency, deadline):
        return directive_services.issue_directive(leader, {"title": title, "body": "Nội dung",
                                                           "deadline": deadline.isoformat(),
                                                           "lead_agency_id": agency.id}, now=AT - timedelta(days=30))
    return {
        "leader": leader, "h1": h1, "f1": f1,
        "mine": meeting("Họp ngành y tế", AT, [h1]),
        "theirs": meeting("Họp ngân sách kín", AT + timedelta(hours=3), [f1]),
        "next_month": meeting("Họp quý II", AT + timedelta(days=30), [h1]),
        "my_deadline": directive("Báo cáo tiêm chủng", health, AT + timedelta(days=1)),
        "their_deadline": directive("Quyết toán ngân sách", finance, AT + timedelta(days=1)),
    }


def _page(client, **args):
    res = client.get("/calendar", query_string=args)
    assert res.status_code == 200
    return res.get_data(as_text=True)


def test_the_week_shows_my_meetings_and_deadlines_and_nothing_of_another_agency(client, w):
    login(client, w["h1"])
    week = _page(client, view="week", date=DAY.isoformat())
    assert 'id="calendar-week"' in week
    assert "Họp ngành y tế" in week and f'href="/meetings/{w["mine"].id}"' in week
    assert "Báo cáo tiêm chủng" in week and f'href="/directives/{w["my_deadline"].id}"' in week
    assert "Họp ngân sách kín" not in week and "Quyết toán ngân sách" not in week
    assert "Họp quý II" not in week  # next month
    assert 'data-day="2027-03-08"' in week and 'data-day="2027-03-14"' in week and 'data-day="2027-03-15"' not in week
    assert 'href="/calendar?view=week&amp;date=2027-03-01"' in week  # a week earlier


def test_the_month_shows_the_whole_month_and_another_user_sees_their_own(client, w):
    login(client, w["h1"])
    march = _page(client, view="month", date=DAY.isoformat())
    assert 'id="calendar-month"' in march and "Họp ngành y tế" in march and "Họp quý II" not in march
    april = _page(client, view="month", date="2027-04-01")
    assert "Họp quý II" in april and "Họp ngành y tế" not in april
    assert "Họp ngân sách kín" not in march + april
    other = client.application.test_client()
    login(other, w["f1"])
    theirs = other.get("/calendar", query_string={"view": "month", "date": DAY.isoformat()}).get_data(as_text=True)
    assert "Họp ngân sách kín" in theirs and "Quyết toán ngân sách" in theirs
    assert "Họp ngành y tế" not in theirs and "Báo cáo tiêm chủng" not in theirs
    chair = client.application.test_client()
    login(chair, w["leader"])
    led = chair.get("/calendar", query_string={"view": "week", "date": DAY.isoformat()}).get_data(as_text=True)
    assert "Họp ngành y tế" in led and "Báo cáo tiêm chủng" in led and "Quyết toán ngân sách" in led  # issued by them


def test_bad_dates_and_views_fall_back_and_the_calendar_needs_a_sign_in(client, w):
    assert client.get("/calendar").status_code == 302
    login(client, w["h1"])
    assert 'id="calendar-week"' in _page(client, view="year", date="not-a-date")
    assert 'id="calendar-month"' in _page(client, view="month", date="2027-02-30")


def _feed_url(client):
    page = client.get("/calendar/feed").get_data(as_text=True)
    start = page.index('id="feed-url"')
    value = page[start:].split('value="', 1)[1].split('"', 1)[0]
    return value, page


def test_the_private_feed_holds_only_my_items_and_a_new_link_revokes_the_old(client, w):
    login(client, w["h1"])
    url, page = _feed_url(client)
    assert "/calendar/" in url and url.endswith(".ics")
    path = url.split("://", 1)[1].split("/", 1)[1]
    anonymous = client.application.test_client()
    res = anonymous.get(f"/{path}")
    assert res.status_code == 200 and res.mimetype == "text/calendar"
    cal = Calendar.from_ical(res.data)
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert "Họp ngành y tế" in summaries and "Họp quý II" in summaries
    assert not any("ngân sách" in s for s in summaries)
    deadline = next(e for e in cal.walk("VEVENT") if "Báo cáo tiêm chủng" in str(e["SUMMARY"]))
    assert deadline["DTSTART"].dt == date(2027, 3, 11)  # an all-day event
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert any(u.startswith(f"meeting-{w['mine'].id}@") for u in uids)
    # a new link: the old one is gone at once
    renewed = client.post("/calendar/feed/renew", data={"csrf_token": csrf_from(page)})
    assert renewed.status_code == 302
    new_url, _page2 = _feed_url(client)
    assert new_url != url
    assert anonymous.get(f"/{path}").status_code == 404
    assert anonymous.get("/" + new_url.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    assert anonymous.get("/calendar/not-a-real-token.ics").status_code == 404
    assert anonymous.get("/calendar/%00%2F.ics").status_code == 404
    assert db.session.scalar(db.select(db.func.count(CalendarFeed.user_id))) == 1


def test_a_disabled_account_s_feed_is_gone(client, w):
    login(client, w["h1"])
    url, _page = _feed_url(client)
    w["h1"].active = False
    db.session.commit()
    assert client.application.test_client().get("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 404


def test_the_navigation_links_the_calendar(client, w):
    login(client, w["h1"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/calendar"' in home


def test_the_calendar_s_first_and_last_days_fall_back_to_today(client, w):
    login(client, w["h1"])
    for day in ("0001-01-01", "9999-12-31"):
        for view in ("week", "month"):
            assert 'id="cal-period"' in _page(client, view=view, date=day)

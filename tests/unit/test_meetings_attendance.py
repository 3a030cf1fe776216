"""Attendance computation: overlaps merged, open spans, late arrival, the whole invitation list."""
from datetime import UTC, datetime, timedelta

from meetings.attendance import Span, compute, format_duration, merge

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def rows_by_user(rows):
    return {r["user_id"]: r for r in rows}


def test_overlapping_tabs_are_not_counted_twice():
    spans = [Span(1, at(0), at(30)), Span(1, at(10), at(20)), Span(1, at(25), at(45)), Span(1, at(50), at(60))]
    row = compute([1], spans, starts_at=T0, started_at=T0, ended_at=at(90), now=at(120))[0]
    assert row["present_seconds"] == (45 + 10) * 60
    assert row["first_joined_at"] == at(0) and row["last_left_at"] == at(60)
    assert row["status"] == "present" and row["late"] is False and row["late_seconds"] == 0


def test_absent_invitees_are_listed_with_zero_time():
    rows = compute([1, 2, 3], [Span(2, at(5), at(6))], starts_at=T0, started_at=T0, ended_at=at(60), now=at(60))
    assert [r["user_id"] for r in rows] == [1, 2, 3]
    by = rows_by_user(rows)
    assert by[1]["status"] == by[3]["status"] == "absent"
    assert by[1]["present_seconds"] == 0 and by[1]["first_joined_at"] is None and by[1]["late_seconds"] is None
    assert by[2]["status"] == "present"


def test_open_span_counts_until_now_while_live_and_user_is_online():
    spans = [Span(1, at(0), at(10)), Span(1, at(20), None)]
    row = compute([1], spans, starts_at=T0, started_at=T0, now=at(50))[0]
    assert row["present_seconds"] == (10 + 30) * 60
    assert row["online"] is True and row["last_left_at"] is None


def test_open_span_is_cut_at_the_end_of_the_meeting():
    row = compute([1], [Span(1, at(0), None)], starts_at=T0, started_at=T0, ended_at=at(40), now=at(100))[0]
    assert row["present_seconds"] == 40 * 60
    assert row["online"] is False and row["last_left_at"] == at(40)


def test_late_arrival_counts_from_the_planned_or_the_later_actual_start():
    spans = [Span(1, at(17), at(60)), Span(2, at(-5), at(60)), Span(3, at(10.5), at(60))]
    by = rows_by_user(compute([1, 2, 3], spans, starts_at=T0, started_at=T0, ended_at=at(60), now=at(60)))
    assert by[1]["late_seconds"] == 17 * 60 and by[1]["late"] is True
    assert by[2]["late_seconds"] == 0 and by[2]["late"] is False
    # the chair opened the room 10 minutes late: joining right after that is on time
    by = rows_by_user(compute([1, 2, 3], spans, starts_at=T0, started_at=at(10), ended_at=at(60), now=at(60)))
    assert by[3]["late_seconds"] == 30 and by[3]["late"] is False
    assert by[1]["late_seconds"] == 7 * 60


def test_time_in_the_lobby_before_the_start_does_not_count():
    spans = [Span(1, at(-20), at(-10)), Span(2, at(-20), at(15))]
    by = rows_by_user(compute([1, 2], spans, starts_at=T0, started_at=T0, ended_at=at(60), now=at(60)))
    assert by[1]["status"] == "absent" and by[1]["present_seconds"] == 0
    assert by[2]["present_seconds"] == 15 * 60


def test_uninvited_joiners_come_after_the_invitation_list():
    rows = compute([5], [Span(9, at(0), at(5))], starts_at=T0, started_at=T0, ended_at=at(60), now=at(60))
    assert [(r["user_id"], r["invited"]) for r in rows] == [(5, True), (9, False)]


def test_merge_and_format_helpers():
    assert merge([(3, 5), (1, 2), (2, 3), (7, 8)]) == [(1, 5), (7, 8)]
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == ""

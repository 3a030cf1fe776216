"""core: field validation, UTC datetimes, and the publish-after-commit outbox."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core import realtime
from core.dbtypes import UTCDateTime, isoformat
from core.errors import Invalid
from core.extensions import db, socketio
from core.validation import Fields, parse_datetime

# -- Fields ---------------------------------------------------------------------

def test_fields_collect_every_problem_and_name_each_field(app):
    f = Fields({"title": "  ", "count": "x", "kind": "weird", "ids": ["1", "b"], "when": "soon", "long": "x" * 11})
    f.str("title")
    f.int("count")
    f.choice("kind", ("a", "b"))
    f.int_list("ids")
    f.datetime("when")
    f.str("long", max_len=10)
    f.str("missing")
    with pytest.raises(Invalid) as err:
        f.check()
    assert set(err.value.fields) == {"title", "count", "kind", "ids", "when", "long", "missing"}
    body = err.value.to_dict()["error"]
    assert body["code"] == "invalid" and body["fields"] == err.value.fields
    assert all(name in body["message"] for name in err.value.fields)


def test_fields_parse_good_values(app):
    f = Fields({"n": "42", "m": 7.0, "ids": ["3", 2, "3"], "flag": "on", "kind": "b", "text": " hi "})
    assert f.int("n", min_value=1, max_value=100) == 42
    assert f.int("m") == 7
    assert f.int_list("ids") == [3, 2]
    assert f.bool("flag") is True and f.bool("absent") is False
    assert f.choice("kind", ("a", "b")) == "b"
    assert f.str("text") == "hi"
    assert f.str("opt", required=False, default="d") == "d"
    f.check()


def test_fields_refuse_booleans_fractions_and_out_of_range(app):
    f = Fields({"a": True, "b": 1.5, "c": 101, "d": [True], "e": 5})
    f.int("a"), f.int("b"), f.int("c", max_value=100), f.int_list("d"), f.str("e")
    assert set(f.errors) == {"a", "b", "c", "d", "e"}


def test_fields_of_a_non_object_are_all_missing(app):
    f = Fields(["not", "a", "dict"])
    f.str("name")
    assert set(f.errors) == {"name"}


def test_datetime_without_offset_is_read_in_the_display_zone(app):
    assert parse_datetime("2026-01-02T08:00") == datetime(2026, 1, 2, 1, 0, tzinfo=UTC)
    assert parse_datetime("2026-01-02T08:00:00Z") == datetime(2026, 1, 2, 8, 0, tzinfo=UTC)
    assert parse_datetime("2026-01-02T08:00:00+02:00") == datetime(2026, 1, 2, 6, 0, tzinfo=UTC)
    assert parse_datetime("not a date") is None and parse_datetime(12) is None


# -- UTCDateTime ----------------------------------------------------------------

def test_utc_datetime_round_trip(app, factory):
    from core.audit import AuditLog

    local = datetime(2026, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    row = AuditLog(action="test", object_type="system", created_at=local, data={})
    db.session.add(row)
    db.session.commit()
    db.session.expire_all()
    back = db.session.get(AuditLog, row.id).created_at
    assert back == local and back.tzinfo == UTC and back.hour == 2
    stored = db.session.execute(db.text("SELECT created_at FROM audit_log WHERE id = :i"), {"i": row.id}).scalar()
    assert str(stored).startswith("2026-03-04 02:30")
    assert isoformat(back) == "2026-03-04T02:30:00+00:00" and isoformat(None) is None


def test_utc_datetime_refuses_naive_values():
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)


# -- publish after commit -------------------------------------------------------

@pytest.fixture
def emitted(app, monkeypatch):
    sent = []
    monkeypatch.setattr(socketio, "emit", lambda event, payload, to=None, **kw: sent.append((event, payload, to)))
    return sent


def _touch(factory_or_name="x"):
    """Some real write so the transaction is not empty."""
    from core.audit import record

    record(None, "test." + factory_or_name)


def test_publish_waits_for_commit(app, emitted):
    realtime.publish("thing:new", {"n": 1}, to="user:1")
    _touch()
    assert emitted == []
    db.session.commit()
    assert emitted == [("thing:new", {"n": 1}, "user:1")]
    db.session.commit()
    assert len(emitted) == 1  # emitted once, not again on the next commit


def test_rollback_drops_published_events(app, emitted):
    realtime.publish("thing:new", {"n": 1}, to="user:1")
    _touch()
    db.session.rollback()
    db.session.commit()
    _touch("after")
    db.session.commit()
    assert emitted == []


def test_savepoint_rollback_drops_only_its_own_events(app, emitted):
    realtime.publish("outer:before", {}, to="r")
    _touch("outer")
    nested = db.session.begin_nested()
    realtime.publish("inner:dropped", {}, to="r")
    _touch("inner")
    nested.rollback()
    kept = db.session.begin_nested()
    realtime.publish("inner:kept", {}, to="r")
    kept.commit()
    realtime.publish("outer:after", {}, to="r")
    db.session.commit()
    assert [e[0] for e in emitted] == ["outer:before", "inner:kept", "outer:after"]


def test_outer_rollback_drops_events_of_a_released_savepoint(app, emitted):
    _touch()
    with db.session.begin_nested():
        realtime.publish("inner", {}, to="r")
    db.session.rollback()
    db.session.commit()
    assert emitted == []


def test_a_failing_emit_does_not_break_the_commit_or_later_events(app, monkeypatch):
    sent = []

    def flaky(event, payload, to=None, **kw):
        if event == "bad":
            raise RuntimeError("queue down")
        sent.append(event)

    monkeypatch.setattr(socketio, "emit", flaky)
    realtime.publish("bad", {}, to="r")
    realtime.publish("good", {}, to="r")
    _touch()
    db.session.commit()
    assert sent == ["good"]


def test_closed_session_forgets_its_events(app, emitted):
    realtime.publish("lost", {}, to="r")
    _touch()
    db.session.close()
    _touch("next")
    db.session.commit()
    assert emitted == []


def test_after_commit_runs_any_function_once(app, emitted):
    calls = []
    realtime.after_commit(lambda: calls.append(1))
    db.session.commit()
    assert calls == [1]
    db.session.commit()
    assert calls == [1]


def test_an_out_of_range_number_is_told_the_bound_it_broke(app):
    from core.validation import Fields

    with app.test_request_context():
        too_big = Fields({"chair_id": 99999999999999999999})
        too_big.int("chair_id", min_value=1)
        assert "1" in too_big.errors["chair_id"] and "9223372036854775807" in too_big.errors["chair_id"]
        too_small = Fields({"chair_id": 0})
        too_small.int("chair_id", min_value=1)
        assert "9223372036854775807" not in too_small.errors["chair_id"]

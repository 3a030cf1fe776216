"""Agenda control in the live room (issue 13), in process: who may move through the agenda, the current item,
the minutes heading appended once, the state on the API and in the room page, the item closed at the end."""
import pytest

from core.audit import AuditLog
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from meetings import agenda, minutes, services
from meetings.models import AgendaItem
from tests.agenda_support import agenda_people
from tests.conftest import bearer, login


@pytest.fixture
def people(factory):
    return agenda_people(factory)


@pytest.fixture
def meeting(people):
    m = services.create_meeting(people["chair"], {
        "title": "Họp giao ban", "starts_at": "2026-12-01T08:00:00+07:00",
        "participant_ids": [people["h1"].id], "secretary_id": people["secretary"].id,
        "agenda": [{"title": "Tình hình kinh tế", "presenter_id": people["h1"].id, "planned_minutes": 20},
                   {"title": "Công tác   phòng dịch", "planned_minutes": 15}]})
    return services.start_meeting(people["chair"], m)


def _items(meeting):
    return db.session.scalars(db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                              .order_by(AgendaItem.position)).all()


def test_opening_the_next_item_closes_the_previous_and_heads_the_minutes_once(people, meeting):
    first, second = _items(meeting)
    state = agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    assert state["current_item_id"] == first.id
    assert state["items"][0]["presenter"] == {"id": people["h1"].id, "full_name": "Lê Văn Y"}
    assert state["items"][0]["planned_minutes"] == 20 and state["items"][0]["opened_at"]
    # opening it again changes nothing, not even the minutes
    assert agenda.open_item(people["chair"], meeting, {"item_id": first.id})["current_item_id"] == first.id
    assert minutes.minutes_state(meeting) == {"body": "## 1. Tình hình kinh tế\n", "version": 1, "status": "draft"}

    state = agenda.open_item(people["secretary"], meeting, {"item_id": second.id})
    assert state["current_item_id"] == second.id
    first, second = _items(meeting)
    assert first.closed_at is not None and second.opened_at is not None and second.closed_at is None
    body = minutes.minutes_state(meeting)["body"]
    assert body == "## 1. Tình hình kinh tế\n\n## 2. Công tác phòng dịch\n"
    # back to item 1: current again, its heading is not written twice
    agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    assert minutes.minutes_state(meeting)["body"] == body
    assert minutes.minutes_state(meeting)["version"] == 2
    state = agenda.close_current(people["chair"], meeting)
    assert state["current_item_id"] is None
    actions = db.session.scalars(db.select(AuditLog.action).where(AuditLog.action.like("agenda.%"))
                                 .order_by(AuditLog.id)).all()
    assert actions == ["agenda.open", "agenda.open", "agenda.open", "agenda.close"]


def test_the_heading_lands_after_what_the_secretary_wrote_and_their_stale_save_is_refused(people, meeting):
    first, _second = _items(meeting)
    minutes.save_minutes(people["secretary"], meeting, {"base_version": 0, "body": "Khai mạc cuộc họp."})
    agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    assert minutes.minutes_state(meeting)["body"] == "Khai mạc cuộc họp.\n\n## 1. Tình hình kinh tế\n"
    with pytest.raises(minutes.MinutesConflict) as refused:  # the editor still on version 1
        minutes.save_minutes(people["secretary"], meeting, {"base_version": 1, "body": "Khai mạc."})
    assert refused.value.version == 2 and "## 1. Tình hình kinh tế" in refused.value.body


def test_a_heading_the_secretary_already_wrote_is_not_repeated(people, meeting):
    first, _second = _items(meeting)
    minutes.save_minutes(people["secretary"], meeting, {"base_version": 0, "body": "## 1. Tình hình kinh tế\nNội dung"})
    agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    assert minutes.minutes_state(meeting) == {"body": "## 1. Tình hình kinh tế\nNội dung", "version": 1,
                                              "status": "draft"}


@pytest.mark.parametrize("who,refusal", [("h1", Forbidden), ("leader", NotFound)])
def test_only_the_chair_and_the_secretary_move_through_the_agenda(people, meeting, who, refusal):
    """A participant is forbidden; a leader who is not invited is told the meeting does not exist."""
    first, _second = _items(meeting)
    with pytest.raises(refusal):
        agenda.open_item(people[who], meeting, {"item_id": first.id})
    with pytest.raises(refusal):
        agenda.close_current(people[who], meeting)
    assert all(i.opened_at is None for i in _items(meeting))
    assert minutes.minutes_state(meeting)["version"] == 0


def test_an_item_of_another_meeting_is_not_found_and_a_meeting_not_live_is_refused(people, meeting):
    other = services.create_meeting(people["chair"], {"title": "Khác", "starts_at": "2026-12-02T08:00:00+07:00",
                                                      "agenda": [{"title": "Mục khác"}]})
    with pytest.raises(NotFound):
        agenda.open_item(people["chair"], meeting, {"item_id": other.agenda_items[0].id})
    with pytest.raises(Conflict) as refused:
        agenda.open_item(people["chair"], other, {"item_id": other.agenda_items[0].id})
    assert refused.value.code == "not_live"


def test_ending_the_meeting_closes_the_current_item(people, meeting):
    first, _second = _items(meeting)
    agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    services.end_meeting(people["chair"], meeting)
    assert agenda.agenda_state(meeting)["current_item_id"] is None
    assert _items(meeting)[0].closed_at is not None


def test_the_state_is_on_the_api_and_in_the_room_page(client, factory, people, meeting):
    first, _second = _items(meeting)
    agenda.open_item(people["chair"], meeting, {"item_id": first.id})
    res = client.get(f"/api/v1/meetings/{meeting.id}/agenda", headers=bearer(factory.token(people["h1"])))
    assert res.status_code == 200
    body = res.get_json()
    assert body["current_item_id"] == first.id and [i["position"] for i in body["items"]] == [1, 2]
    assert body["now"]
    res = client.get(f"/api/v1/meetings/{meeting.id}/agenda", headers=bearer(factory.token(people["outsider"])))
    assert res.status_code == 404
    login(client, people["h1"])
    page = client.get(f"/meetings/{meeting.id}/room").get_data(as_text=True)
    assert f'"current_item_id": {first.id}' in page and 'id="agenda-current"' in page

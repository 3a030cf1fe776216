"""The meeting form's agenda editor (issue 13): rows of title, presenter (an invitee) and planned minutes in
order, validated on the server with each problem named by its row and field, over the page and the API."""
import re

import pytest

from core.extensions import db
from meetings import services
from meetings.models import AgendaItem, Meeting
from tests.agenda_support import agenda_people
from tests.conftest import bearer, login


@pytest.fixture
def people(factory):
    return agenda_people(factory)


def _form(csrf, people, rows, **extra):
    data = {"csrf_token": csrf, "title": "Họp giao ban", "starts_at": "2026-12-01T08:00", "online": "1",
            "participant_ids": [str(people["h1"].id)], "secretary_id": str(people["secretary"].id),
            "chair_id": str(people["chair"].id)}
    data.update({"agenda_id": [r.get("id", "") for r in rows], "agenda_title": [r.get("title", "") for r in rows],
                 "agenda_presenter_id": [r.get("presenter", "") for r in rows],
                 "agenda_minutes": [r.get("minutes", "") for r in rows]})
    data.update(extra)
    return data


def _agenda(meeting_id):
    return [(a.position, a.title, a.presenter_id, a.planned_minutes) for a in db.session.scalars(
        db.select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position))]


def test_the_editor_schedules_items_in_order_with_presenters_and_minutes(client, people):
    csrf = login(client, people["chair"])
    page = client.get("/meetings/new").get_data(as_text=True)
    assert 'id="agenda-editor"' in page and 'name="agenda_title"' in page and 'id="agenda-row-template"' in page
    rows = [{"title": "Tình hình kinh tế", "presenter": str(people["h1"].id), "minutes": "20"},
            {},  # an empty row (the one the page keeps for adding) is dropped
            {"title": "Công tác phòng dịch", "presenter": str(people["secretary"].id)}]
    res = client.post("/meetings/new", data=_form(csrf, people, rows))
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    meeting = db.session.scalar(db.select(Meeting))
    assert _agenda(meeting.id) == [(1, "Tình hình kinh tế", people["h1"].id, 20),
                                   (2, "Công tác phòng dịch", people["secretary"].id, None)]


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(client, people):
    csrf = login(client, people["chair"])
    rows = [{"title": "Mục đúng", "minutes": "15"},
            {"title": "", "presenter": str(people["h1"].id), "minutes": "0"},
            {"title": "Người trình bày ngoài danh sách", "presenter": str(people["outsider"].id)},
            {"title": "Phút không phải số", "minutes": "mười"}]
    res = client.post("/meetings/new", data=_form(csrf, people, rows))
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    assert "Mục 2, tiêu đề" in page  # the summary names the first problem's row and field, in Vietnamese
    assert re.search(r'id="agenda-2-title" value=""', page) and 'id="agenda-2-minutes"' in page
    # every bad field is marked on its own row, the good row is kept as it was typed
    for key in ("agenda-2-title", "agenda-2-minutes", "agenda-4-minutes"):
        assert re.search(rf'is-invalid[^>]*id="{key}"', page), key
    assert not re.search(r'is-invalid[^>]*id="agenda-1-', page)
    assert 'value="Mục đúng"' in page and 'value="Phút không phải số"' in page
    # once the rows are well formed, a presenter who is not invited is named on their row
    rows = [rows[0], {"title": "Hai", "presenter": str(people["h1"].id)}, rows[2]]
    page = client.post("/meetings/new", data=_form(csrf, people, rows)).get_data(as_text=True)
    assert re.search(r'is-invalid[^>]*id="agenda-3-presenter"', page)
    assert "Mục 3, người trình bày: Người trình bày phải là một trong những người được mời." in page
    # the chosen presenter stays chosen, so it can be corrected
    assert re.search(rf'value="{people["outsider"].id}" selected>Hoàng Người Ngoài', page)
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0


def test_editing_keeps_each_item_and_its_id_while_reordering(client, people):
    meeting = services.create_meeting(people["chair"], {
        "title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00", "participant_ids": [people["h1"].id],
        "agenda": [{"title": "Một", "planned_minutes": 10}, {"title": "Hai", "presenter_id": people["h1"].id},
                   {"title": "Ba"}]})
    one, two, three = (a.id for a in meeting.agenda_items)
    csrf = login(client, people["chair"])
    page = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert page.count('name="agenda_title"') == 5  # three items, the empty row, the template of a new one
    rows = [{"id": str(two), "title": "Hai", "presenter": str(people["h1"].id)},
            {"id": str(one), "title": "Một (sửa)", "minutes": "25"}, {"title": "Bốn"}]
    res = client.post(f"/meetings/{meeting.id}/edit", data=_form(csrf, people, rows))
    assert res.status_code == 302
    db.session.expire_all()
    items = db.session.scalars(db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                               .order_by(AgendaItem.position)).all()
    assert [(a.id, a.position, a.title, a.planned_minutes) for a in items[:2]] == [
        (two, 1, "Hai", None), (one, 2, "Một (sửa)", 25)]
    assert items[2].title == "Bốn" and items[2].id not in (one, two, three)
    assert db.session.get(AgendaItem, three) is None


def test_the_api_names_each_bad_row_and_field(client, factory, people):
    token = factory.token(people["chair"])
    res = client.post("/api/v1/meetings", headers=bearer(token), json={
        "title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00", "participant_ids": [people["h1"].id],
        "agenda": [{"title": "Được"}, {"title": "x" * 501}, {"title": "Ba", "planned_minutes": 2000},
                   {"title": "Bốn", "presenter_id": people["outsider"].id}]})
    assert res.status_code == 422
    fields = res.get_json()["error"]["fields"]
    assert {"agenda", "agenda.2.title", "agenda.3.planned_minutes"} <= set(fields)
    # the presenter is checked once the rows are well formed: one of the invitees, or the row is named
    res = client.post("/api/v1/meetings", headers=bearer(token), json={
        "title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00", "agency_ids": [people["health"].id],
        "agenda": [{"title": "Một", "presenter_id": people["h2"].id},
                   {"title": "Hai", "presenter_id": people["outsider"].id}]})
    assert res.status_code == 422
    fields = res.get_json()["error"]["fields"]
    assert set(fields) == {"agenda", "agenda.2.presenter_id"}
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0

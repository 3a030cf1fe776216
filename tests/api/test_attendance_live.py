"""The meeting page's attendance table follows a live meeting (issue 13): the page tells its script where to
read the table and says when it was last updated; the table of a meeting that is over stays as it is."""
from meetings import services
from tests.conftest import login


def test_the_live_meetings_attendance_card_polls_the_api_and_an_ended_one_does_not(client, factory):
    office = factory.agency(code="VP", name="Văn phòng", kind="provincial_office")
    chair = factory.user("leader", office, username="chair")
    member = factory.user("officer", office, username="member")
    meeting = services.create_meeting(chair, {"title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00",
                                              "participant_ids": [member.id]})
    services.start_meeting(chair, meeting)
    login(client, chair)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'data-live-url="/api/v1/meetings/{meeting.id}/attendance"' in page
    assert 'id="attendance-updated"' in page and "js/meeting_attendance.js" in page
    services.end_meeting(chair, meeting)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="attendance"' in page and "data-live-url" not in page and 'id="attendance-updated"' not in page

"""The Excel exports say what the pages say: the same priority and state words, a history a person
can read (Vietnamese labels, times in the display zone), file names stamped in the display zone,
and real date, time and duration cells that Excel can sort and sum."""
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from core.extensions import db
from directives import extensions, services
from tests.conftest import login

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)  # 17:00 in Hà Nội


@pytest.fixture
def world(factory):
    syt, sgd = factory.agency("SYT", "Sở Y tế"), factory.agency("SGD", "Sở Giáo dục")
    return {
        "leader": factory.user("leader", username="chutich", full_name="Nguyễn Văn Minh"),
        "officer": factory.user("officer", syt, username="syt1", full_name="Đỗ Văn Long"),
        "support_officer": factory.user("officer", sgd, username="sgd1", full_name="Lê Thị Hoa"),
        "syt": syt, "sgd": sgd,
    }


def issue(w, title, priority="normal", deadline=DEADLINE, now=T0):
    return services.issue_directive(w["leader"], {
        "title": title, "deadline": deadline.isoformat(), "priority": priority,
        "lead_agency_id": w["syt"].id, "support_agency_ids": [w["sgd"].id]}, now=now)


def sheet(res):
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(res.data)).active


def rows_by(ws, column, first_row=4):
    """{value of ``column``: the row's values} for the data rows."""
    return {ws.cell(row=r, column=column).value: [c.value for c in ws[r]] for r in range(first_row, ws.max_row + 1)}


def badge(html, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1).strip()


def priority_badge(html):
    match = re.search(r'class="badge[^"]*priority-badge[^"]*">(?:<i[^>]*></i>)?([^<]+)<', html)
    assert match, "no priority badge on the page"
    return match.group(1).strip()


# -- 1. one table of labels: the export's priority is the page's ------------------------------------

def test_list_export_shows_each_priority_as_the_directive_page_does(client, world):
    directives = {p: issue(world, f"Chỉ đạo {p}", priority=p) for p in ("urgent", "high", "normal")}
    login(client, world["leader"])
    on_page = {p: priority_badge(client.get(f"/directives/{d.id}").get_data(as_text=True))
               for p, d in directives.items()}
    assert on_page == {"urgent": "Hỏa tốc", "high": "Khẩn", "normal": "Thường"}
    rows = rows_by(sheet(client.get("/directives/export.xlsx")), column=2)
    assert {p: rows[f"Chỉ đạo {p}"][2] for p in directives} == on_page


# -- 2. the directive's state: the word the page uses ------------------------------------------------

def test_list_export_shows_the_directive_state_the_page_shows(client, world):
    running = issue(world, "Đang chạy")
    done = issue(world, "Đã xong")
    for a in done.assignments:
        officer = world["officer"] if a.role == "lead" else world["support_officer"]
        services.acknowledge(officer, a, now=T0 + timedelta(hours=1))
        services.submit(officer, a, {"note": "Xong"}, now=T0 + timedelta(days=1))
        services.accept(world["leader"], a, now=T0 + timedelta(days=2))
    stopped = issue(world, "Bị hủy")
    services.cancel_directive(world["leader"], stopped, {"reason": "Không còn cần thiết"}, now=T0 + timedelta(days=1))
    login(client, world["leader"])
    on_page = {d.title: badge(client.get(f"/directives/{d.id}").get_data(as_text=True), "directive-status")
               for d in (running, done, stopped)}
    assert on_page == {"Đang chạy": "Đang thực hiện", "Đã xong": "Đã kết thúc", "Bị hủy": "Đã hủy"}
    rows = rows_by(sheet(client.get("/directives/export.xlsx")), column=2)
    assert {title: rows[title][3] for title in on_page} == on_page


# -- 3. the history's details: Vietnamese words, local times, the page's wording ----------------------

def test_history_export_details_read_like_the_history_on_the_page(client, world):
    d = issue(world, "Tiêm chủng mở rộng")
    lead = next(a for a in d.assignments if a.role == "lead")
    services.acknowledge(world["officer"], lead, now=T0 + timedelta(hours=2))
    services.report_progress(world["officer"], lead, {"progress": 40, "note": "Đã tiêm 40%"},
                             now=T0 + timedelta(days=1))
    ext = extensions.request_extension(world["officer"], lead, {
        "deadline": "2026-12-31T10:00:00+00:00", "reason": "Thiếu vắc-xin"}, now=T0 + timedelta(days=2))
    extensions.approve_extension(world["leader"], ext, now=T0 + timedelta(days=3))

    login(client, world["leader"])
    ws = sheet(client.get(f"/assignments/{lead.id}/history.xlsx"))
    assert ws.cell(row=3, column=7).value == "Chi tiết"
    details = [ws.cell(row=r, column=7).value or "" for r in range(4, ws.max_row + 1)]
    issue_detail, *_rest = details
    assert issue_detail == "Vai trò: Chủ trì; Hạn xử lý: 20/12/2026 17:00"
    for text in details:  # nothing internal: no English keys, no ISO times in UTC, no ids
        assert not re.search(r"\b(role|lead|deadline|old_deadline|new_deadline|extension_id|report_id)\b", text)
        assert "+00:00" not in text and "T10:00" not in text
    assert "Tiến độ 40%" in details
    moved = "Hạn xử lý 20/12/2026 17:00 → 31/12/2026 17:00"
    assert moved in details

    page = client.get(f"/directives/{d.id}").get_data(as_text=True)
    # the same formatter writes the page's history: the same words, the same local times
    assert moved in page and "Tiến độ 40%" in page and "Hạn xử lý: 20/12/2026 17:00" in page
    support = next(a for a in d.assignments if a.role == "support")
    ws = sheet(client.get(f"/assignments/{support.id}/history.xlsx"))
    assert ws.cell(row=4, column=7).value.startswith("Vai trò: Phối hợp; Hạn xử lý: 20/12/2026 17:00")


# -- 4. file names in the display zone; real date, time and duration cells -----------------------------

def _stamp(res, prefix):
    name = re.search(r'filename="([^"]+)"', res.headers["Content-Disposition"]).group(1)
    match = re.fullmatch(rf"{prefix}-(\d{{8}}-\d{{4}})\.xlsx", name)
    assert match, name
    return datetime.strptime(match.group(1), "%Y%m%d-%H%M").replace(tzinfo=HCM)


@pytest.mark.parametrize("path,prefix", [("/directives/export.xlsx", "chi-dao"),
                                         ("/directives/dashboard/export.xlsx", "bao-cao-theo-don-vi")])
def test_export_file_names_carry_the_local_time_of_the_export(client, world, path, prefix):
    issue(world, "Chỉ đạo bất kỳ", deadline=datetime.now(UTC) + timedelta(days=3),
          now=datetime.now(UTC))
    login(client, world["leader"])
    res = client.get(path)
    local_now = datetime.now(HCM)
    # Hà Nội is 7 hours ahead of UTC: a UTC stamp is hours away, a local one within a minute or two
    assert abs(_stamp(res, prefix) - local_now) < timedelta(minutes=3)


@pytest.fixture
def ended_meeting(factory):
    from meetings import services as meeting_services
    from meetings.models import AttendanceSpan

    health = factory.agency(code="SYT2", name="Sở Y tế")
    chair = factory.user("leader", username="chair", full_name="Nguyễn Văn Minh")
    h1 = factory.user("officer", health, username="syt1a", full_name="Trần Văn An")
    h2 = factory.user("officer", health, username="syt2a", full_name="Phạm Thị Bình")
    meeting = meeting_services.create_meeting(chair, {
        "title": "Họp giao ban", "starts_at": "2026-12-01T08:00:00+07:00", "ends_at": "2026-12-01T10:00:00+07:00",
        "participant_ids": [h1.id, h2.id]})
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    meeting.status, meeting.started_at, meeting.ended_at = "ended", start, start + timedelta(hours=2)
    db.session.add_all([
        AttendanceSpan(meeting_id=meeting.id, user_id=h1.id, sid="a", joined_at=start + timedelta(minutes=10),
                       left_at=start + timedelta(minutes=40)),
        AttendanceSpan(meeting_id=meeting.id, user_id=h1.id, sid="b", joined_at=start + timedelta(minutes=30),
                       left_at=start + timedelta(minutes=50, seconds=5)),
    ])
    db.session.commit()
    return {"meeting": meeting, "chair": chair, "h1": h1, "h2": h2}


def test_attendance_xlsx_has_local_datetime_and_duration_cells(client, ended_meeting):
    login(client, ended_meeting["chair"])
    ws = sheet(client.get(f"/meetings/{ended_meeting['meeting'].id}/attendance.xlsx"))
    header_row = next(r for r in range(1, 6) if ws.cell(row=r, column=1).value == "Họ và tên")
    headers = [c.value for c in ws[header_row]]
    rows = rows_by(ws, column=1, first_row=header_row + 1)
    present, absent = rows["Trần Văn An"], rows["Phạm Thị Bình"]
    first = present[headers.index("Vào lần đầu")]
    last = present[headers.index("Rời lần cuối")]
    # naive datetimes in Hà Nội time, which Excel sorts as dates
    assert first == datetime(2026, 12, 1, 8, 10) and last == datetime(2026, 12, 1, 8, 50, 5)
    assert present[headers.index("Thời gian dự họp")] == timedelta(minutes=40, seconds=5)
    assert absent[headers.index("Thời gian dự họp")] == timedelta(0)
    assert absent[headers.index("Vào lần đầu")] is None
    r = header_row + 1 + list(rows).index("Trần Văn An")
    assert ws.cell(row=r, column=headers.index("Vào lần đầu") + 1).number_format.lower().startswith("dd/mm/yyyy hh:mm")
    assert ws.cell(row=r, column=headers.index("Thời gian dự họp") + 1).number_format.lower() == "[h]:mm:ss"


def test_attendance_csv_keeps_its_text_times(client, ended_meeting):
    login(client, ended_meeting["chair"])
    body = client.get(f"/meetings/{ended_meeting['meeting'].id}/attendance.csv").get_data(as_text=True)
    assert "01/12/2026 08:10:00" in body and "0:40:05" in body


# -- 1. the Word documents read the same table, in Vietnamese whatever the reader's language ----------

def test_conclusions_notice_names_roles_and_tracking_as_the_directive_page_does(app, factory):
    from docx import Document
    from flask_babel import force_locale

    from meetings import documents
    from tests.outcomes_support import MeetingSetup

    s = MeetingSetup(factory)
    services.issue_directive(s.leader, {
        "title": "Tiêm chủng đợt 2", "deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "lead_agency_id": s.health.id, "source_meeting_id": s.meeting.id})
    with force_locale("en"):  # a leader reading the pages in English still gets the Vietnamese document
        doc = Document(io.BytesIO(documents.conclusions_docx(s.meeting)))
    lines = [p.text for p in doc.paragraphs]
    assert "Sở Y tế (chủ trì): trong hạn, tiến độ 0%" in lines  # the page's "Chủ trì" and "Trong hạn"

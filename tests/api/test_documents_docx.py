"""The Word documents: BIÊN BẢN CUỘC HỌP and THÔNG BÁO KẾT LUẬN, opened back with python-docx."""
import io
from datetime import timedelta

import pytest
from docx import Document
from docx.shared import Mm

from core.dbtypes import utcnow
from core.extensions import db
from meetings import conclusions, documents, minutes, votes
from meetings.models import AgendaItem, AttendanceSpan
from tests.conftest import login
from tests.outcomes_support import MeetingSetup

MINUTES = """# Khai mạc
Chủ trì **khai mạc** cuộc họp lúc 8 giờ.

## Sở Y tế báo cáo
- Tiêm chủng đạt *95%* kế hoạch
- Còn 3 xã chưa đạt

<script>alert(1)</script>
"""


@pytest.fixture
def held(factory):
    """A meeting that took place: attendance, final minutes, an anonymous vote, two conclusions."""
    s = MeetingSetup(factory)
    m = s.meeting
    db.session.add(AgendaItem(meeting_id=m.id, position=1, title="Tình hình tiêm chủng", presenter_id=s.member.id))
    now = utcnow()
    for user in (s.chair, s.secretary, s.member):  # member2 never joined: absent
        db.session.add(AttendanceSpan(meeting_id=m.id, user_id=user.id, sid=f"sid-{user.id}",
                                      joined_at=now - timedelta(minutes=20), left_at=now))
    m.ended_at = now
    m.status = "ended"
    db.session.commit()
    minutes.save_minutes(s.secretary, m, {"body": MINUTES, "base_version": 0})
    m.status = "live"
    vote = votes.open_vote(s.chair, m, {"question": "Thông qua kế hoạch tiêm chủng đợt 2?", "anonymous": True})
    votes.cast_ballot(s.member, vote, {"choice": 0})
    votes.cast_ballot(s.secretary, vote, {"choice": 1})
    votes.close_vote(s.chair, vote)
    conclusions.add_conclusion(s.chair, m, {"text": "Giao Sở Y tế hoàn thành tiêm chủng trước 15/12."})
    conclusions.add_conclusion(s.secretary, m, {"text": "Các huyện báo cáo kết quả hằng tuần."})
    minutes.finalize_minutes(s.chair, m)
    return s


def texts(doc):
    out = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                out.extend(p.text for p in cell.paragraphs)
    return out


def test_minutes_document_layout_attendance_votes_and_conclusions(app, held):
    doc = Document(io.BytesIO(documents.minutes_docx(held.meeting)))
    all_text = "\n".join(texts(doc))
    # the national header and the agency
    header = texts(doc)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in all_text
    motto = [r for t in doc.tables for c in t.rows[0].cells for p in c.paragraphs for r in p.runs
             if r.text == "Độc lập - Tự do - Hạnh phúc"]
    assert motto and motto[0].underline and motto[0].bold
    assert "UBND TỈNH THANH TÂM" in all_text and "VĂN PHÒNG" in all_text
    # the office in the header issues it: its code follows the type (Decree 30)
    assert any(t.startswith("Số:") and t.endswith("/BB-VP") for t in header)
    date_runs = [r for p in doc.tables[0].rows[1].cells[1].paragraphs for r in p.runs]
    assert date_runs and date_runs[0].italic and ", ngày " in date_runs[0].text
    # the title, bold and centred
    title = next(p for p in doc.paragraphs if p.text == "BIÊN BẢN CUỘC HỌP")
    assert title.runs[0].bold and title.alignment == 1
    assert "Họp giao ban tháng 11" in all_text
    # chair, secretary, present and absent
    assert "Chủ trì: Nguyễn Văn Chủ Tịch" in all_text and "Thư ký: Lê Thu Trang" in all_text
    paras = [p.text for p in doc.paragraphs]
    present_at = paras.index(next(p for p in paras if p.startswith("Thành phần tham dự (có mặt)")))
    absent_at = paras.index(next(p for p in paras if p.startswith("Vắng mặt")))
    present_block, absent_block = "\n".join(paras[present_at:absent_at]), "\n".join(paras[absent_at:absent_at + 3])
    assert "3 người" in paras[present_at] and "Phạm Thị Hoa" in present_block and "Lê Thu Trang" in present_block
    assert "Trần Văn Hùng" in absent_block and "Trần Văn Hùng" not in present_block
    # agenda and the final minutes as paragraphs (headings bold, list items, no HTML)
    assert "Tình hình tiêm chủng (trình bày: Phạm Thị Hoa)" in all_text
    heading = next(p for p in doc.paragraphs if p.text == "Sở Y tế báo cáo")
    assert heading.runs[0].bold
    assert "Tiêm chủng đạt 95% kế hoạch" in all_text and "<script" not in all_text and "alert(1)" not in all_text
    bold_runs = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert "khai mạc" in bold_runs
    # the vote with its result, never who voted what
    assert "Thông qua kế hoạch tiêm chủng đợt 2?" in all_text
    # reported as a biên bản does: out of the delegates present (3), who did not vote included
    assert ("Kết quả: 1/3 đại biểu có mặt chọn “Đồng ý” (33%); 1/3 đại biểu có mặt chọn “Không đồng ý” (33%); "
            "0/3 đại biểu có mặt chọn “Ý kiến khác” (0%); 1/3 đại biểu không biểu quyết.") in all_text
    # conclusions and the signature block
    assert "Giao Sở Y tế hoàn thành tiêm chủng trước 15/12." in all_text
    assert "Các huyện báo cáo kết quả hằng tuần." in all_text
    sign = doc.tables[-1].rows[0].cells
    assert sign[0].paragraphs[0].text == "THƯ KÝ" and sign[1].paragraphs[0].text == "CHỦ TRÌ"
    assert sign[0].paragraphs[-1].text == "Lê Thu Trang" and sign[1].paragraphs[-1].text == "Nguyễn Văn Chủ Tịch"
    # A4, Decree 30 margins, Times New Roman 13 pt
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert abs(section.left_margin - Mm(30)) < Mm(1) and abs(section.right_margin - Mm(15)) < Mm(1)
    assert doc.styles["Normal"].font.name == "Times New Roman" and doc.styles["Normal"].font.size.pt == 13


def test_conclusions_notice(app, held):
    doc = Document(io.BytesIO(documents.conclusions_docx(held.meeting)))
    all_text = "\n".join(texts(doc))
    assert "THÔNG BÁO" in [p.text for p in doc.paragraphs]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in all_text
    assert any(t.startswith("Số:") and t.endswith("/TB-VP") for t in texts(doc))
    assert "1. Giao Sở Y tế hoàn thành tiêm chủng trước 15/12." in all_text
    assert "2. Các huyện báo cáo kết quả hằng tuần." in all_text
    assert "Nơi nhận:" in all_text


def test_conclusions_notice_is_sent_to_the_agencies_given_tasks_by_name(app, held, factory):
    from directives import services as directive_services

    s = held
    district = factory.agency(code="HTX", name="UBND thị xã Hương Thủy", kind="district")
    health = factory.agency(code="SYT2", name="Sở Y tế", kind="department")
    conclusion = conclusions.for_meeting(s.meeting)[0]
    directive_services.issue_directive(s.leader, {
        "title": "Tiêm chủng đợt 2", "body": "Hoàn thành trước 15/12", "deadline": "2027-12-15T17:00:00+07:00",
        "lead_agency_id": district.id, "support_agency_ids": [health.id],
        "source_meeting_id": s.meeting.id, "conclusion_id": conclusion["id"] if isinstance(conclusion, dict) else None,
    })
    doc = Document(io.BytesIO(documents.conclusions_docx(s.meeting)))
    left = doc.tables[-1].rows[0].cells[0]
    lines = [p.text for p in left.paragraphs]
    assert lines == ["Nơi nhận:", "- Các đại biểu dự họp;", "- Sở Y tế;", "- UBND thị xã Hương Thủy;", "- Lưu: VT."]


def test_download_only_when_final_and_only_for_chair_secretary_leaders(app, client, factory):
    s = MeetingSetup(factory)
    url = f"/meetings/{s.meeting_id}/documents/bien-ban.docx"
    login(client, s.chair)
    assert client.get(url).status_code == 302  # not final yet: back to the outcomes page, which says why
    minutes.save_minutes(s.secretary, s.meeting, {"body": "Nội dung", "base_version": 0})
    minutes.finalize_minutes(s.chair, s.meeting)
    res = client.get(url)
    assert res.status_code == 200 and res.mimetype == documents.DOCX_MIME
    assert "attachment" in res.headers["Content-Disposition"]
    Document(io.BytesIO(res.data))  # a real .docx
    res = client.get(f"/meetings/{s.meeting_id}/documents/thong-bao-ket-luan.docx")
    assert res.status_code == 200
    for user, status in ((s.secretary, 200), (s.leader, 200), (s.member, 403), (s.outsider, 404)):
        other = app.test_client()
        login(other, user)
        assert other.get(url).status_code == status, user.full_name


def test_anonymous_vote_voters_are_not_in_the_document(app, held):
    all_text = "\n".join(texts(Document(io.BytesIO(documents.minutes_docx(held.meeting)))))
    vote_part = all_text[all_text.index("Kết quả biểu quyết"):all_text.index("Kết luận của chủ trì")]
    for name in ("Phạm Thị Hoa", "Lê Thu Trang"):
        assert name not in vote_part


def test_the_conclusions_notice_names_the_meeting_once():
    from meetings.documents import _meeting_phrase

    assert _meeting_phrase("Họp giao ban UBND tỉnh tháng 11/2026") == "cuộc họp giao ban UBND tỉnh tháng 11/2026"
    assert _meeting_phrase("Hội nghị tổng kết năm") == "hội nghị tổng kết năm"
    assert _meeting_phrase("Triển khai kế hoạch phòng dịch") == "cuộc họp Triển khai kế hoạch phòng dịch"

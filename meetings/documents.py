"""Word documents of a meeting in the Vietnamese administrative layout (Decree 30/2020/NĐ-CP):
"BIÊN BẢN CUỘC HỌP" (the minutes) and "THÔNG BÁO KẾT LUẬN" (the conclusions notice).

A4, margins top/bottom 20 mm, left 30 mm, right 15 mm, Times New Roman 13 pt (headings 13-14 pt):
the issuing agency top-left, the national motto top-right, the number and the place and date line,
the title, the body, and the signature block.
"""
import io
import os
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import current_app
from flask_babel import force_locale

from directives import labels as directive_labels
from meetings import attendance, conclusions, connection_points, minutes, votes
from meetings import labels as meeting_labels
from meetings.docx_markdown import markdown_to_docx
from meetings.models import MinutesStatus, ParticipantRole, VoteStatus
from meetings.queries import participants_of

FONT = "Times New Roman"
BODY_PT = 13
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: the documents are Vietnamese whatever the language of the person who downloads them
DOCUMENT_LOCALE = "vi"


def _word(table, key):
    """A label from the table the pages use (directives/labels.py, meetings/labels.py), in Vietnamese."""
    with force_locale(DOCUMENT_LOCALE):
        return str(table.get(key, key))


def _setting(key, default):
    return current_app.config.get(key) or os.environ.get(key) or default


def issuer():
    """(parent agency, issuing office, place name for the date line), from the config or environment."""
    return (
        _setting("DOCUMENT_PARENT_AGENCY", "UBND TỈNH THANH TÂM"),
        _setting("DOCUMENT_ISSUER", "VĂN PHÒNG"),
        _setting("DOCUMENT_PLACE", "Thanh Tâm"),
    )


def issuer_code():
    """The issuing office's abbreviation after the document type in "Số: .../BB-VP" (Decree 30):
    the office in the header issues both documents, so both carry its code."""
    return _setting("DOCUMENT_ISSUER_CODE", "VP")


def issuer_name():
    """The issuing office's name in running text, e.g. "Văn phòng UBND tỉnh Thanh Tâm"."""
    return _setting("DOCUMENT_ISSUER_NAME", "Văn phòng UBND tỉnh Thanh Tâm")


def _local(value):
    return value.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])) if value else None


def _date_line(place, when):
    """Decree 30: days below 10 and the months January and February take a leading zero."""
    local = _local(when)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"{place}, ngày {local.day:02d} tháng {month} năm {local.year}"


def _time_text(when):
    local = _local(when)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, ngày {local.day:02d}/{local.month:02d}/{local.year}"


# -- building blocks ----------------------------------------------------------------

def _new_document():
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    for style_name in ("Normal", "List Bullet", "List Number"):
        style = doc.styles[style_name]
        style.font.name = FONT
        style.font.size = Pt(BODY_PT)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_after = Pt(6)
    normal.line_spacing = 1.15
    return doc


def _para(container, text="", bold=False, italic=False, underline=False, size=BODY_PT, align=None,
          space_after=None, first_line=None):
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
        run.font.name = FONT
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    if first_line is not None:
        p.paragraph_format.first_line_indent = Mm(first_line)
    return p


def _label_line(doc, label, value):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Mm(10)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    head = p.add_run(f"{label}: ")
    head.bold = True
    p.add_run(value or "")
    return p


def _no_borders(table):
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"})
        borders.append(el)
    tbl_pr.append(borders)


def _cell_para(cell, text, bold=False, italic=False, underline=False, size=BODY_PT, first=False):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
        run.font.name = FONT
    return p


def _header(doc, number, date_line):
    """Issuing agency (left) and national motto (right); number (left) and place/date (right)."""
    parent, office, _place = issuer()
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(62), Mm(103))
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width  # the grid: LibreOffice and Word lay the table out from it
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
    left, right = table.rows[0].cells
    _cell_para(left, parent.upper(), size=13, first=True)
    _cell_para(left, office.upper(), bold=True, size=13)
    _cell_para(left, "───────", size=10)
    _cell_para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, first=True)
    _cell_para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True, size=13)
    left, right = table.rows[1].cells
    _cell_para(left, number, size=13, first=True)
    _cell_para(right, date_line, italic=True, size=13, first=True)
    _para(doc, space_after=6)


def _title(doc, title, subtitle=None):
    _para(doc, title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    if subtitle:
        _para(doc, subtitle, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "────────", size=10, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)


def _conclusion_list(doc, items):
    """Numbered conclusions, justified with a first-line indent; a line saying there are none."""
    if not items:
        _para(doc, "(Không có kết luận.)", italic=True)
        return
    for c in items:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.first_line_indent = Mm(10)
        p.add_run(f"{c.position}. ").bold = True
        p.add_run(c.text)


def _meeting_phrase(title):
    """"cuộc họp giao ban ..." for a title "Họp giao ban ...", never "cuộc họp Họp giao ban ..."."""
    if title.lower().startswith("họp "):
        return "cuộc họp " + title[4:]
    if title.lower().startswith("hội nghị"):
        return "hội nghị" + title[8:]
    return f"cuộc họp {title}"


def _signatures(doc, left_title, left_name, right_title, right_name):
    _para(doc, space_after=0)
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    for cell, title, name in zip(table.rows[0].cells, (left_title, right_title), (left_name, right_name), strict=False):
        if not title:
            continue
        _cell_para(cell, title, bold=True, size=13, first=True)
        _cell_para(cell, "(Ký, ghi rõ họ tên)", italic=True, size=13)
        for _ in range(3):
            _cell_para(cell, "", size=13)
        _cell_para(cell, name or "", bold=True, size=13)


# -- the documents -----------------------------------------------------------------------

def _person(user):
    """ "Name - title, agency", each said once (auth.protocol.affiliation): a leader's title says what
    they lead, so the office that keeps their account is left out."""
    if user is None:
        return ""
    from auth.protocol import affiliation

    description = affiliation(user).replace(" · ", ", ")
    return f"{user.full_name} - {description}" if description else user.full_name


def _directive_lines(doc, directives):
    """Each directive born from the meeting, and where each agency stands, in the directive pages' words
    (lower case, inside a sentence): "Sở Y tế (chủ trì): trong hạn, tiến độ 40%"."""
    for d in directives:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{d['number']}: ").bold = True
        p.add_run(d["title"])
        for a in d["assignments"]:
            role = _word(directive_labels.ROLE_LABELS, a["role"]).lower()
            tracking = _word(directive_labels.TRACKING_LABELS, a["tracking"]).lower()
            q = doc.add_paragraph()
            q.paragraph_format.left_indent = Mm(15)
            q.add_run(f"{a['agency_name']} ({role}): {tracking}, tiến độ {a['progress']}%")


def minutes_docx(meeting):
    """BIÊN BẢN CUỘC HỌP from the final minutes; returns the .docx bytes."""
    _parent, _office, place = issuer()
    doc = _new_document()
    _header(doc, f"Số:       /BB-{issuer_code()}", _date_line(place, meeting.started_at or meeting.starts_at))
    _title(doc, "BIÊN BẢN CUỘC HỌP", meeting.title)
    present = _minutes_who_and_where(doc, meeting)
    _para(doc, "II. NỘI DUNG CUỘC HỌP", bold=True)
    _minutes_agenda(doc, meeting)
    _para(doc, "2. Diễn biến cuộc họp", bold=True)
    body = minutes.minutes_state(meeting)["body"]
    if body.strip():
        markdown_to_docx(doc, body, body_size=BODY_PT)
    else:
        _para(doc, "(Chưa có nội dung biên bản.)", italic=True)
    voted = _minutes_votes(doc, meeting, len(present))
    _para(doc, f"{4 if voted else 3}. Kết luận của chủ trì cuộc họp", bold=True)
    _conclusion_list(doc, conclusions.for_meeting(meeting))
    if meeting.follow_up_of_id:
        _minutes_follow_up(doc, meeting)
    _minutes_closing(doc, meeting)
    return _bytes(doc)


def _minutes_who_and_where(doc, meeting):
    """Section I: time, place, chair, secretary, who was there and who was not; returns those present."""
    _para(doc, "I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN", bold=True)
    _label_line(doc, "Thời gian", "Bắt đầu lúc " + _time_text(meeting.started_at or meeting.starts_at))
    _label_line(doc, "Địa điểm", meeting.place or ("Phòng họp trực tuyến" if meeting.online else ""))
    _label_line(doc, "Chủ trì", _person(meeting.chair))
    _label_line(doc, "Thư ký", _person(meeting.secretary))
    present, absent = attendance.present_and_absent(meeting)
    notes = _representation_notes(meeting)
    _label_line(doc, "Thành phần tham dự (có mặt)", f"{len(present)} người")
    for user, role in present:
        shown_role = role in (ParticipantRole.CHAIR, ParticipantRole.SECRETARY)
        line = _person(user) + (f" ({_word(meeting_labels.ROLE_LABELS, role)})" if shown_role else "")
        doc.add_paragraph(line + notes.get(user.id, ""), style="List Bullet")
    _label_line(doc, "Vắng mặt", f"{len(absent)} người" if absent else "không")
    for user, _role in absent:
        doc.add_paragraph(_person(user) + notes.get(user.id, ""), style="List Bullet")
    _minutes_call_and_points(doc, meeting, present)
    return present


def _representation_notes(meeting):
    """{user id: " (cử … dự thay)" / " (dự thay …)" / " (báo vắng: lý do)"}: how each invitation was answered,
    in the biên bản's Vietnamese whatever the reader's language."""
    from flask_babel import force_locale

    participants = participants_of(meeting)
    names = attendance.representation_names(participants)
    with force_locale("vi"):
        notes = {p.user_id: attendance.representation(p, names) for p in participants}
    return {uid: f" ({note})" for uid, note in notes.items() if note}


def _minutes_call_and_points(doc, meeting, present):
    """Who took part in the call, the connection points (điểm cầu) with the people at each, and how many
    people attended in all (meetings.attendance.people_total)."""
    joiners = attendance.call_joiners(meeting)
    called = [user for user, _role in present if user.id in joiners]
    if called:
        _label_line(doc, "Tham dự qua cuộc gọi trực tuyến", f"{len(called)} người: "
                    + ", ".join(user.full_name for user in called))
    points = connection_points.for_meeting(meeting)
    if not points:
        return  # the people present are the participants listed above
    _label_line(doc, "Các điểm cầu", f"{len(points)} điểm cầu, {sum(p.people_present for p in points)} người")
    for point in points:
        operator = point.operator.full_name if point.operator else ""
        doc.add_paragraph(f"Điểm cầu {point.agency.name}: {point.people_present} người"
                          + (f" (đầu mối: {operator})" if operator else ""), style="List Bullet")
    total = attendance.people_total(points, [user.id for user, _role in present])
    _label_line(doc, "Tổng số người tham dự", f"{total} người")


def _minutes_agenda(doc, meeting):
    if not meeting.agenda_items:
        return
    _para(doc, "1. Chương trình họp", bold=True)
    for item in meeting.agenda_items:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(item.title)
        if item.presenter:
            p.add_run(f" (trình bày: {item.presenter.full_name})").italic = True


def _minutes_votes(doc, meeting, present_count):
    """Section II.3, the closed votes and their results; False when there was none."""
    closed_votes = [v for v in votes.for_meeting(meeting) if v.status == VoteStatus.CLOSED]
    if not closed_votes:
        return False
    _para(doc, "3. Kết quả biểu quyết", bold=True)
    for i, vote in enumerate(closed_votes, start=1):
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Mm(10)
        p.add_run(f"Biểu quyết {i}: ").bold = True
        p.add_run(vote.question)
        p.add_run(" (biểu quyết kín)" if vote.anonymous else " (biểu quyết công khai)").italic = True
        q = doc.add_paragraph()
        q.paragraph_format.left_indent = Mm(10)
        q.add_run(f"Kết quả: {_vote_result_sentence(vote, present_count)}.")
    return True


def _minutes_follow_up(doc, meeting):
    previous = meeting.follow_up_of
    _para(doc, "Rà soát việc thực hiện kết luận cuộc họp trước"
          + (f" ({previous.title})" if previous else ""), bold=True)
    directives = conclusions.follow_up_directives(meeting)
    if directives:
        _directive_lines(doc, directives)
    else:
        _para(doc, "(Cuộc họp trước không giao nhiệm vụ nào.)", italic=True)


def _minutes_closing(doc, meeting):
    ended = meeting.ended_at
    closing = f"Cuộc họp kết thúc vào lúc {_time_text(ended)}." if ended else "Cuộc họp kết thúc cùng ngày."
    _para(doc, closing, first_line=10)
    row = minutes.minutes_row(meeting)
    if row is not None and row.status == MinutesStatus.FINAL:
        _para(doc, "Biên bản đã được chủ trì cuộc họp thông qua và các thành viên dự họp thống nhất.",
              first_line=10)
    _signatures(doc, "THƯ KÝ", meeting.secretary.full_name if meeting.secretary else "",
                "CHỦ TRÌ", meeting.chair.full_name if meeting.chair else "")


def conclusions_docx(meeting):
    """THÔNG BÁO KẾT LUẬN of the chair at the meeting; returns the .docx bytes."""
    _parent, _office, place = issuer()
    doc = _new_document()
    date_ref = meeting.ended_at or meeting.started_at or meeting.starts_at
    _header(doc, f"Số:       /TB-{issuer_code()}", _date_line(place, date_ref))
    chair_name = meeting.chair.full_name if meeting.chair else ""
    chair_title = meeting.chair.title if meeting.chair and meeting.chair.title else "Chủ trì cuộc họp"
    meeting_name = _meeting_phrase(meeting.title)
    _title(doc, "THÔNG BÁO", f"Kết luận của {chair_title} {chair_name} tại {meeting_name}")
    intro = (f"Ngày {_local(meeting.started_at or meeting.starts_at).strftime('%d/%m/%Y')}, "
             f"đồng chí {chair_name} chủ trì {meeting_name}"
             f"{' tại ' + meeting.place if meeting.place else ''}. Sau khi nghe báo cáo và ý kiến của các đại biểu "
             "dự họp, chủ trì cuộc họp kết luận như sau:")
    _para(doc, intro, first_line=10, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _conclusion_list(doc, conclusions.for_meeting(meeting))
    directives = conclusions.meeting_directives(meeting)
    if directives:
        _para(doc, "Các nhiệm vụ đã giao:", bold=True, first_line=10)
        _directive_lines(doc, directives)
    _para(doc, f"{issuer_name()} thông báo để các cơ quan, đơn vị biết, thực hiện./.",
          first_line=10, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _notice_footer(doc, directives)
    return _bytes(doc)


def _notice_footer(doc, directives):
    """Nơi nhận on the left, the office's signature on the right."""
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    p = _cell_para(left, "Nơi nhận:", bold=True, italic=True, size=12, first=True)
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    for line in _recipients(directives):
        q = _cell_para(left, line, size=11)
        q.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _cell_para(right, "TL. CHỦ TỊCH", bold=True, size=13, first=True)
    _cell_para(right, "CHÁNH VĂN PHÒNG", bold=True, size=13)
    _cell_para(right, "(Ký, ghi rõ họ tên)", italic=True, size=13)


def _vote_result_sentence(vote, present_count):
    """As a biên bản reports a vote: "3/4 đại biểu có mặt tán thành (75%)" for each option."""
    counts, total = (vote.result, sum(vote.result)) if vote.result else votes.tally(vote)
    base = max(present_count, total)  # whoever voted was there, even if the room missed them
    parts = []
    for option, count in zip(vote.options, counts, strict=False):
        share = f" ({round(100 * count / base)}%)" if base else ""
        parts.append(f"{count}/{base} đại biểu có mặt chọn “{option}”{share}")
    if base > total:
        parts.append(f"{base - total}/{base} đại biểu không biểu quyết")
    return "; ".join(parts)


def _recipients(directives):
    """Nơi nhận of the notice: the delegates, then each agency given a task by name, then the archive."""
    from auth.protocol import agency_order

    agencies = {}
    for d in directives:
        for a in d["assignments"]:
            agencies.setdefault(a["agency_id"], a)
    lines = ["- Các đại biểu dự họp;"]
    named = sorted(agencies.values(), key=lambda a: agency_order(a["agency_name"], a["agency_kind"]))
    lines += [f"- {a['agency_name']};" for a in named]
    lines.append("- Lưu: VT.")
    return lines


def _bytes(doc):
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

"""Demo meetings: one ended (with its chat and attendance), one live now, upcoming ones."""
from datetime import timedelta

from core.dbtypes import utcnow
from core.extensions import db
from meetings.models import AgendaItem, AttendanceSpan, ChatMessage, Meeting, Participant


def _meeting(chair, secretary, title, starts_at, minutes, status, place, description, agenda, invitees,
             agencies=()):
    meeting = Meeting(
        title=title, description=description, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        place=place, online=True, chair_id=chair.id, secretary_id=secretary.id if secretary else None,
        status=status, created_by_id=chair.id, created_at=starts_at - timedelta(days=3),
    )
    db.session.add(meeting)
    db.session.flush()
    for position, (item, planned) in enumerate(agenda, start=1):
        db.session.add(AgendaItem(meeting_id=meeting.id, position=position, title=item, planned_minutes=planned))
    seen = set()

    def invite(user, role="member", via=None):
        if user.id in seen:
            return
        seen.add(user.id)
        db.session.add(Participant(meeting_id=meeting.id, user_id=user.id, role=role, via_agency_id=via,
                                   invited_at=meeting.created_at))

    invite(chair, "chair")
    if secretary:
        invite(secretary, "secretary")
    for user in invitees:
        invite(user)
    for agency, users in agencies:
        for user in users:
            invite(user, via=agency.id)
    return meeting


def _replies(meeting, now, answers):
    """Invitees' answers: (user, response, reason, substitute); a substitute gets an invitation of their own."""
    for user, response, reason, substitute in answers:
        invitation = db.session.scalar(db.select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.user_id == user.id))
        invitation.response, invitation.response_reason = response, reason
        invitation.responded_at = now - timedelta(hours=2)
        if substitute is not None:
            invitation.substitute_id = substitute.id
            db.session.add(Participant(meeting_id=meeting.id, user_id=substitute.id, role="member",
                                       via_agency_id=invitation.via_agency_id, substitute_for_id=user.id,
                                       invited_at=now - timedelta(hours=2)))


def _chat(meeting, lines, start):
    for n, (author, minute, body) in enumerate(lines, start=1):
        db.session.add(ChatMessage(meeting_id=meeting.id, author_id=author.id, body=body, client_id=f"demo-{n}",
                                   created_at=start + timedelta(minutes=minute, seconds=n)))


def seed(people):
    now = utcnow().replace(second=0, microsecond=0)
    chair, vice, secretary = people["chairman"], people["vice_chairman"], people["secretary"]
    officers = people["officers"]
    agencies = people["agencies"]
    heads = [officers[code][0] for code in ("SYT", "STC", "SKHDT", "SGDDT", "HDS", "TPTT")]

    # -- an ended meeting, with its chat and who attended ------------------------
    start = (now - timedelta(days=6)).replace(hour=1, minute=0)  # 08:00 in Vietnam
    past = _meeting(
        chair, secretary, "Họp giao ban UBND tỉnh tháng 11/2026", start, 120, "ended", "Phòng họp số 1, UBND tỉnh",
        "Đánh giá tình hình kinh tế - xã hội tháng 11, nhiệm vụ trọng tâm tháng 12.",
        [("Báo cáo tình hình kinh tế - xã hội tháng 11", 30), ("Tiến độ giải ngân vốn đầu tư công", 30),
         ("Công tác chuẩn bị Tết Nguyên đán", 20), ("Ý kiến các đơn vị", 30)],
        [vice] + heads,
    )
    past.started_at = start + timedelta(minutes=2)
    past.ended_at = start + timedelta(minutes=118)
    db.session.flush()
    attended = [(chair, 0, 118), (secretary, -5, 118), (vice, 1, 90), (heads[0], 3, 118), (heads[1], 14, 118),
                (heads[2], 2, 60), (heads[4], 25, 110)]
    for n, (user, joined, left) in enumerate(attended):
        db.session.add(AttendanceSpan(meeting_id=past.id, user_id=user.id, sid=f"demo-past-{n}",
                                      joined_at=start + timedelta(minutes=joined),
                                      left_at=start + timedelta(minutes=left)))
    # one officer had the room open in two tabs for a while
    db.session.add(AttendanceSpan(meeting_id=past.id, user_id=heads[0].id, sid="demo-past-tab2",
                                  joined_at=start + timedelta(minutes=40), left_at=start + timedelta(minutes=70)))
    _chat(past, [
        (chair, 3, "Chào các đồng chí. Bắt đầu cuộc họp giao ban tháng 11."),
        (secretary, 4, "Tài liệu cuộc họp đã gửi trên hệ thống: https://example.gov.vn/tai-lieu/giao-ban-11"),
        (heads[0], 20, "Sở Y tế báo cáo: tỷ lệ tiêm chủng mở rộng đạt 97,5%."),
        (heads[1], 35, "Sở Tài chính đề nghị các đơn vị đẩy nhanh giải ngân trước 15/12."),
        (vice, 50, "Đề nghị UBND huyện Đông Sơn làm rõ nguyên nhân chậm giải ngân."),
        (heads[4], 55, "UBND huyện Đông Sơn xin tiếp thu, sẽ báo cáo bằng văn bản trong tuần."),
        (chair, 110, "Cảm ơn các đồng chí. Văn phòng tổng hợp kết luận và ban hành thông báo."),
    ], start)

    # -- a meeting live right now ---------------------------------------------------
    live_start = now - timedelta(minutes=20)
    live = _meeting(
        vice, secretary, "Họp trực tuyến về phòng, chống dịch bệnh mùa đông", live_start, 90, "live", "",
        "Triển khai các biện pháp phòng, chống dịch bệnh truyền nhiễm mùa đông - xuân.",
        [("Sở Y tế báo cáo tình hình dịch bệnh", 20), ("Phương án bảo đảm thuốc, vật tư y tế", 20),
         ("Phân công nhiệm vụ", 15)],
        [chair] + officers["SYT"] + officers["SGDDT"] + [officers["HDS"][0], officers["TPTT"][0]],
    )
    live.started_at = live_start
    db.session.flush()
    _chat(live, [
        (vice, 1, "Chào các đồng chí, cuộc họp bắt đầu."),
        (officers["SYT"][0], 6, "Sở Y tế đã gửi báo cáo nhanh số ca mắc trong tuần."),
        (officers["SGDDT"][0], 12, "Sở Giáo dục và Đào tạo đề nghị hướng dẫn cụ thể cho các trường học."),
    ], live_start)

    # -- upcoming ---------------------------------------------------------------------
    tomorrow = (now + timedelta(days=1)).replace(hour=1, minute=0)
    upcoming = _meeting(
        chair, secretary, "Họp triển khai kế hoạch đầu tư công năm 2027", tomorrow, 120, "scheduled",
        "Phòng họp số 2, UBND tỉnh", "Thống nhất danh mục dự án và kế hoạch vốn năm 2027.",
        [("Dự thảo kế hoạch đầu tư công năm 2027", 40), ("Ý kiến các sở, ngành, địa phương", 60)],
        [vice, officers["SKHDT"][0], officers["STC"][0]],
        agencies=[(agencies["SGTVT"], officers["SGTVT"])],
    )
    db.session.flush()
    _replies(upcoming, now, [
        (vice, "attend", None, None),
        (officers["STC"][0], "decline", "Dự họp Bộ Tài chính tại Hà Nội", None),
        (officers["SKHDT"][0], "substitute", "Đi kiểm tra dự án tại huyện", officers["SKHDT"][1]),
    ])
    next_week = (now + timedelta(days=7)).replace(hour=7, minute=30)  # 14:30 in Vietnam
    _meeting(
        vice, secretary, "Họp đánh giá chuyển đổi số năm 2026", next_week, 90, "scheduled", "",
        "Đánh giá kết quả chuyển đổi số, xếp hạng các đơn vị.",
        [("Báo cáo của Sở Thông tin và Truyền thông", 30), ("Thảo luận", 45)],
        [officers["STTTT"][0], officers["SNV"][0], heads[5]],
    )
    db.session.flush()

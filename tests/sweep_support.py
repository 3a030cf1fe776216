"""The small dataset the no-500 sweeps run on (tests/api/test_no_500_sweep.py and
tests/realtime/test_socket_sweep.py): an office and a department, an admin, a leader who issued a
directive and chairs a live meeting, an officer of the department with an acknowledged assignment,
a report, an extension request, an attachment, a chat message, minutes, a vote, a raised hand, a
conclusion and a notification."""
import io
from datetime import timedelta

from core.dbtypes import utcnow
from core.extensions import db


def seed(factory):
    from werkzeug.datastructures import FileStorage

    from auth import services as auth_services
    from directives import attachments
    from directives import extensions as dextensions
    from directives import services as dsvc
    from meetings import chat, conclusions, minutes, speakers, votes
    from meetings import services as msvc
    from notifications.models import Notification

    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    people = {
        "admin": factory.user("admin", username="quantri"),
        "leader": factory.user("leader", username="lanhdao", agency=office),
        "officer": factory.user("officer", username="chuyenvien", agency=health),
    }
    leader, officer = people["leader"], people["officer"]
    soon = utcnow() + timedelta(days=10)
    directive = dsvc.issue_directive(leader, {
        "title": "Chỉ đạo thử", "body": "Nội dung", "deadline": soon.isoformat(),
        "lead_agency_id": health.id, "support_agency_ids": [office.id]})
    assignment = next(a for a in directive.assignments if a.agency_id == health.id)
    dsvc.acknowledge(officer, assignment)
    report = dsvc.report_progress(officer, assignment, {"progress": 10, "note": "Đang làm"})
    extension = dextensions.request_extension(officer, assignment, {"deadline": (soon + timedelta(days=5)).isoformat(),
                                                             "reason": "Cần thêm thời gian"})
    attachment = attachments.save_upload(FileStorage(io.BytesIO(b"%PDF-1.4 thu"), filename="a.pdf"),
                                         directive, leader)
    meeting = msvc.create_meeting(leader, {
        "title": "Họp giao ban", "starts_at": (utcnow() + timedelta(hours=1)).isoformat(),
        "participant_ids": [officer.id], "agenda": [{"title": "Mục 1"}]})
    msvc.start_meeting(leader, meeting)
    upcoming = msvc.create_meeting(leader, {  # what only a meeting not yet started allows: cancelling it
        "title": "Họp sắp tới", "starts_at": (utcnow() + timedelta(days=2)).isoformat(),
        "participant_ids": [officer.id]})
    chat.send_message(officer, {"meeting_id": meeting.id, "body": "Xin chào", "client_id": "c1"})
    minutes.save_minutes(leader, meeting, {"base_version": 0, "body": "Biên bản"})
    vote = votes.open_vote(leader, meeting, {"question": "Đồng ý?"})
    speaker = speakers.raise_hand(officer, meeting)
    conclusion = conclusions.add_conclusion(leader, meeting, {"text": "Kết luận"})
    notification = db.session.scalar(db.select(Notification).where(Notification.user_id == officer.id))
    token, _raw = auth_services.issue_token(leader, "thu")
    db.session.commit()
    ids = {
        "meeting_id": meeting.id, "directive_id": directive.id, "assignment_id": assignment.id,
        "extension_id": extension.id, "report_id": report.id, "attachment_id": attachment.id,
        "conclusion_id": conclusion.id, "vote_id": vote.id, "request_id": speaker.id,
        "notification_id": notification.id, "token_id": token.id, "agency_id": health.id,
        "user_id": officer.id, "version": 1, "scheduled_meeting_id": upcoming.id,
    }
    return people, ids, base_values(ids, office, health, leader, officer, meeting, soon)


def base_values(ids, office, health, leader, officer, meeting, soon):
    """A valid value for each field name the app uses (absent names are simply left out)."""
    return {
        "title": "Tiêu đề", "body": "Nội dung\nhai dòng", "note": "Ghi chú", "reason": "Lý do", "text": "Kết luận",
        "question": "Đồng ý?", "description": "Mô tả", "place": "Phòng họp", "name": "Tên", "code": "AGX",
        "full_name": "Người dùng", "email": "a@example.org", "q": "chỉ đạo", "client_id": "sweep-1",
        "deadline": soon.isoformat(), "starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=1)).isoformat(),
        "date_from": "2024-01-01", "date_to": "2030-12-31", "priority": "normal", "role": "officer",
        "kind": "department", "locale": "vi", "scope": "all", "response": "attend",
        "progress": 50, "base_version": 1, "choice": 0, "limit": 10, "offset": 0, "after": 0, "before": 100,
        "page": 1, "shown": 50, "lead_agency_id": health.id, "support_agency_ids": [office.id],
        "agency_id": health.id, "agency_ids": [health.id], "participant_ids": [officer.id],
        "user_ids": [officer.id], "source_meeting_id": meeting.id, "presenter_id": leader.id,
        "substitute_id": officer.id, "options": ["Có", "Không"], "online": True, "active": True,
        "agenda": [{"title": "Mục 1", "presenter_id": leader.id, "planned_minutes": 10}],
    }

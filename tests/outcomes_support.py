"""Helpers shared by the meeting-outcomes tests: a meeting with a chair, a secretary and members."""
from datetime import timedelta

from core.dbtypes import utcnow
from core.extensions import db


class MeetingSetup:
    def __init__(self, factory, status="live"):
        from meetings.models import Meeting, Participant

        self.office = factory.agency(code=f"VP{factory.n}", name="Văn phòng UBND tỉnh", kind="provincial_office")
        self.health = factory.agency(code=f"YT{factory.n}", name="Sở Y tế")
        self.chair = factory.user("leader", full_name="Nguyễn Văn Chủ Tịch")
        self.secretary = factory.user("officer", agency=self.office, full_name="Lê Thu Trang")
        self.member = factory.user("officer", agency=self.health, full_name="Phạm Thị Hoa")
        self.member2 = factory.user("officer", agency=self.health, full_name="Trần Văn Hùng")
        self.outsider = factory.user("officer", full_name="Người Ngoài")
        self.leader = factory.user("leader", full_name="Phó Chủ Tịch")
        self.admin = factory.user("admin", full_name="Quản trị")
        now = utcnow()
        self.meeting = Meeting(
            title="Họp giao ban tháng 11", starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=1),
            place="Phòng họp số 1", chair_id=self.chair.id, secretary_id=self.secretary.id, status=status,
            started_at=now - timedelta(minutes=30) if status != "scheduled" else None, created_by_id=self.chair.id,
        )
        db.session.add(self.meeting)
        db.session.flush()
        for user, role in ((self.chair, "chair"), (self.secretary, "secretary"), (self.member, "member"),
                           (self.member2, "member")):
            db.session.add(Participant(meeting_id=self.meeting.id, user_id=user.id, role=role))
        db.session.commit()
        self.meeting_id = self.meeting.id

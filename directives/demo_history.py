"""A year of past directives for the demo province, so the execution report, its trend and its ranking show
something real: ~30 directives a month for twelve months, each with its whole history.

Written in bulk (one INSERT per table, SQLAlchemy Core) rather than through the services, which would take
seconds; every row is what the services would have left: the same columns, statuses, event actions, event
``data`` and ``deadline`` after each event, numbered as ``services.issue_directive`` numbers (after the year's
last number, so nothing collides). Notifications and audit rows of the past are left out. The search index is
written for them in the same way (the session hooks that keep it do not see bulk inserts).

The story the figures tell: over the year agencies acknowledge sooner, finish faster (handling time down over
70%) and keep more deadlines; each agency has its own pace, so the ranking means something. Deterministic: a
fixed random seed.
"""
import gc
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, insert, select

from core.dbtypes import isoformat
from core.extensions import db
from core.validation import display_zone
from directives.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Directive,
    DirectiveStatus,
    EventAction,
    ExtensionRequest,
    ExtensionStatus,
    Priority,
    ProgressReport,
)

SEED = 2026
MONTHS = 12
#: the newest past directive is older than the demo's current ones (40 days at most), which stay on top
NEWEST_DAYS = 45

#: each agency's pace: a multiplier of the time it takes (lower is faster), so the ranking differs
PACE = {"VPUB": 0.6, "SNV": 0.9, "STC": 0.7, "SKHDT": 0.85, "SYT": 1.0, "SGDDT": 0.75, "STNMT": 1.3,
        "SGTVT": 1.45, "STTTT": 0.55, "TPTT": 0.8, "HDS": 1.2, "HTH": 1.0, "TXBL": 1.6}
COMMUNE_PACE = 1.1

VERBS = ["Triển khai", "Tăng cường", "Rà soát", "Đẩy mạnh", "Kiểm tra", "Tổng hợp, báo cáo",
         "Xây dựng kế hoạch", "Nâng cao hiệu quả", "Tập trung chỉ đạo", "Tổ chức thực hiện"]
#: what each agency is asked about (lead agency code -> subjects)
SUBJECTS = {
    "VPUB": ["công tác cải cách hành chính", "việc thực hiện quy chế làm việc của UBND tỉnh",
             "tình hình xử lý văn bản trên hệ thống quản lý văn bản điều hành"],
    "SNV": ["công tác thi đua, khen thưởng", "việc sắp xếp tổ chức bộ máy các cơ quan chuyên môn",
            "công tác tuyển dụng viên chức", "kỷ luật, kỷ cương hành chính"],
    "STC": ["dự toán ngân sách", "công tác quyết toán vốn đầu tư dự án hoàn thành",
            "việc quản lý, sử dụng tài sản công", "thu ngân sách nhà nước"],
    "SKHDT": ["giải ngân vốn đầu tư công", "tháo gỡ khó khăn cho doanh nghiệp",
              "công tác xúc tiến đầu tư", "kế hoạch phát triển kinh tế - xã hội"],
    "SYT": ["công tác phòng, chống dịch bệnh", "tiêm chủng mở rộng", "an toàn thực phẩm tại bếp ăn tập thể",
            "công tác khám, chữa bệnh bảo hiểm y tế"],
    "SGDDT": ["công tác chuẩn bị năm học mới", "kỳ thi tốt nghiệp trung học phổ thông",
              "việc sửa chữa trường, lớp học", "công tác bảo đảm an toàn trường học"],
    "STNMT": ["công tác cấp giấy chứng nhận quyền sử dụng đất", "việc xử lý ô nhiễm môi trường tại các cụm công nghiệp",
              "công tác quản lý khai thác khoáng sản", "việc thu gom, xử lý rác thải sinh hoạt"],
    "SGTVT": ["công tác bảo đảm trật tự an toàn giao thông", "việc sửa chữa, duy tu các tuyến đường tỉnh",
              "xử lý các điểm đen tai nạn giao thông", "công tác quản lý vận tải hành khách"],
    "STTTT": ["chuyển đổi số trong cơ quan nhà nước", "dịch vụ công trực tuyến toàn trình",
              "bảo đảm an toàn thông tin mạng", "công tác thông tin, tuyên truyền"],
    "TPTT": ["công tác chỉnh trang đô thị", "việc giải phóng mặt bằng các dự án trọng điểm",
             "công tác quản lý trật tự xây dựng"],
    "HDS": ["công tác phòng, chống thiên tai", "xây dựng nông thôn mới", "việc hỗ trợ hộ nghèo về nhà ở"],
    "HTH": ["xây dựng nông thôn mới nâng cao", "công tác phòng, chống cháy rừng", "việc giảm nghèo bền vững"],
    "TXBL": ["công tác quản lý đất đai", "việc chuyển đổi cơ cấu cây trồng", "công tác cải cách hành chính cấp xã"],
}
PROGRESS_NOTES = [
    "Đã xây dựng kế hoạch triển khai, phân công cán bộ phụ trách.",
    "Đã tổ chức họp triển khai với các đơn vị liên quan.",
    "Đã hoàn thành khảo sát thực tế, đang tổng hợp số liệu.",
    "Đã gửi văn bản lấy ý kiến các sở, ngành, địa phương.",
    "Đang hoàn thiện dự thảo báo cáo theo ý kiến góp ý.",
]
SUBMIT_NOTES = [
    "Đã hoàn thành nhiệm vụ, gửi báo cáo kết quả kèm phụ lục số liệu.",
    "Đã báo cáo UBND tỉnh bằng văn bản; đề nghị xem xét, kết luận.",
    "Hoàn thành nhiệm vụ được giao; kết quả chi tiết tại báo cáo kèm theo.",
]
EXTENSION_REASONS = [
    "Cần thêm thời gian lấy ý kiến các sở, ngành, địa phương.",
    "Chờ số liệu của các huyện, thị xã, thành phố gửi về.",
    "Khối lượng rà soát lớn, cần thêm thời gian để bảo đảm chất lượng.",
]
OVERDUE_REASONS = [
    "Chậm tiến độ do chờ ý kiến thẩm định của bộ, ngành Trung ương.",
    "Chưa hoàn thành do thiếu kinh phí; đang trình bổ sung dự toán.",
    "Chậm do mưa lũ kéo dài, chưa tiếp cận được hiện trường.",
]
PASS_NOTES = ["Các xã, phường, thị trấn rà soát trên địa bàn, báo cáo về UBND cấp huyện.",
              "Giao các xã triển khai, báo cáo kết quả đúng hạn."]
CANCEL_REASONS = ["Nội dung đã được lồng ghép vào kế hoạch chung của tỉnh.",
                  "Không còn phù hợp do thay đổi quy định của Trung ương."]


@dataclass
class _Track:
    """One assignment's row and its history, built event by event up to ``stop`` (the past ends there)."""

    row: dict
    deadline: datetime
    stop: datetime
    status: str = None
    events: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    follow: tuple = None  # (when, new deadline, data) a supporting agency's deadline moves with the lead's

    def add(self, at, actor, action, to=None, note=None, **data):
        """Record the event if it happened before ``stop``; False when it had not happened yet."""
        self._catch_up(min(at, self.stop))
        if at >= self.stop:
            return False
        self._append(at, actor, action, to, note, data)
        return True

    def _append(self, at, actor, action, to, note, data):
        old = self.status
        self.status = to or old
        self.events.append({"created_at": at, "actor_id": actor.id, "action": action,
                            "from_status": None if action == EventAction.ISSUE else old, "to_status": self.status,
                            "deadline": self.deadline, "note": note,
                            "data": {k: isoformat(v) if isinstance(v, datetime) else v for k, v in data.items()}})
        self.row["updated_at"] = at

    def _catch_up(self, before):
        """The lead's extension approved before ``before`` while this supporting share was open: it follows."""
        if self.follow is None or self.follow[0] >= before:
            return
        when, new, data = self.follow
        self.follow = None
        if self.status in OPEN_STATUSES and self.deadline == data["old_deadline"]:
            self.deadline = new
            self._append(when, data["actor"], EventAction.DEADLINE_FOLLOW, None, None,
                         {k: v for k, v in data.items() if k != "actor"})

    def close(self):
        self._catch_up(self.stop)
        self.row["deadline"], self.row["status"] = self.deadline, self.status


@dataclass
class _Plan:
    """What the year holds, in insert order; rows refer to each other by these dicts until ids exist."""

    directives: list = field(default_factory=list)
    tracks: list = field(default_factory=list)  # roots before their children


class _Year:
    def __init__(self, people, now):
        self.rng = random.Random(SEED)
        self.people, self.now = people, now
        self.plan = _Plan()
        self.zone = display_zone()
        agencies = people["agencies"]
        self.communes = {code: [c for c, a in agencies.items() if a.parent_id == agencies[code].id]
                         for code in ("TPTT", "HDS", "HTH", "TXBL")}

    # -- random figures that improve over the year (``t``: 0 a year ago, 1 at the end) -----------------------

    def _hours(self, start, end, t, pace, spread=0.45, low=0.3):
        return max(low, (start + (end - start) * t) * pace * self.rng.lognormvariate(0, spread))

    def _officer(self, code):
        return self.rng.choice(self.people["officers"][code])

    def _issue_time(self, month_start, month_end):
        day = month_start + timedelta(seconds=self.rng.uniform(0, (month_end - month_start).total_seconds()))
        local = day.astimezone(self.zone)
        while local.weekday() >= 5:  # offices issue on working days
            local += timedelta(days=1)
        local = local.replace(hour=self.rng.randint(8, 16), minute=self.rng.choice((0, 15, 30, 45)),
                              second=0, microsecond=0)
        return local.astimezone(UTC)

    def _deadline_after(self, at, days):
        local = (at + timedelta(days=days)).astimezone(self.zone)
        return local.replace(hour=17, minute=0, second=0, microsecond=0).astimezone(UTC)

    # -- one directive -------------------------------------------------------------------------------------

    def directive(self, issued, t, stuck, cancelled):
        rng, people = self.rng, self.people
        lead = rng.choice(list(PACE))
        support = rng.sample([c for c in PACE if c != lead], rng.choice((0, 0, 1, 1, 2)))
        priority = rng.choices((Priority.NORMAL, Priority.HIGH, Priority.URGENT), (70, 20, 10))[0]
        # deadlines tighten as the province speeds up
        days = {Priority.URGENT: 7, Priority.HIGH: 14, Priority.NORMAL: 21}[priority] + rng.randint(0, 7)
        days *= 1 - 0.3 * t
        deadline = self._deadline_after(issued, days)
        issuer = people["chairman"] if rng.random() < 0.45 else people["vice_chairman"]
        title = self._title(lead, issued)
        names = people["agencies"]
        body = f"Giao {names[lead].name} chủ trì"
        if support:
            body += ", phối hợp với " + ", ".join(names[c].name for c in support)
        body += (f", {title[0].lower()}{title[1:]}; báo cáo kết quả về UBND tỉnh (qua Văn phòng UBND tỉnh) "
                 f"trước ngày {deadline.astimezone(self.zone):%d/%m/%Y}.")
        stop = self.now
        if cancelled:
            stop = issued + timedelta(days=rng.uniform(2, 8))
        d = {"title": title, "body": body, "issuer_id": issuer.id, "issued_at": issued, "priority": priority,
             "status": DirectiveStatus.ISSUED, "deadline": deadline, "source_meeting_id": None,
             "cancelled_at": None, "cancelled_by_id": None, "cancel_reason": None, "client_id": None,
             "_tracks": []}
        self.plan.directives.append(d)
        tracks = [self._root(d, lead, "lead", issuer, stop, t, stuck)]
        follow = tracks[0].extensions[-1]["_follow"] if tracks[0].extensions else None
        for code in support:
            tracks.append(self._root(d, code, "support", issuer, stop, t, False, follow))
        if cancelled:
            self._cancel(d, issuer, stop)
        elif all(tr.status == AssignmentStatus.COMPLETED for tr in d["_tracks"]):
            d["status"] = DirectiveStatus.CLOSED

    def _title(self, lead, issued):
        local = issued.astimezone(self.zone)
        subject = self.rng.choice(SUBJECTS[lead])
        when = self.rng.choice(("", "", f" năm {local.year}", f" quý {(local.month - 1) // 3 + 1} năm {local.year}",
                                f" tháng {local.month}/{local.year}"))
        return f"{self.rng.choice(VERBS)} {subject}{when}"

    def _cancel(self, d, issuer, at):
        reason = self.rng.choice(CANCEL_REASONS)
        d.update(status=DirectiveStatus.CANCELLED, cancelled_at=at, cancelled_by_id=issuer.id, cancel_reason=reason)
        for tr in d["_tracks"]:
            if tr.status in OPEN_STATUSES:
                tr.stop = at + timedelta(seconds=1)
                tr.add(at, issuer, EventAction.CANCEL, AssignmentStatus.CANCELLED, note=reason)
                tr.close()
            for ext in tr.extensions:  # a request nobody can decide any more is closed with the reason
                if ext["status"] == ExtensionStatus.PENDING:
                    ext.update(status=ExtensionStatus.REJECTED, decided_by_id=issuer.id, decided_at=at,
                               decision_note=reason)

    def _new_track(self, d, code, role, deadline, stop, parent=None, giver=None, note=None):
        row = {"_directive": d, "_parent": parent, "agency_id": self.people["agencies"][code].id,
               "assignee_id": None, "assigned_by_id": giver.id if giver else None, "note": note, "role": role,
               "status": AssignmentStatus.PENDING, "deadline": deadline, "first_seen_at": None,
               "first_seen_by_id": None,
               "acknowledged_at": None, "acknowledged_by_id": None, "progress": 0, "submitted_at": None,
               "approved_at": None, "approved_by_id": None, "completed_at": None, "completed_by_id": None,
               "updated_at": None}
        tr = _Track(row, deadline, stop)
        self.plan.tracks.append(tr)
        d["_tracks"].append(tr)
        return tr

    def _root(self, d, code, role, issuer, stop, t, stuck, follow=None):
        tr = self._new_track(d, code, role, d["deadline"], stop)
        tr.add(d["issued_at"], issuer, EventAction.ISSUE, AssignmentStatus.PENDING, role=role, deadline=d["deadline"])
        if follow is not None:
            when, new, data = follow
            tr.follow = (when, new, dict(data, actor=issuer))
        pace = PACE[code]
        at = self._take_in(tr, code, d["issued_at"], t, pace)
        if at is None:
            return tr.close() or tr
        ready = None
        if code in self.communes and role == "lead" and self.rng.random() < 0.5:
            ready = self._pass_down(tr, d, code, at, t)
        self._carry_out(tr, code, d["issued_at"], at, t, pace, issuer, stuck, extend=role == "lead", ready=ready)
        tr.close()
        return tr

    def _take_in(self, tr, code, issued, t, pace):
        """Seen (sometimes first on its own), then acknowledged; the acknowledgement time, None if not yet."""
        officer = self._officer(code)
        at = issued + timedelta(hours=self._hours(36, 3, t, pace))
        if self.rng.random() < 0.5:
            seen = issued + (at - issued) * self.rng.uniform(0.2, 0.9)
            if tr.add(seen, officer, EventAction.SEEN):
                tr.row.update(first_seen_at=seen, first_seen_by_id=officer.id)
        if not tr.add(at, officer, EventAction.ACKNOWLEDGE, AssignmentStatus.ACKNOWLEDGED):
            return None
        if tr.row["first_seen_at"] is None:
            tr.row.update(first_seen_at=at, first_seen_by_id=officer.id)
        tr.row.update(acknowledged_at=at, acknowledged_by_id=officer.id)
        return at

    def _pass_down(self, tr, d, code, at, t):
        """The district passes it to some of its communes, who finish before it does; the time they are done."""
        leader = self.people["leaders"][code]
        at += timedelta(hours=self.rng.uniform(2, 20))
        if at >= tr.stop:
            return None
        chosen = self.rng.sample(self.communes[code], self.rng.randint(1, min(3, len(self.communes[code]))))
        deadline = max(tr.deadline - timedelta(days=self.rng.randint(2, 5)), at + timedelta(days=3))
        deadline = min(deadline, tr.deadline)
        note = self.rng.choice(PASS_NOTES)
        children = []
        for c in chosen:
            child = self._new_track(d, c, tr.row["role"], deadline, tr.stop, parent=tr.row, giver=leader, note=note)
            child.add(at, leader, EventAction.ISSUE, AssignmentStatus.PENDING, note=note, role=tr.row["role"],
                      deadline=deadline, parent_id=tr.row)
            children.append(child)
        agency_ids = [self.people["agencies"][c].id for c in chosen]
        tr.add(at, leader, EventAction.PASS_ON, note=note, children=[c.row for c in children], agency_ids=agency_ids,
               user_ids=[], deadline=deadline)
        done = at
        for child, c in zip(children, chosen, strict=True):
            ack = self._take_in(child, c, at, t, COMMUNE_PACE)
            if ack is not None:
                self._carry_out(child, c, at, ack, t, COMMUNE_PACE * 0.7, leader, False, extend=False)
                done = max(done, child.row["completed_at"] or done)
            child.close()
        return done + timedelta(hours=self.rng.uniform(4, 40))

    def _carry_out(self, tr, code, issued, at, t, pace, giver, stuck, extend, ready=None):
        """From acknowledgement on: progress notes, perhaps an extension, the result, its acceptance (or, for a
        ``stuck`` one, notes past the deadline saying why it is late)."""
        rng = self.rng
        officer = self._officer(code)
        at = max(at, tr.row["updated_at"])  # after what it already did (passed it on, say)
        submit_at = max(issued + timedelta(hours=self._hours(30 * 24, 4.5 * 24, t, pace, spread=0.4)),
                        at + timedelta(hours=3), ready or at)
        steps = [(at + (submit_at - at) * f, "report", p) for f, p in ((0.35, rng.randint(25, 50)),
                                                                      (0.75, rng.randint(60, 85)))[:rng.randint(1, 2)]]
        if stuck:  # its notes stop at the deadline; the last says why it is late
            steps = [s for s in steps if s[0] < tr.deadline]
            steps.append((tr.deadline + timedelta(days=rng.uniform(1, 6)), "late", rng.randint(50, 80)))
        elif extend and submit_at > tr.deadline and rng.random() < 0.4:
            asked = max(at + timedelta(hours=1), tr.deadline - timedelta(days=rng.uniform(1, 3)))
            decided = asked + timedelta(hours=rng.uniform(4, 40))
            if decided < submit_at:
                steps += [(asked, "ask", self._deadline_after(submit_at, rng.randint(1, 4))), (decided, "grant", None)]
        for when, kind, value in sorted(steps, key=lambda s: s[0]):
            self._step(tr, officer, giver, when, kind, value)
        if not stuck:
            self._finish(tr, code, officer, giver, submit_at, t)

    def _step(self, tr, officer, giver, at, kind, value):
        if kind in ("report", "late"):
            note = self.rng.choice(OVERDUE_REASONS if kind == "late" else PROGRESS_NOTES)
            report = {"_track": tr.row, "author_id": officer.id, "progress": value, "note": note,
                      "is_submission": False, "client_id": None, "created_at": at}
            if tr.add(at, officer, EventAction.REPORT, AssignmentStatus.IN_PROGRESS, note=note, progress=value,
                      report_id=report):
                tr.reports.append(report)
                tr.row["progress"] = value
        elif kind == "ask":
            ext = {"_track": tr.row, "requested_by_id": officer.id, "created_at": at, "requested_deadline": value,
                   "old_deadline": tr.deadline, "reason": self.rng.choice(EXTENSION_REASONS),
                   "status": ExtensionStatus.PENDING, "decided_by_id": None, "decided_at": None,
                   "decision_note": None}
            if tr.add(at, officer, EventAction.EXTENSION_REQUEST, note=ext["reason"], extension_id=ext,
                      requested_deadline=value, old_deadline=tr.deadline):
                tr.extensions.append(ext)
        elif tr.extensions:  # grant the one asked
            ext = tr.extensions[-1]
            old, new = tr.deadline, ext["requested_deadline"]
            tr.deadline = new
            if not tr.add(at, giver, EventAction.EXTENSION_APPROVE, extension_id=ext, old_deadline=old,
                          new_deadline=new):
                tr.deadline = old
                return
            ext.update(status=ExtensionStatus.APPROVED, decided_by_id=giver.id, decided_at=at)
            ext["_follow"] = (at, new, {"extension_id": ext, "lead_assignment_id": tr.row, "old_deadline": old,
                                        "new_deadline": new})

    def _finish(self, tr, code, officer, giver, at, t):
        """The result submitted (approved first by the agency's leader where it has one), then accepted."""
        note = self.rng.choice(SUBMIT_NOTES)
        report = {"_track": tr.row, "author_id": officer.id, "progress": 100, "note": note, "is_submission": True,
                  "client_id": None, "created_at": at}
        leader = self.people["leaders"].get(code)
        if not tr.add(at, officer, EventAction.SUBMIT, AssignmentStatus.SUBMITTED, note=note, report_id=report,
                      awaiting_approval=leader is not None):
            return
        tr.reports.append(report)
        tr.row.update(submitted_at=at, progress=100, approved_at=None if leader else at, approved_by_id=None)
        if leader is not None:
            at += timedelta(hours=self.rng.uniform(1, 10))
            if not tr.add(at, leader, EventAction.APPROVE):
                return
            tr.row.update(approved_at=at, approved_by_id=leader.id)
        at += timedelta(hours=self._hours(60, 6, t, 1.0))
        if tr.add(at, giver, EventAction.ACCEPT, AssignmentStatus.COMPLETED):
            tr.row.update(completed_at=at, completed_by_id=giver.id)


def seed_history(people, now):
    """About a year of past directives (ending NEWEST_DAYS ago), each with its whole history, in bulk."""
    gc_was_on = gc.isenabled()
    gc.disable()  # thousands of small dicts that refer to each other: the collector would run over them often
    try:
        _seed(people, now)
    finally:
        if gc_was_on:
            gc.enable()


def _seed(people, now):
    year = _Year(people, now)
    newest = now - timedelta(days=NEWEST_DAYS)
    start = newest - timedelta(days=365)
    span = newest - start
    for m in range(MONTHS):
        first, last = start + span * m / MONTHS, start + span * (m + 1) / MONTHS
        for issued in sorted(year._issue_time(first, last) for _n in range(year.rng.randint(25, 40))):
            t = min(1.0, (issued - start) / span)
            stuck = t > 0.85 and year.rng.random() < 0.1
            year.directive(issued, t, stuck, cancelled=not stuck and year.rng.random() < 0.03)
    _write(year.plan)


# -- writing it -----------------------------------------------------------------------------------------------

def _id(value):
    """A value of an event's data with the rows it refers to (dicts until written) replaced by their ids."""
    if isinstance(value, dict):
        return value["_id"]
    if isinstance(value, list):
        return [_id(v) for v in value]
    return value


def _public(row):
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _insert(model, rows):
    """Insert ``rows`` (dicts with private ``_`` keys), each getting its new id as ``_id``."""
    if not rows:
        return
    statement = insert(model.__table__).returning(model.__table__.c.id, sort_by_parameter_order=True)
    ids = db.session.execute(statement, [_public(r) for r in rows]).scalars().all()
    for row, new_id in zip(rows, ids, strict=True):
        row["_id"] = new_id


def _number(directives):
    """The year's next numbers after the last one taken, in order of issue (as services.issue_directive)."""
    suffix = current_app.config.get("DIRECTIVE_NUMBER_SUFFIX", "UBND-TH")
    last = dict(db.session.execute(select(Directive.year, func.max(Directive.seq)).group_by(Directive.year)).all())
    for d in sorted(directives, key=lambda d: d["issued_at"]):
        year = d["issued_at"].astimezone(display_zone()).year
        last[year] = last.get(year, 0) + 1
        d.update(year=year, seq=last[year], number=f"{last[year]}/{suffix}")


def _write(plan):
    _number(plan.directives)
    _insert(Directive, plan.directives)
    for tr in plan.tracks:
        tr.row["directive_id"] = tr.row["_directive"]["_id"]
    roots = [tr.row for tr in plan.tracks if tr.row["_parent"] is None]
    _insert(Assignment, roots)
    children = [tr.row for tr in plan.tracks if tr.row["_parent"] is not None]
    for row in children:
        row["parent_id"] = row["_parent"]["_id"]
    _insert(Assignment, children)
    reports = [r for tr in plan.tracks for r in tr.reports]
    extensions = [e for tr in plan.tracks for e in tr.extensions]
    for row in reports + extensions:
        row["assignment_id"] = row["_track"]["_id"]
    _insert(ProgressReport, reports)
    _insert(ExtensionRequest, extensions)
    events = [dict(e, assignment_id=tr.row["_id"], data={k: _id(v) for k, v in e["data"].items()})
              for tr in plan.tracks for e in tr.events]
    db.session.execute(insert(AssignmentEvent.__table__), events)
    _index(plan.directives, reports)


def _index(directives, reports):
    """Search index rows for the directives and reports written (the session hooks see only the ORM's)."""
    from search import indexing

    objs = [(Directive, SimpleNamespace(id=d["_id"], **_public(d))) for d in directives]
    objs += [(ProgressReport, SimpleNamespace(id=r["_id"], note=r["note"], created_at=r["created_at"],
                                              assignment=SimpleNamespace(directive_id=r["_track"]["directive_id"])))
             for r in reports]
    rows = [indexing._row(indexing.BUILDERS[model], obj) for model, obj in objs]
    db.session.execute(indexing.insert_statement(db.engine.dialect.name), rows)

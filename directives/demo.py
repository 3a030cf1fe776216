"""Demo directives for the demo province, in every state, so the inbox and the dashboard are not empty.

Everything goes through the services with a controlled clock (``now=``), so numbers, history,
notifications and audit rows are exactly what real use would leave behind.
"""
from datetime import timedelta

from core.dbtypes import utcnow
from core.extensions import db
from directives import cascade, extensions, services
from directives.demo_history import seed_history
from notifications.models import Notification


def _at(base, days=0, hours=0):
    return base + timedelta(days=days, hours=hours)


def seed(people):
    now = utcnow().replace(second=0, microsecond=0)
    ag = people["agencies"]
    chairman, vice = people["chairman"], people["vice_chairman"]

    issued_directives = []

    def officer(code, n=1):
        return people["officers"][code][n - 1]

    def leader(code):
        return people["leaders"][code]

    def issue(leader, issued_days_ago, deadline_days, title, body, lead, support=(), priority="normal", hours_ago=0):
        issued = now - timedelta(days=issued_days_ago, hours=hours_ago)
        d = services.issue_directive(leader, {
            "title": title, "body": body, "priority": priority,
            "deadline": (now + timedelta(days=deadline_days)).replace(hour=10, minute=0).isoformat(),
            "lead_agency_id": ag[lead].id, "support_agency_ids": [ag[c].id for c in support],
        }, now=issued)
        issued_directives.append(d)
        return d, {a.agency.code: a for a in d.assignments}, issued

    # 1. Overdue at the lead agency; the supporting one finished on time.
    d, a, t = issue(chairman, 20, -4, "Tăng cường phòng, chống dịch sốt xuất huyết trên địa bàn tỉnh",
                    "Giao **Sở Y tế** chủ trì, phối hợp với UBND thành phố Thanh Tâm:\n\n"
                    "1. Tổ chức phun hóa chất diệt muỗi tại các ổ dịch;\n"
                    "2. Tuyên truyền người dân diệt lăng quăng, bọ gậy;\n"
                    "3. Báo cáo kết quả về UBND tỉnh (qua Văn phòng UBND tỉnh).",
                    "SYT", ["TPTT"], priority="urgent")
    services.mark_seen(officer("SYT"), a["SYT"], now=_at(t, hours=1))
    services.acknowledge(officer("SYT"), a["SYT"], now=_at(t, hours=1))
    services.report_progress(officer("SYT"), a["SYT"], {"progress": 40, "note": "Đã phun hóa chất tại 12/20 ổ dịch."},
                             now=_at(t, days=6))
    services.report_progress(officer("SYT", 2), a["SYT"],
                             {"progress": 70,
                              "note": "Hoàn thành phun tại 16/20 ổ dịch; còn 4 ổ dịch ở huyện Đông Sơn."},
                             now=_at(t, days=12))
    services.acknowledge(officer("TPTT"), a["TPTT"], now=_at(t, hours=3))
    services.submit(officer("TPTT"), a["TPTT"], {"note": "Đã tổ chức 3 đợt ra quân vệ sinh môi trường."},
                    now=_at(t, days=10))
    cascade.approve(leader("TPTT"), a["TPTT"], now=_at(t, days=10, hours=2))  # the city's chairman clears it
    services.accept(chairman, a["TPTT"], now=_at(t, days=11))

    # 2. On track, in progress.
    d, a, t = issue(vice, 15, 12, "Chuẩn bị các điều kiện tổ chức kỳ thi tuyển sinh lớp 10 năm học 2027-2028",
                    "Sở Giáo dục và Đào tạo xây dựng phương án tổ chức kỳ thi bảo đảm an toàn, nghiêm túc, "
                    "đúng quy chế.",
                    "SGDDT", ["SYT"])
    services.acknowledge(officer("SGDDT"), a["SGDDT"], now=_at(t, hours=2))
    services.report_progress(officer("SGDDT"), a["SGDDT"],
                             {"progress": 35, "note": "Đã dự thảo kế hoạch, đang lấy ý kiến các đơn vị."},
                             now=_at(t, days=7))
    services.acknowledge(officer("SYT"), a["SYT"], now=_at(t, days=1))

    # 3. Due soon; the supporting district has not acknowledged yet.
    d, a, t = issue(chairman, 10, 2, "Rà soát, xử lý các điểm sạt lở đất trước mùa mưa bão",
                    "Khẩn trương kiểm tra hiện trạng, cắm biển cảnh báo, di dời hộ dân ở khu vực nguy hiểm.",
                    "STNMT", ["HDS"], priority="high")
    services.acknowledge(officer("STNMT"), a["STNMT"], now=_at(t, hours=5))
    services.report_progress(officer("STNMT"), a["STNMT"], {"progress": 60, "note": "Đã khảo sát 9/15 điểm sạt lở."},
                             now=_at(t, days=6))

    # 4. Completed on time.
    d, a, t = issue(vice, 30, -10, "Tổng hợp tình hình giải ngân vốn đầu tư công 9 tháng đầu năm",
                    "Báo cáo chi tiết theo từng dự án, nêu rõ nguyên nhân chậm giải ngân và đề xuất giải pháp.",
                    "SKHDT", ["STC"])
    for code in ("SKHDT", "STC"):
        services.acknowledge(officer(code), a[code], now=_at(t, hours=1))
        services.submit(officer(code), a[code], {"note": "Đã gửi báo cáo kèm phụ lục số liệu."}, now=_at(t, days=17))
        services.accept(vice, a[code], now=_at(t, days=18))

    # 5. Completed late, after a return.
    d, a, t = issue(chairman, 25, -8, "Kiểm tra an toàn giao thông tại các tuyến quốc lộ qua địa bàn tỉnh",
                    "Tập trung kiểm tra các điểm đen tai nạn giao thông, đề xuất biện pháp khắc phục.", "SGTVT")
    services.acknowledge(officer("SGTVT"), a["SGTVT"], now=_at(t, days=1))
    services.submit(officer("SGTVT"), a["SGTVT"], {"note": "Đã kiểm tra 8 điểm đen."}, now=_at(t, days=14))
    cascade.approve(leader("SGTVT"), a["SGTVT"], now=_at(t, days=14, hours=3))  # the director clears it
    services.return_assignment(chairman, a["SGTVT"], {"reason": "Đề nghị bổ sung kinh phí dự kiến cho từng điểm."},
                               now=_at(t, days=15))
    services.submit(officer("SGTVT"), a["SGTVT"], {"note": "Đã bổ sung dự toán kinh phí."}, now=_at(t, days=19))
    cascade.approve(leader("SGTVT"), a["SGTVT"], now=_at(t, days=19, hours=2))
    services.accept(chairman, a["SGTVT"], now=_at(t, days=20))

    # 6. Just issued, urgent: every agency still has to acknowledge it.
    issue(chairman, 0, 14, "Triển khai chiến dịch tiêm chủng vắc xin sởi cho trẻ em",
          "Bảo đảm tỷ lệ tiêm chủng đạt trên 95% trong tháng; báo cáo tiến độ hằng tuần.",
          "SYT", ["HDS", "TPTT"], priority="urgent", hours_ago=2)

    # 7. An extension waits for the leader's decision.
    d, a, t = issue(vice, 7, 1, "Hoàn thiện đề án sắp xếp đơn vị hành chính cấp xã giai đoạn 2026-2030",
                    "Sở Nội vụ chủ trì, lấy ý kiến các huyện, thị xã, thành phố.", "SNV", ["HTH", "TXBL"])
    services.acknowledge(officer("SNV"), a["SNV"], now=_at(t, hours=4))
    services.report_progress(officer("SNV"), a["SNV"], {"progress": 50, "note": "Đã nhận ý kiến của 2/4 địa phương."},
                             now=_at(t, days=4))
    extensions.request_extension(officer("SNV"), a["SNV"], {
        "deadline": (now + timedelta(days=10)).replace(hour=10, minute=0).isoformat(),
        "reason": "Chờ ý kiến góp ý của UBND huyện Tây Hòa và thị xã Bắc Lâm."}, now=_at(t, days=5))
    services.acknowledge(officer("HTH"), a["HTH"], now=_at(t, days=2))

    # 8. Submitted, waiting for acceptance.
    d, a, t = issue(chairman, 12, 5, "Đẩy mạnh chuyển đổi số trong tiếp nhận, giải quyết thủ tục hành chính",
                    "Nâng tỷ lệ hồ sơ trực tuyến toàn trình; công khai kết quả giải quyết.", "STTTT", ["VPUB"])
    services.acknowledge(officer("STTTT"), a["STTTT"], now=_at(t, hours=1))
    services.submit(officer("STTTT"), a["STTTT"], {"note": "Tỷ lệ hồ sơ trực tuyến đạt 68%, đã gửi báo cáo chi tiết."},
                    now=_at(t, days=9))
    services.acknowledge(people["secretary"], a["VPUB"], now=_at(t, hours=2))

    # 9. Cancelled.
    d, a, t = issue(vice, 9, 20, "Tổ chức hội nghị xúc tiến đầu tư năm 2026",
                    "Chuẩn bị nội dung, khách mời và địa điểm tổ chức hội nghị.", "SKHDT")
    services.cancel_directive(vice, d, {"reason": "Lồng ghép vào Hội nghị xúc tiến đầu tư vùng."}, now=_at(t, days=1))

    issued_directives += seed_cascade(people, now, officer, leader)

    # The services stamp notifications with the real clock; date each one by its directive's issue
    # time so the bell and the notifications page read like the history they describe.
    db.session.flush()
    for d in issued_directives:
        path = services.directive_path(d.id)
        db.session.execute(
            db.update(Notification)
            .where(db.or_(Notification.link == path, Notification.link.like(path + "#%"),
                          Notification.link.like(path + "?%")))
            .values(created_at=d.issued_at)
            .execution_options(synchronize_session=False))

    seed_history(people, now)  # a year of past directives, for the execution report's trend


def _deadline(now, days):
    return (now + timedelta(days=days)).replace(hour=10, minute=0)


def seed_cascade(people, now, officer, leader):
    """Two directives passed down three levels (province → district → commune → an officer of the commune,
    personally), between them in every state: pending, acknowledged, in progress, submitted and waiting
    for the commune chairman's approval, submitted and waiting for whoever passed it on, completed on
    time and late, overdue, an extension asked. Returns the directives."""
    ag, chairman, vice = people["agencies"], people["chairman"], people["vice_chairman"]

    def give(actor, assignment, when, deadline_days, agencies=(), officers=(), note=""):
        children = cascade.pass_on(actor, assignment, {
            "agency_ids": [ag[c].id for c in agencies], "user_ids": [u.id for u in officers],
            "deadline": _deadline(now, deadline_days).isoformat(), "note": note}, now=when)
        return {c.assignee.username if c.assignee_id else c.agency.code: c for c in children}

    # A. In force: Đông Sơn passed it to its four communes, Thanh Tâm to two of its wards.
    t = now - timedelta(days=21)
    d = services.issue_directive(chairman, {
        "title": "Rà soát, hỗ trợ sửa chữa nhà ở cho hộ nghèo trước mùa mưa bão",
        "body": "UBND huyện Đông Sơn chủ trì, UBND thành phố Thanh Tâm phối hợp:\n\n"
                "1. Rà soát hiện trạng nhà ở của hộ nghèo, hộ cận nghèo, gia đình chính sách;\n"
                "2. Lập danh sách nhà cần sửa chữa, gia cố, kèm dự toán;\n"
                "3. Huy động nguồn lực xã hội hóa, hoàn thành trước mùa mưa bão.",
        "priority": "high", "deadline": _deadline(now, 9).isoformat(),
        "lead_agency_id": ag["HDS"].id, "support_agency_ids": [ag["TPTT"].id]}, now=t)
    root = {a.agency.code: a for a in d.assignments}
    communes = give(leader("HDS"), root["HDS"], t + timedelta(days=1), 6, ("XDH", "TTDS", "XDTI"),
                    note="Các xã, thị trấn rà soát từng thôn, tổ dân phố; báo cáo về UBND huyện.")
    communes |= give(leader("HDS"), root["HDS"], t + timedelta(days=1, hours=1), 2, ("XDT",),
                     note="Xã Đông Thịnh có nhiều hộ ven sông: báo cáo sớm.")
    services.report_progress(officer("HDS"), root["HDS"], {
        "progress": 40, "note": "Đã nhận báo cáo của xã Đông Hưng; đang chờ các xã còn lại."},
        now=now - timedelta(days=3))
    # Đông Hưng: its chairman gave the survey to an officer, who finished on time; the commune's result
    # waits for the chairman's approval.
    xdh = communes["XDH"]
    mine = give(leader("XDH"), xdh, t + timedelta(days=2), -3, officers=(officer("XDH"),),
                note="Đồng chí Lộc trực tiếp khảo sát thôn 1 đến thôn 5.")
    share = mine[officer("XDH").username]
    services.acknowledge(officer("XDH"), share, now=t + timedelta(days=2, hours=2))
    services.report_progress(officer("XDH"), share, {"progress": 70, "note": "Đã khảo sát 4/5 thôn."},
                             now=t + timedelta(days=8))
    services.submit(officer("XDH"), share, {"note": "Đã khảo sát đủ 5 thôn: 23 nhà cần sửa chữa."},
                    now=now - timedelta(days=5))
    services.accept(leader("XDH"), share, now=now - timedelta(days=4))
    services.submit(officer("XDH", 2), xdh, {"note": "Danh sách 23 hộ kèm dự toán 690 triệu đồng."},
                    now=now - timedelta(days=2))
    # Đông Thịnh: the commune gave it to one officer personally; she is past her deadline.
    xdt = communes["XDT"]
    mine = give(officer("XDT"), xdt, t + timedelta(days=2), -2, officers=(officer("XDT", 2),),
                note="Rà soát các hộ ven sông Đông Thịnh.")
    share = mine[officer("XDT", 2).username]
    services.acknowledge(officer("XDT", 2), share, now=t + timedelta(days=3))
    services.report_progress(officer("XDT", 2), share, {"progress": 30, "note": "Đã rà soát 12/40 hộ."},
                             now=now - timedelta(days=6))
    services.report_progress(officer("XDT"), xdt, {"progress": 30, "note": "Đang chờ kết quả rà soát ven sông."},
                             now=now - timedelta(days=5))
    # Thị trấn Đông Sơn has not acknowledged; Đông Tiến acknowledged and asks for more time.
    services.acknowledge(officer("XDTI"), communes["XDTI"], now=t + timedelta(days=3))
    extensions.request_extension(officer("XDTI"), communes["XDTI"], {
        "deadline": _deadline(now, 9).isoformat(),
        "reason": "Hai thôn vùng cao chưa tiếp cận được do đường sạt lở."}, now=now - timedelta(days=1))
    # Thanh Tâm: Tân An's result waits for the city; Hòa Thuận finished after its deadline.
    services.acknowledge(officer("TPTT"), root["TPTT"], now=t + timedelta(hours=5))
    wards = give(leader("TPTT"), root["TPTT"], t + timedelta(days=1), 5, ("PTA",))
    wards |= give(leader("TPTT"), root["TPTT"], t + timedelta(days=1), -4, ("PHT",))
    services.acknowledge(officer("PTA"), wards["PTA"], now=t + timedelta(days=2))
    services.report_progress(officer("PTA"), wards["PTA"], {"progress": 60, "note": "Đã rà soát 3/5 tổ dân phố."},
                             now=now - timedelta(days=8))
    services.submit(officer("PTA"), wards["PTA"], {"note": "Phường có 6 hộ cần hỗ trợ, đã lập hồ sơ."},
                    now=now - timedelta(days=1))
    services.acknowledge(officer("PHT"), wards["PHT"], now=t + timedelta(days=4))
    services.submit(officer("PHT"), wards["PHT"], {"note": "Phường có 4 hộ cần hỗ trợ."}, now=now - timedelta(days=2))
    services.accept(leader("TPTT"), wards["PHT"], now=now - timedelta(days=1))
    services.report_progress(officer("TPTT"), root["TPTT"], {"progress": 50, "note": "Đã tổng hợp phường Hòa Thuận."},
                             now=now - timedelta(hours=20))

    # B. Done all the way up: Tây Hòa passed it to a town and a commune, the town to one officer.
    t = now - timedelta(days=40)
    done = services.issue_directive(vice, {
        "title": "Tổng điều tra, cập nhật hộ nghèo, hộ cận nghèo năm 2026 trên địa bàn huyện Tây Hòa",
        "body": "Rà soát theo chuẩn nghèo đa chiều giai đoạn 2026-2030; công khai danh sách tại nhà văn hóa thôn.",
        "deadline": _deadline(now, -6).isoformat(), "lead_agency_id": ag["HTH"].id}, now=t)
    hth = done.assignments[0]
    below = give(leader("HTH"), hth, t + timedelta(days=1), -8, ("TTTH", "XTP"))
    mine = give(officer("TTTH"), below["TTTH"], t + timedelta(days=2), -10, officers=(officer("TTTH", 2),))
    share = mine[officer("TTTH", 2).username]
    services.acknowledge(officer("TTTH", 2), share, now=t + timedelta(days=2, hours=3))
    services.submit(officer("TTTH", 2), share, {"note": "Đã điều tra 312 hộ ở 6 khu phố."},
                    now=now - timedelta(days=12))
    services.accept(officer("TTTH"), share, now=now - timedelta(days=11))
    services.submit(officer("TTTH"), below["TTTH"], {"note": "Thị trấn có 41 hộ nghèo, 57 hộ cận nghèo."},
                    now=now - timedelta(days=10))
    services.accept(leader("HTH"), below["TTTH"], now=now - timedelta(days=9))
    services.acknowledge(officer("XTP"), below["XTP"], now=t + timedelta(days=5))
    services.submit(officer("XTP"), below["XTP"], {"note": "Xã có 63 hộ nghèo; nộp chậm do thiếu điều tra viên."},
                    now=now - timedelta(days=7, hours=20))
    services.accept(leader("HTH"), below["XTP"], now=now - timedelta(days=7))
    services.submit(officer("HTH"), hth, {"note": "Toàn huyện: 104 hộ nghèo, 131 hộ cận nghèo."},
                    now=now - timedelta(days=7, hours=3))
    cascade.approve(leader("HTH"), hth, now=now - timedelta(days=7, hours=1))
    services.accept(vice, hth, now=now - timedelta(days=6, hours=2))
    return [d, done]

"""Demo directives for the demo province, in every state, so the inbox and the dashboard are not empty.

Everything goes through the services with a controlled clock (``now=``), so numbers, history,
notifications and audit rows are exactly what real use would leave behind.
"""
from datetime import timedelta

from core.dbtypes import utcnow
from core.extensions import db
from directives import extensions, services
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
    services.return_assignment(chairman, a["SGTVT"], {"reason": "Đề nghị bổ sung kinh phí dự kiến cho từng điểm."},
                               now=_at(t, days=15))
    services.submit(officer("SGTVT"), a["SGTVT"], {"note": "Đã bổ sung dự toán kinh phí."}, now=_at(t, days=19))
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

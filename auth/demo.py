"""The demo province's people: agencies (departments, districts and their communes), a chairman and
vice-chairman, the district chairmen, some commune chairmen and department directors, officers, a
secretary, an admin."""
from auth import services
from auth.models import Agency, User
from core.demo import AlreadySeeded
from core.extensions import db

PASSWORD = "demo1234"

AGENCIES = [
    # code, name, kind, parent code
    ("VPUB", "Văn phòng UBND tỉnh", "provincial_office", None),
    ("SNV", "Sở Nội vụ", "department", None),
    ("STC", "Sở Tài chính", "department", None),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "department", None),
    ("SYT", "Sở Y tế", "department", None),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "department", None),
    ("STNMT", "Sở Tài nguyên và Môi trường", "department", None),
    ("SGTVT", "Sở Giao thông vận tải", "department", None),
    ("STTTT", "Sở Thông tin và Truyền thông", "department", None),
    ("TPTT", "UBND thành phố Thanh Tâm", "district", None),
    ("HDS", "UBND huyện Đông Sơn", "district", None),
    ("HTH", "UBND huyện Tây Hòa", "district", None),
    ("TXBL", "UBND thị xã Bắc Lâm", "district", None),
    ("XDH", "UBND xã Đông Hưng", "commune", "HDS"),
    ("XDT", "UBND xã Đông Thịnh", "commune", "HDS"),
    # the rest of the communes (xã, phường, thị trấn); their officers are named from COMMUNE_OFFICER_NAMES
    ("TTDS", "UBND thị trấn Đông Sơn", "commune", "HDS"),
    ("XDTI", "UBND xã Đông Tiến", "commune", "HDS"),
    ("PTA", "UBND phường Tân An", "commune", "TPTT"),
    ("PHT", "UBND phường Hòa Thuận", "commune", "TPTT"),
    ("PMK", "UBND phường Minh Khai", "commune", "TPTT"),
    ("TTTH", "UBND thị trấn Tây Hòa", "commune", "HTH"),
    ("XTP", "UBND xã Tây Phú", "commune", "HTH"),
    ("XTL", "UBND xã Tây Lộc", "commune", "HTH"),
    ("PBS", "UBND phường Bắc Sơn", "commune", "TXBL"),
    ("XBP", "UBND xã Bắc Phong", "commune", "TXBL"),
]

#: the agencies' own leaders: username, name, agency code, title. A district chairman directs the
#: district's communes; a commune chairman and a department director approve their officers' results
#: before they go up (Agency.approval_required). Sở Y tế, Sở Giáo dục và Đào tạo and the others keep no
#: director, so an officer's result there goes straight to the province.
AGENCY_LEADERS = [
    ("tpttct", "Phạm Quốc Thái", "TPTT", "Chủ tịch UBND thành phố Thanh Tâm"),
    ("hdsct", "Lê Văn Thành", "HDS", "Chủ tịch UBND huyện Đông Sơn"),
    ("hthct", "Nguyễn Thị Bích", "HTH", "Chủ tịch UBND huyện Tây Hòa"),
    ("txblct", "Hoàng Minh Đức", "TXBL", "Chủ tịch UBND thị xã Bắc Lâm"),
    ("xdhct", "Trần Văn Lợi", "XDH", "Chủ tịch UBND xã Đông Hưng"),
    ("xdtict", "Vũ Đình Khoa", "XDTI", "Chủ tịch UBND xã Đông Tiến"),
    ("pmkct", "Đoàn Thị Thanh", "PMK", "Chủ tịch UBND phường Minh Khai"),
    ("sgtvtgd", "Nông Văn Quyết", "SGTVT", "Giám đốc Sở Giao thông vận tải"),
    ("stnmtgd", "Lưu Thị Hồng", "STNMT", "Giám đốc Sở Tài nguyên và Môi trường"),
]

OFFICER_NAMES = [
    "Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Minh Tuấn", "Phạm Thị Hoa", "Hoàng Văn Nam", "Vũ Thị Mai",
    "Đặng Quốc Bảo", "Bùi Thị Ngọc", "Đỗ Văn Long", "Hồ Thị Thu", "Ngô Đức Anh", "Dương Thị Yến",
    "Lý Văn Phúc", "Trịnh Thị Hằng", "Phan Văn Đức", "Mai Thị Hạnh", "Tạ Quang Vinh", "Lương Thị Thảo",
    "Cao Văn Sơn", "Đinh Thị Nhung", "Kiều Văn Tâm", "Chu Thị Liên", "Quách Văn Khải", "Tôn Thị Quyên",
    "La Văn Thắng", "Mạc Thị Loan", "Triệu Văn Lộc", "Âu Thị Diệp", "Khúc Văn Hải", "Hà Thị Phương",
]

#: officers of the communes added with the cascade, two per commune in AGENCIES order (TTDS1, TTDS2, XDTI1...)
COMMUNE_OFFICER_NAMES = [
    "Nguyễn Văn Toàn", "Lê Thị Kim Oanh", "Phạm Văn Hiếu", "Trần Thị Thu Hà", "Võ Minh Quân", "Đặng Thị Hồng Nhung",
    "Bùi Văn Tiến", "Huỳnh Thị Mỹ Linh", "Trương Công Danh", "Lê Thị Tuyết", "Nguyễn Hữu Nghĩa", "Phan Thị Diễm",
    "Đỗ Thanh Tùng", "Vương Thị Xuân", "Lâm Văn Hậu", "Hà Thị Ánh", "Tống Văn Sáng", "Nguyễn Thị Kiều Trang",
    "Trần Quốc Huy", "Lê Thị Bảo Ngọc",
]


def has_users():
    return db.session.scalar(db.select(db.func.count(User.id))) > 0


def seed(people):
    """Fill ``people`` with the agencies by code, the admin, the leaders, the secretary and officers."""
    if db.session.scalar(db.select(Agency.id).where(Agency.code == "VPUB")):
        raise AlreadySeeded("The demo province is already there (agency VPUB exists).")
    by_code = {}
    for code, name, kind, parent in AGENCIES:
        agency = Agency(code=code, name=name, kind=kind, parent=by_code.get(parent))
        db.session.add(agency)
        by_code[code] = agency
    db.session.flush()

    people.update(agencies=by_code, officers={})

    def add(username, full_name, role, agency, title):
        user = User(
            username=username, full_name=full_name, role=role, agency=agency, title=title,
            email=f"{username}@demo.gov.vn", locale="vi", password_hash=services.hash_password(PASSWORD),
        )
        db.session.add(user)
        return user

    office = by_code["VPUB"]
    people["admin"] = add("admin", "Quản trị hệ thống", "admin", office, "Quản trị viên")
    people["chairman"] = add("chutich", "Nguyễn Văn Minh", "leader", office, "Chủ tịch UBND tỉnh")
    people["vice_chairman"] = add("phochutich", "Trần Thị Hương", "leader", office, "Phó Chủ tịch UBND tỉnh")
    people["secretary"] = add("thuky", "Lê Thu Trang", "officer", office, "Chuyên viên Văn phòng UBND tỉnh")
    names = iter(OFFICER_NAMES + COMMUNE_OFFICER_NAMES)  # syt1 stays Đỗ Văn Long, hds1 Kiều Văn Tâm...
    for code, agency in by_code.items():
        people["officers"][code] = [
            add(f"{code.lower()}{n}", next(names), "officer", agency, "Chuyên viên" if n == 1 else "Văn thư")
            for n in (1, 2)
        ]
        people["officers"][code][0].meeting_contact = True  # the agency's meeting invitations reach its expert
    people["leaders"] = {code: add(username, full_name, "leader", by_code[code], title)
                         for username, full_name, code, title in AGENCY_LEADERS}
    db.session.flush()


def print_logins(echo, only_if_demo=False):
    if only_if_demo and not db.session.scalar(db.select(User.id).where(User.username == "chutich")):
        return
    echo("")
    echo(f"Demo logins (password for all: {PASSWORD})")
    echo("  admin       administrator")
    echo("  chutich     leader: Nguyễn Văn Minh, Chủ tịch UBND tỉnh")
    echo("  phochutich  leader: Trần Thị Hương, Phó Chủ tịch UBND tỉnh")
    echo("  thuky       secretary: Lê Thu Trang, Văn phòng UBND tỉnh")
    echo("  syt1, syt2  officers of Sở Y tế (likewise snv1, stc1, sgddt1, hds1, ...: <agency code><1|2>)")
    echo("  hdsct       leader: Lê Văn Thành, Chủ tịch UBND huyện Đông Sơn (directs its communes;")
    echo("              likewise tpttct, hthct, txblct: <district code>ct)")
    echo("  xdhct       leader: Trần Văn Lợi, Chủ tịch UBND xã Đông Hưng (approves the commune's results)")
    echo("  xdt2        officer: Hà Thị Phương, UBND xã Đông Thịnh (a share passed to her personally, overdue)")
    echo("  xdh1, pta1  commune officers (every commune: <commune code><1|2>, e.g. ttds1, xtp2, pbs1)")
    echo("  sgtvtgd     leader: Giám đốc Sở Giao thông vận tải (likewise stnmtgd)")
    echo("")

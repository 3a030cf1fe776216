"""The demo province's people: agencies, a chairman and vice-chairman, officers, a secretary, an admin."""
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
]

OFFICER_NAMES = [
    "Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Minh Tuấn", "Phạm Thị Hoa", "Hoàng Văn Nam", "Vũ Thị Mai",
    "Đặng Quốc Bảo", "Bùi Thị Ngọc", "Đỗ Văn Long", "Hồ Thị Thu", "Ngô Đức Anh", "Dương Thị Yến",
    "Lý Văn Phúc", "Trịnh Thị Hằng", "Phan Văn Đức", "Mai Thị Hạnh", "Tạ Quang Vinh", "Lương Thị Thảo",
    "Cao Văn Sơn", "Đinh Thị Nhung", "Kiều Văn Tâm", "Chu Thị Liên", "Quách Văn Khải", "Tôn Thị Quyên",
    "La Văn Thắng", "Mạc Thị Loan", "Triệu Văn Lộc", "Âu Thị Diệp", "Khúc Văn Hải", "Hà Thị Phương",
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
    names = iter(OFFICER_NAMES * 2)
    for code, agency in by_code.items():
        people["officers"][code] = [
            add(f"{code.lower()}{n}", next(names), "officer", agency, "Chuyên viên" if n == 1 else "Văn thư")
            for n in (1, 2)
        ]
        people["officers"][code][0].meeting_contact = True  # the agency's meeting invitations reach its expert
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
    echo("")

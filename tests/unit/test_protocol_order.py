"""People and agencies listed in protocol order with Vietnamese collation."""
from auth.protocol import agency_key, person_key


def test_people_in_protocol_order(app, factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    district = factory.agency(code="HDS", name="UBND huyện Đông Sơn", kind="district")
    health = factory.agency(code="SYT", name="Sở Y tế", kind="department")
    construction = factory.agency(code="SXD", name="Sở Xây dựng", kind="department")
    people = [
        factory.user("officer", district, full_name="Âu Văn Cơ"),
        factory.user("officer", health, full_name="Trần Văn Tú"),
        factory.user("officer", health, full_name="Đặng Thị Hoa"),
        factory.user("officer", construction, full_name="Bùi Lan"),
        factory.user("officer", office, full_name="Lê Minh"),
        factory.user("leader", office, full_name="Võ Phó"),
        factory.user("leader", office, full_name="Nguyễn Chủ"),
    ]
    people[-2].title = "Phó Chủ tịch UBND tỉnh"
    people[-1].title = "Chủ tịch UBND tỉnh"
    ordered = [u.full_name for u in sorted(people, key=person_key)]
    assert ordered == ["Nguyễn Chủ", "Võ Phó", "Lê Minh", "Bùi Lan", "Đặng Thị Hoa", "Trần Văn Tú", "Âu Văn Cơ"]
    assert sorted([district, health, office], key=agency_key) == [office, health, district]


def test_invitation_list_and_biên_bản_use_protocol_order(app, factory):
    from meetings import queries, services
    from meetings.attendance import present_and_absent

    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    district = factory.agency(code="HDS", name="UBND huyện Đông Sơn", kind="district")
    health = factory.agency(code="SYT", name="Sở Y tế", kind="department")
    chair = factory.user("leader", office, full_name="Trịnh Chủ Trì")
    names = ["Trần Văn Tú", "Đặng Thị Hoa", "Âu Văn Cơ"]
    members = [factory.user("officer", health, full_name=n) for n in names]
    member_district = factory.user("officer", district, full_name="An Bình")
    meeting = services.create_meeting(chair, {"title": "Họp", "starts_at": "2026-12-01T08:00",
                                              "participant_ids": [u.id for u in members + [member_district]]})
    expected = ["Trịnh Chủ Trì", "Âu Văn Cơ", "Đặng Thị Hoa", "Trần Văn Tú", "An Bình"]
    assert [p.user.full_name for p in queries.participants_of(meeting)] == expected
    _present, absent = present_and_absent(meeting)
    assert [u.full_name for u, _role in absent] == expected


def test_tracking_board_lists_agencies_in_protocol_order(app, factory):
    from directives import queries

    names = [("Sở Y tế", "department"), ("UBND huyện Đông Sơn", "district"), ("Sở Xây dựng", "department"),
             ("Văn phòng UBND tỉnh", "provincial_office"), ("Sở Giáo dục và Đào tạo", "department")]
    for n, (name, kind) in enumerate(names):
        factory.agency(code=f"A{n}", name=name, kind=kind)
    got = [row["agency_name"] for row in queries.agency_stats(include_empty=True)]
    assert got[:5] == ["Văn phòng UBND tỉnh", "Sở Giáo dục và Đào tạo", "Sở Xây dựng", "Sở Y tế",
                       "UBND huyện Đông Sơn"]


def test_the_home_page_says_each_part_of_who_you_are_once(app, client, factory):
    from tests.conftest import login

    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    officer = factory.user("officer", health, full_name="Phạm Thị Hoa")
    officer.title = "Chuyên viên"
    chairman = factory.user("leader", office, full_name="Nguyễn Văn Minh")
    chairman.title = "Chủ tịch UBND tỉnh"
    secretary = factory.user("officer", office, full_name="Lê Thu Trang")
    secretary.title = "Chuyên viên Văn phòng UBND tỉnh"
    from core.extensions import db

    db.session.commit()
    expected = {officer: "Sở Y tế", chairman: "Chủ tịch UBND tỉnh", secretary: "Chuyên viên Văn phòng UBND tỉnh"}
    for user, line in expected.items():
        other = app.test_client()
        login(other, user)
        html = other.get("/").get_data(as_text=True)
        head = html[html.index("<h1"):html.index('id="today"')]
        text = " ".join(head.split("</span>", 1)[1].split("<", 1)[0].split())
        assert text == line, (user.full_name, text)
        assert "Chuyên viên Chuyên viên" not in html


def test_admin_lists_and_the_directory_sort_in_vietnamese(app, client, factory):
    from tests.conftest import bearer, login

    health = factory.agency(code="SYT", name="Sở Y tế")
    district = factory.agency(code="HDS", name="UBND huyện Đông Sơn", kind="district")
    factory.agency(code="SXD", name="Sở Xây dựng")
    for name in ("Trần Văn Tú", "Đặng Thị Hoa", "Âu Văn Cơ", "Bùi Lan"):
        factory.user("officer", health, full_name=name)
    admin = factory.user("admin", full_name="Quản Trị")
    users = client.get("/api/v1/users", headers=bearer(factory.token(admin))).get_json()["items"]
    names = [u["full_name"] for u in users]
    assert names == ["Âu Văn Cơ", "Bùi Lan", "Đặng Thị Hoa", "Quản Trị", "Trần Văn Tú"]
    login(client, admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert html.index("Âu Văn Cơ") < html.index("Bùi Lan") < html.index("Đặng Thị Hoa") < html.index("Trần Văn Tú")
    from auth.queries import agency_tree

    assert [a.name for a, _depth in agency_tree()] == ["Sở Xây dựng", "Sở Y tế", district.name]


def test_the_word_documents_name_a_leader_by_title_not_by_the_office_keeping_the_account(app, factory):
    from meetings.documents import _person

    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    chairman = factory.user("leader", office, full_name="Nguyễn Văn Minh")
    chairman.title = "Chủ tịch UBND tỉnh"
    officer = factory.user("officer", health, full_name="Phạm Thị Hoa")
    officer.title = "Chuyên viên"
    assert _person(chairman) == "Nguyễn Văn Minh - Chủ tịch UBND tỉnh"
    assert _person(officer) == "Phạm Thị Hoa - Chuyên viên, Sở Y tế"
    # an account closed since (the minutes of a past meeting): still listed as the leader they were
    chairman.active = False
    assert _person(chairman) == "Nguyễn Văn Minh - Chủ tịch UBND tỉnh"
    assert sorted([officer, chairman], key=person_key) == [chairman, officer]

"""The people of the agenda tests (tests/api/test_agenda_*.py): a chair, a secretary, two officers of Sở Y tế,
a vice-chairman who is not invited and an outsider."""


def agenda_people(factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    return {
        "chair": factory.user("leader", office, username="chair", full_name="Nguyễn Văn Minh"),
        "secretary": factory.user("officer", office, username="thuky", full_name="Trần Thư Ký"),
        "h1": factory.user("officer", health, username="syt1", full_name="Lê Văn Y"),
        "h2": factory.user("officer", health, username="syt2", full_name="Phạm Thị Dược"),
        "leader": factory.user("leader", office, username="vice"),
        "outsider": factory.user("officer", office, username="vp9", full_name="Hoàng Người Ngoài"),
        "health": health,
    }

"""Search (issue 15): Vietnamese with or without marks, directive numbers, only what the caller may see,
an index that follows every edit and deletion, on SQLite (FTS5) and PostgreSQL (tsvector)."""
from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import select

from core.dbtypes import utcnow
from core.extensions import db
from directives import services as directive_services
from directives.models import Directive
from meetings.models import AgendaItem, ChatMessage, Conclusion, MinutesRevision
from meetings.models_documents import MeetingDocument, document_readers
from search import indexing, queries
from search.models import SearchEntry
from search.text import fold, index_text, words
from tests.conftest import bearer, fresh_postgres_database, login
from tests.outcomes_support import MeetingSetup


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    with fresh_postgres_database("search") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


# -- folding ------------------------------------------------------------------------------------------


def test_folding_drops_marks_case_and_turns_d_bar_into_d():
    assert fold("Chuyển đổi số") == "chuyen doi so"
    assert fold("ĐÔNG HÀ") == fold("Đông Hà") == fold("dong ha") == "dong ha"
    assert fold("Hương Thủy") == "huong thuy"
    assert words("15/CĐ-UBND, ngày 3.5") == ["15", "cd", "ubnd", "ngay", "3", "5"]
    assert index_text("Thoát nước", None, "  lũ_lụt ") == "thoat nuoc lu lut"


# -- the data: two agencies, a meeting, a paper -------------------------------------------------------


class World(MeetingSetup):
    """Sở Y tế (health) is invited to the meeting; the "outsider" officer's agency gets its own directive."""

    def __init__(self, factory):
        super().__init__(factory)
        now = utcnow()
        self.other = self.outsider.agency
        self.d_health = directive_services.issue_directive(self.chair, {
            "title": "Chuyển đổi số trong khám chữa bệnh", "body": "Triển khai hồ sơ sức khỏe điện tử",
            "deadline": (now + timedelta(days=9)).isoformat(), "lead_agency_id": self.health.id})
        self.d_other = directive_services.issue_directive(self.chair, {
            "title": "Thoát nước chống ngập ở Hương Thủy", "body": "Nạo vét kênh Đông Ba xuyenvietbiet",
            "deadline": (now + timedelta(days=9)).isoformat(), "lead_agency_id": self.other.id})
        directive_services.acknowledge(self.outsider, self.d_other.assignments[0])
        directive_services.report_progress(self.outsider, self.d_other.assignments[0],
                                           {"progress": 40, "note": "Đã nạo vét 2 km mương baocaobimat"})
        db.session.add_all([
            AgendaItem(meeting_id=self.meeting_id, position=1, title="Phòng chống lụt bão họpkínbiệt"),
            ChatMessage(meeting_id=self.meeting_id, author_id=self.member.id, body="Tin nhắn tinnhanrieng",
                        client_id="c1"),
            MinutesRevision(meeting_id=self.meeting_id, version=1, body="Biên bản bienbanrieng",
                            author_id=self.secretary.id),
            Conclusion(meeting_id=self.meeting_id, text="Kết luận ketluanrieng", created_by_id=self.chair.id),
        ])
        self.paper = MeetingDocument(meeting_id=self.meeting_id, name="Tài liệu mật tailieumat.pdf", kind="pdf", size=1,
                                     stored_name="x1", restricted=True, uploaded_by_id=self.chair.id)
        self.open_paper = MeetingDocument(meeting_id=self.meeting_id, name="Tài liệu chung tailieuchung.pdf",
                                          kind="pdf", size=1, stored_name="x2", uploaded_by_id=self.chair.id)
        db.session.add_all([self.paper, self.open_paper])
        db.session.commit()
        self.users = [self.chair, self.secretary, self.member, self.member2, self.outsider, self.leader, self.admin]


@pytest.fixture
def w(factory):
    return World(factory)


def found(user, q, **filters):
    return [(r["part"], r["id"]) for r in queries.search(user, {"q": q, "page": 1, **filters})["items"]]


def test_found_with_or_without_marks_in_any_case(w):
    for q in ("chuyen doi so", "Chuyển đổi số", "CHUYỂN ĐỔI SỐ", "chuyển doi sô"):
        assert found(w.leader, q) == [("directive", w.d_health.id)], q
    assert found(w.leader, "dong ba") == found(w.leader, "Đông Ba") == [("directive", w.d_other.id)]
    assert found(w.leader, "huong thuy thoat nuoc") == [("directive", w.d_other.id)]
    assert found(w.leader, "chuyen do") == [("directive", w.d_health.id)]  # the last word as typed so far


def test_a_directive_number_is_found_exactly_and_first(w, factory):
    number = w.d_other.number  # e.g. "2/UBND-TH"
    assert found(w.leader, number)[0] == ("directive", w.d_other.id)
    assert found(w.leader, fold(number).upper())[0] == ("directive", w.d_other.id)
    # "2/..." does not find "12/..." or "21/...", nor a text that only has the same words apart
    w.d_other.number = "115/CĐ-UBND"
    db.session.commit()
    assert found(w.leader, "15/CĐ-UBND") == []
    assert found(w.leader, "115/cd-ubnd") == [("directive", w.d_other.id)]


def test_results_are_ranked_by_relevance_then_recency(w):
    now = utcnow()
    older = directive_services.issue_directive(w.chair, {
        "title": "Kế hoạch lũ", "deadline": (now + timedelta(days=3)).isoformat(), "lead_agency_id": w.health.id},
        now=now - timedelta(days=30))
    newer = directive_services.issue_directive(w.chair, {
        "title": "Kế hoạch lũ", "deadline": (now + timedelta(days=3)).isoformat(), "lead_agency_id": w.health.id})
    best = directive_services.issue_directive(w.chair, {
        "title": "Lũ lũ lũ", "body": "lũ", "deadline": (now + timedelta(days=3)).isoformat(),
        "lead_agency_id": w.health.id}, now=now - timedelta(days=60))
    ids = [i for _part, i in found(w.leader, "lu", type="directive")]
    assert ids[0] == best.id and ids.index(newer.id) < ids.index(older.id)


def test_beyond_the_candidates_the_newest_visible_matches_are_ranked(w, monkeypatch):
    """Many matches: the newest CANDIDATES the user may see are ranked; what they may not see never takes a place."""
    now = utcnow()
    for n in range(3):
        directive_services.issue_directive(w.chair, {
            "title": f"Đê điều {n}", "deadline": (now + timedelta(days=3)).isoformat(),
            "lead_agency_id": w.other.id if n else w.health.id})
    monkeypatch.setattr(queries, "CANDIDATES", 2)
    assert [part for part, _id in found(w.member, "de dieu")] == ["directive"]  # the oldest, but its own
    assert len(found(w.leader, "de dieu")) == 2


SECRETS = {  # a word only one thing holds -> who may find it
    "xuyenvietbiet": "other agency's directive",
    "baocaobimat": "other agency's report",
    "hopkinbiet": "the meeting's agenda",
    "tinnhanrieng": "the meeting's chat",
    "bienbanrieng": "the meeting's minutes",
    "ketluanrieng": "the meeting's conclusion",
    "tailieumat": "a restricted paper",
    "tailieuchung": "a paper for the participants",
}


def test_each_role_finds_only_what_its_pages_show(w):
    may = {
        "xuyenvietbiet": {w.chair, w.leader, w.admin, w.outsider},
        "baocaobimat": {w.chair, w.leader, w.admin, w.outsider},
        "hopkinbiet": {w.chair, w.secretary, w.member, w.member2, w.leader, w.admin},
        "tinnhanrieng": {w.chair, w.secretary, w.member, w.member2, w.leader, w.admin},
        "bienbanrieng": {w.chair, w.secretary, w.member, w.member2, w.leader, w.admin},
        "ketluanrieng": {w.chair, w.secretary, w.member, w.member2, w.leader, w.admin},
        "tailieumat": {w.chair, w.secretary},  # restricted, no named reader: chair, secretary, uploader
        "tailieuchung": {w.chair, w.secretary, w.member, w.member2},  # papers: participants only
    }
    for word, user in product(SECRETS, w.users):
        hits = found(user, word)
        assert bool(hits) == (user in may[word]), (word, SECRETS[word], user.full_name, hits)
        for kind in ("directive", "meeting", "minutes", "message", "document"):
            if user not in may[word]:
                assert found(user, word, type=kind) == []
    # a named reader of the restricted paper finds it too
    db.session.execute(document_readers.insert(), [{"document_id": w.paper.id, "user_id": w.member.id}])
    db.session.commit()
    assert found(w.member, "tailieumat") == [("document", w.paper.id)]
    assert found(w.member2, "tailieumat") == []


def test_the_sql_filter_says_what_the_permission_functions_say(w):
    """Every index row, every user: visible in SQL exactly when the pages' permission functions allow it."""
    from directives.permissions import can_view_directive
    from meetings.meeting_documents import reader_ids
    from meetings.permissions import can_read_document, can_view

    entries = db.session.scalars(select(SearchEntry)).all()
    assert {e.part for e in entries} >= {"directive", "report", "meeting", "agenda", "minutes", "conclusion",
                                          "message", "document"}
    for user in w.users:
        in_sql = set(db.session.scalars(select(SearchEntry.id).where(queries.visible(user))))
        for e in entries:
            if e.directive_id:
                allowed = can_view_directive(user, db.session.get(Directive, e.directive_id))
            elif e.part == "document":
                doc = db.session.get(MeetingDocument, e.object_id)
                allowed = can_read_document(user, doc.meeting, doc, reader_ids(doc))
            else:
                allowed = can_view(user, w.meeting)
            assert (e.id in in_sql) == allowed, (user.full_name, e.part, e.title)


def test_the_index_follows_edits_and_deletions(w):
    w.d_health.title = "Xây dựng chính quyền điện tử"
    db.session.commit()
    assert found(w.leader, "chuyen doi so") == []
    assert found(w.leader, "chinh quyen dien tu") == [("directive", w.d_health.id)]

    conclusion = db.session.scalar(select(Conclusion))
    conclusion.text = "Kết luận đã sửa ketluanmoi"
    db.session.commit()
    assert found(w.chair, "ketluanrieng") == [] and found(w.chair, "ketluanmoi") == [("conclusion", conclusion.id)]
    db.session.delete(conclusion)
    db.session.commit()
    assert found(w.chair, "ketluanmoi") == []

    # a new revision of the minutes replaces the old text (one row per meeting)
    db.session.add(MinutesRevision(meeting_id=w.meeting_id, version=2, body="Biên bản mới bienbanmoi",
                                   author_id=w.secretary.id))
    db.session.commit()
    assert found(w.chair, "bienbanrieng") == [] and found(w.chair, "bienbanmoi") == [("minutes", w.meeting_id)]

    # a rolled-back change leaves the index as it was
    w.d_health.title = "Không lưu khongluu"
    db.session.flush()
    db.session.rollback()
    assert found(w.leader, "khongluu") == []

    db.session.delete(w.meeting)  # the chat, agenda, minutes and papers go with it
    db.session.commit()
    assert db.session.scalar(select(SearchEntry.id).where(SearchEntry.meeting_id == w.meeting_id)) is None


def test_rebuild_gives_the_same_index(w, app):
    def snapshot():
        return sorted(db.session.execute(select(SearchEntry.part, SearchEntry.object_id, SearchEntry.folded)).all())

    before = snapshot()
    result = app.test_cli_runner().invoke(args=["search-rebuild"])
    assert result.exit_code == 0 and f"{len(before)} entries" in result.output
    assert snapshot() == before
    assert found(w.chair, "tinnhanrieng") and found(w.leader, "chuyen doi so")


def test_filters_by_kind_agency_and_date(w):
    assert found(w.leader, "lut bao", type="meeting")
    assert found(w.leader, "lut bao", type="directive") == []
    assert found(w.leader, "nao vet", agency_id=w.other.id)
    assert found(w.leader, "nao vet", agency_id=w.health.id) == []
    tomorrow = utcnow() + timedelta(days=2)
    assert found(w.leader, "nao vet", date_from=tomorrow) == []


# -- the API and the page -----------------------------------------------------------------------------


def test_the_api_answers_as_api_md_says(client, w, factory):
    res = client.get("/api/v1/search?q=chuyen+doi+so", headers=bearer(factory.token(w.member)))
    assert res.status_code == 200
    item = res.get_json()["items"][0]
    assert {k: item[k] for k in ("type", "id", "url")} == {
        "type": "directive", "id": w.d_health.id, "url": f"/directives/{w.d_health.id}"}
    assert "<mark>Chuyển</mark> <mark>đổi</mark> <mark>số</mark>" in item["title"] or "<mark>" in item["snippet"]
    # a report is found as its directive
    res = client.get("/api/v1/search?q=baocaobimat&type=directive", headers=bearer(factory.token(w.outsider)))
    assert [(i["type"], i["id"], i["part"]) for i in res.get_json()["items"]] == [
        ("directive", w.d_other.id, "report")]
    assert client.get("/api/v1/search?q=x").status_code == 401
    res = client.get("/api/v1/search?q=x&type=vote", headers=bearer(factory.token(w.member)))
    assert res.status_code == 422 and "type" in res.get_json()["error"]["message"]
    assert client.get("/api/v1/search", headers=bearer(factory.token(w.member))).get_json()["items"] == []


def test_the_page_groups_results_and_marks_the_words_safely(client, w):
    w.d_health.body = "<script>alert(1)</script> chuyển đổi số"
    db.session.commit()
    login(client, w.member)
    html = client.get("/search?q=chuyen+doi+so").get_data(as_text=True)
    assert 'id="group-directive"' in html and "<mark>Chuyển</mark>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    html = client.get("/search?q=tinnhanrieng").get_data(as_text=True)
    assert 'id="group-message"' in html and f"/meetings/{w.meeting_id}/room" in html
    html = client.get("/search?q=xuyenvietbiet").get_data(as_text=True)
    assert "xuyenvietbiet" in html and "group-directive" not in html  # only echoed in the box
    html = client.get("/search?q=lu&from=2026-99-01").get_data(as_text=True)
    assert "is-invalid" in html


def test_fill_if_empty_builds_a_missing_index(w):
    db.session.execute(SearchEntry.__table__.delete())
    db.session.commit()
    assert found(w.leader, "chuyen doi so") == []
    indexing.fill_if_empty()
    assert found(w.leader, "chuyen doi so") == [("directive", w.d_health.id)]

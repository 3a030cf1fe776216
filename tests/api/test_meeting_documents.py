"""The meeting's papers (issue 13): upload per meeting and per agenda item, versions, restricted papers, types told
by the content, the size limit, and 404 for anyone who is not a participant, on the API and on the pages."""
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document

from core.extensions import db
from meetings import pdf
from meetings.models import AgendaItem
from meetings.models_documents import MeetingDocument
from tests.conftest import bearer, csrf_from, login, need
from tests.outcomes_support import MeetingSetup
from tests.pdf_support import make_pdf

PDF = make_pdf(2)


@pytest.fixture
def app_config():
    return {"MEETING_DOCUMENT_MAX_MB": 0.05}  # 51 KB: the size test stays small


class Papers(MeetingSetup):
    def __init__(self, factory):
        super().__init__(factory)
        self._factory = factory
        self.item1 = AgendaItem(meeting_id=self.meeting_id, position=1, title="Kinh tế - xã hội",
                                presenter_id=self.member.id)
        self.item2 = AgendaItem(meeting_id=self.meeting_id, position=2, title="Đầu tư công")
        db.session.add_all([self.item1, self.item2])
        db.session.commit()
        self.url = f"/api/v1/meetings/{self.meeting_id}/documents"

    def h(self, user):
        return bearer(self._factory.token(user))

    def upload(self, client, user, name="bao-cao.pdf", data=PDF, **fields):
        body = {"file": (io.BytesIO(data), name), **fields}
        return client.post(self.url, data=body, headers=self.h(user), content_type="multipart/form-data")

    def names(self, client, user):
        res = client.get(self.url, headers=self.h(user))
        assert res.status_code == 200, res.get_json()
        return [(d["name"], d["version"]) for d in res.get_json()["items"]]


@pytest.fixture
def s(factory):
    return Papers(factory)


def test_the_chair_uploads_a_pdf_and_every_participant_lists_and_downloads_it(client, s):
    res = s.upload(client, s.chair, name="Báo cáo tháng 11.pdf")
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert doc["name"] == "Báo cáo tháng 11.pdf" and doc["version"] == 1 and doc["agenda_item_id"] is None
    assert doc["size"] == len(PDF) and doc["uploaded_by"] == s.chair.id and doc["kind"] == "pdf"
    assert doc["uploaded_at"].endswith("+00:00")
    for user in (s.member, s.member2, s.secretary):
        assert s.names(client, user) == [("Báo cáo tháng 11.pdf", 1)]
    got = client.get(f"/api/v1/documents/{doc['id']}/download", headers=s.h(s.member2))
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_the_same_name_on_the_same_item_is_a_new_version_and_the_old_one_stays(client, s):
    first = s.upload(client, s.chair, agenda_item_id=str(s.item1.id)).get_json()
    second = s.upload(client, s.member, data=make_pdf(3), agenda_item_id=str(s.item1.id)).get_json()
    elsewhere = s.upload(client, s.chair, agenda_item_id=str(s.item2.id)).get_json()
    assert (first["version"], second["version"], elsewhere["version"]) == (1, 2, 1)
    assert second["agenda_item_id"] == s.item1.id
    assert sorted(s.names(client, s.member2)) == [("bao-cao.pdf", 1), ("bao-cao.pdf", 1), ("bao-cao.pdf", 2)]
    old = client.get(f"/api/v1/documents/{first['id']}/download", headers=s.h(s.member2))
    assert old.data == PDF
    login(client, s.member2)
    page = client.get(f"/meetings/{s.meeting_id}/documents").get_data(as_text=True)
    assert "Earlier versions (1)" in page or "Phiên bản trước (1)" in page
    assert f'data-testid="document-{first["id"]}"' in page


def test_a_restricted_paper_is_seen_only_by_its_readers_the_chair_the_secretary_and_its_uploader(app, client, s):
    res = s.upload(client, s.chair, name="Mật - nhân sự.pdf", restricted="true", reader_ids=[str(s.member.id)])
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert doc["restricted"] is True
    for user in (s.chair, s.secretary, s.member):
        assert s.names(client, user) == [("Mật - nhân sự.pdf", 1)]
        assert client.get(f"/api/v1/documents/{doc['id']}/download", headers=s.h(user)).status_code == 200
    assert s.names(client, s.member2) == []
    refused = client.get(f"/api/v1/documents/{doc['id']}/download", headers=s.h(s.member2))
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    # the pages too: not in the list, not on the meeting page's count, its page and file are 404
    login(client, s.member2)
    assert "Mật - nhân sự" not in client.get(f"/meetings/{s.meeting_id}/documents").get_data(as_text=True)
    detail = client.get(f"/meetings/{s.meeting_id}").get_data(as_text=True)
    assert 'id="meeting-documents"' in detail and "Mật - nhân sự" not in detail
    assert client.get(f"/meetings/documents/{doc['id']}").status_code == 404
    assert client.get(f"/meetings/documents/{doc['id']}/file").status_code == 404
    reader = app.test_client()
    login(reader, s.member)
    assert "Mật - nhân sự" in reader.get(f"/meetings/{s.meeting_id}/documents").get_data(as_text=True)
    assert reader.get(f"/meetings/documents/{doc['id']}/file").data == PDF


def test_readers_must_be_participants(client, s):
    res = s.upload(client, s.chair, restricted="true", reader_ids=[str(s.outsider.id)])
    assert res.status_code == 422 and "reader_ids" in res.get_json()["error"]["fields"]


def test_the_type_is_read_from_the_content_not_the_name(client, s):
    fake = s.upload(client, s.chair, name="to-trinh.pdf", data=b"just some text, not a PDF")
    assert fake.status_code == 422
    assert fake.get_json()["error"]["code"] == "invalid" and "file" in fake.get_json()["error"]["fields"]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("readme.txt", "not an office file")
    assert s.upload(client, s.chair, name="x.docx", data=zipped.getvalue()).status_code == 422
    renamed = s.upload(client, s.chair, name="bang-tinh.docx", data=PDF)
    assert renamed.status_code == 201 and renamed.get_json()["kind"] == "pdf"
    png = s.upload(client, s.chair, name="so-do", data=b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert png.status_code == 201 and png.get_json()["kind"] == "png"
    empty = s.upload(client, s.chair, name="rong.pdf", data=b"")
    assert empty.status_code == 422 and "file" in empty.get_json()["error"]["fields"]
    missing = client.post(s.url, data={}, headers=s.h(s.chair), content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(MeetingDocument.id))) == 2


def test_a_file_over_the_limit_is_413_naming_the_field_and_nothing_is_kept(client, s, app):
    big = PDF + b"%" * 60000
    res = s.upload(client, s.chair, data=big)
    assert res.status_code == 413
    error = res.get_json()["error"]
    assert error["code"] == "too_large" and "file" in error["fields"] and "MB" in error["message"]
    assert db.session.scalar(db.select(db.func.count(MeetingDocument.id))) == 0
    folder = Path(app.instance_path) / "meeting-documents"
    assert not folder.is_dir() or list(folder.iterdir()) == []


def test_who_uploads_chair_secretary_and_the_items_presenter(client, s):
    assert s.upload(client, s.secretary).status_code == 201
    assert s.upload(client, s.member, agenda_item_id=str(s.item1.id)).status_code == 201  # presents item 1
    assert s.upload(client, s.member).status_code == 403  # not to the meeting as a whole
    assert s.upload(client, s.member, agenda_item_id=str(s.item2.id)).status_code == 403
    assert s.upload(client, s.member2, agenda_item_id=str(s.item1.id)).status_code == 403
    bad_item = s.upload(client, s.chair, agenda_item_id="999999")
    assert bad_item.status_code == 422 and "agenda_item_id" in bad_item.get_json()["error"]["fields"]


def test_anyone_not_invited_gets_404_even_leaders_and_admins(client, s):
    doc = s.upload(client, s.chair).get_json()
    for user in (s.outsider, s.leader, s.admin):
        assert client.get(s.url, headers=s.h(user)).status_code == 404
        assert client.get(f"/api/v1/documents/{doc['id']}/download", headers=s.h(user)).status_code == 404
        assert s.upload(client, user).status_code == 404
    assert client.get("/api/v1/documents/987654/download", headers=s.h(s.member)).status_code == 404
    login(client, s.outsider)
    assert client.get(f"/meetings/{s.meeting_id}/documents").status_code == 404
    assert client.get(f"/meetings/documents/{doc['id']}").status_code == 404
    assert client.get(f"/meetings/documents/{doc['id']}/file").status_code == 404


def test_the_upload_form_on_the_page_and_its_refusal_shown_on_the_form(client, s):
    login(client, s.chair)
    page = client.get(f"/meetings/{s.meeting_id}/documents")
    token = csrf_from(page.get_data(as_text=True))
    bad = client.post(f"/meetings/{s.meeting_id}/documents", data={
        "csrf_token": token, "file": (io.BytesIO(b"plain text"), "a.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "is-invalid" in bad.get_data(as_text=True)
    ok = client.post(f"/meetings/{s.meeting_id}/documents", data={
        "csrf_token": token, "file": (io.BytesIO(PDF), "Tờ trình.pdf"), "agenda_item_id": str(s.item2.id)},
        content_type="multipart/form-data")
    assert ok.status_code == 302
    listing = client.get(f"/meetings/{s.meeting_id}/documents").get_data(as_text=True)
    assert "Tờ trình.pdf" in listing and "Đầu tư công" in listing
    doc = db.session.scalar(db.select(MeetingDocument))
    viewer = client.get(f"/meetings/documents/{doc.id}").get_data(as_text=True)
    assert 'id="document-viewer"' in viewer and "document_page.js" in viewer


def _docx():
    d = Document()
    d.add_paragraph("Báo cáo tình hình kinh tế - xã hội")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_a_word_file_gets_a_pdf_copy_to_read_in_the_browser(client, s):
    need(shutil.which("soffice"), "LibreOffice (Debian package libreoffice-writer-nogui)")  # on CI: a failure
    doc = s.upload(client, s.chair, name="Báo cáo.docx", data=_docx()).get_json()
    assert doc["kind"] == "docx" and doc["pdf"] is True
    login(client, s.member)
    copy = client.get(f"/meetings/documents/{doc['id']}/file")
    assert copy.status_code == 200 and copy.data.startswith(b"%PDF") and copy.mimetype == "application/pdf"
    assert client.get(f"/api/v1/documents/{doc['id']}/download").data[:2] == b"PK"


def test_without_libreoffice_the_page_says_so_and_offers_the_download(client, s, monkeypatch):
    monkeypatch.setattr(pdf, "soffice_path", lambda: None)
    doc = s.upload(client, s.chair, name="Báo cáo.docx", data=_docx()).get_json()
    assert doc["pdf"] is False
    login(client, s.member)
    page = client.get(f"/meetings/documents/{doc['id']}").get_data(as_text=True)
    assert 'id="document-no-viewer"' in page and f"/api/v1/documents/{doc['id']}/download" in page
    assert client.get(f"/meetings/documents/{doc['id']}/file").status_code == 404

"""Meeting papers are found by what they say, not only by their name: the text of a PDF (poppler's pdftotext)
and of a Word file (python-docx) goes into the search index, for the participants who may read the paper."""
import io
import shutil

import pytest
from docx import Document

from tests.api.test_meeting_documents import Papers
from tests.conftest import need
from tests.pdf_support import make_pdf


@pytest.fixture
def s(factory):
    return Papers(factory)


def search(client, s, user, q):
    res = client.get("/api/v1/search", query_string={"q": q, "type": "document"}, headers=s.h(user))
    assert res.status_code == 200, res.get_json()
    return res.get_json()["items"]


def docx_bytes(*paragraphs):
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_a_pdf_is_found_by_its_text_by_participants_only(client, s):
    need(shutil.which("pdftotext"), "poppler's pdftotext (Debian package poppler-utils)")
    res = s.upload(client, s.chair, name="bao-cao.pdf", data=make_pdf(2, title="Phuong an tieu thoat lu"))
    assert res.status_code == 201, res.get_json()
    paper = res.get_json()["id"]
    hits = search(client, s, s.member, "tieu thoat lu")
    assert [h["id"] for h in hits] == [paper]
    assert "<mark>" in hits[0]["snippet"]  # the snippet shows the words where the paper says them
    assert search(client, s, s.outsider, "tieu thoat lu") == []


def test_a_word_file_is_found_by_its_text_with_or_without_diacritics(client, s):
    data = docx_bytes("Kế hoạch xây dựng nông thôn mới năm 2027", "Giao Sở Nông nghiệp chủ trì.")
    res = s.upload(client, s.chair, name="ke-hoach.docx", data=data)
    assert res.status_code == 201, res.get_json()
    paper = res.get_json()["id"]
    assert [h["id"] for h in search(client, s, s.member, "nong thon moi")] == [paper]
    assert [h["id"] for h in search(client, s, s.member, "nông thôn mới")] == [paper]
    assert search(client, s, s.outsider, "nong thon moi") == []

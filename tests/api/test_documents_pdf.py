"""The biên bản and the conclusions notice as PDF, converted by LibreOffice when it is installed.

Without LibreOffice (or with SOFFICE_PATH naming nothing) the PDF buttons are not shown and the PDF
routes answer 404 saying why. The real conversion runs only where ``soffice`` exists (install
Debian's ``libreoffice-writer-nogui``); elsewhere it is skipped with the reason.
"""
import shutil
import subprocess
import sys

import pytest

from core.extensions import db
from meetings import conclusions, minutes, pdf
from tests.conftest import login, need
from tests.outcomes_support import MeetingSetup

HAS_SOFFICE = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None
KINDS = ("bien-ban", "thong-bao-ket-luan")


@pytest.fixture
def final(factory):
    s = MeetingSetup(factory)
    s.meeting.status = "ended"
    db.session.commit()
    minutes.save_minutes(s.secretary, s.meeting,
                         {"body": "## Khai mạc\nChủ trì **khai mạc** cuộc họp.", "base_version": 0})
    conclusions.add_conclusion(s.chair, s.meeting, {"text": "Giao Sở Y tế hoàn thành tiêm chủng trước 15/12."})
    minutes.finalize_minutes(s.chair, s.meeting)
    return s


class TestWithoutLibreOffice:
    @pytest.fixture
    def app_config(self):
        return {"SOFFICE_PATH": "/nonexistent/soffice"}

    def test_the_pdf_routes_answer_404_with_a_clear_message(self, client, final):
        login(client, final.chair)
        for kind in KINDS:
            res = client.get(f"/meetings/{final.meeting_id}/documents/{kind}.pdf")
            assert res.status_code == 404
            assert "LibreOffice" in res.get_data(as_text=True)
            assert client.get(f"/meetings/{final.meeting_id}/documents/{kind}.docx").status_code == 200

    def test_no_pdf_button_is_shown(self, client, final):
        login(client, final.chair)
        for path in (f"/meetings/{final.meeting_id}/outcomes", f"/meetings/{final.meeting_id}"):
            html = client.get(path).get_data(as_text=True)
            assert ".docx" in html and ".pdf" not in html, path


def test_a_missing_or_failing_libreoffice_is_reported_not_crashed(app, tmp_path):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    app.config["SOFFICE_PATH"] = str(fake)
    assert pdf.available()
    with pytest.raises(pdf.ConversionFailed, match="exited with 3"):
        pdf.docx_to_pdf(b"not really a docx")
    slow = tmp_path / "slow-soffice"
    slow.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import time; time.sleep(30)'\n")
    slow.chmod(0o755)
    app.config["SOFFICE_PATH"] = str(slow)
    with pytest.raises(pdf.ConversionFailed, match="longer than 1 s"):
        pdf.docx_to_pdf(b"x", timeout=1)


def test_both_documents_convert_to_pdf_with_the_same_checks_as_word(app, client, final):
    need(HAS_SOFFICE, "LibreOffice (soffice; apt-get install libreoffice-writer-nogui)")
    login(client, final.chair)
    html = client.get(f"/meetings/{final.meeting_id}/outcomes").get_data(as_text=True)
    assert 'id="download-minutes-pdf"' in html and 'id="download-conclusions-pdf"' in html
    for kind in KINDS:
        res = client.get(f"/meetings/{final.meeting_id}/documents/{kind}.pdf")
        assert res.status_code == 200, res.get_data(as_text=True)[:300]
        assert res.mimetype == "application/pdf" and res.data.startswith(b"%PDF-")
        disposition = res.headers["Content-Disposition"]
        assert disposition.startswith("inline")
        assert f"{kind}-{final.meeting_id}-" in disposition and ".pdf" in disposition
        if shutil.which("pdftotext"):  # the text came through, diacritics included
            text = subprocess.run(["pdftotext", "-", "-"], input=res.data, capture_output=True, check=True).stdout
            assert "Giao Sở Y tế hoàn thành tiêm chủng" in text.decode()
    # who may not have the Word document may not have the PDF either
    for user, status in ((final.member, 403), (final.outsider, 404)):
        other = app.test_client()
        login(other, user)
        assert other.get(f"/meetings/{final.meeting_id}/documents/bien-ban.pdf").status_code == status


def test_before_the_minutes_are_final_the_pdf_answers_as_the_word_document_does(client, factory):
    need(HAS_SOFFICE, "LibreOffice (soffice; apt-get install libreoffice-writer-nogui)")
    s = MeetingSetup(factory)
    login(client, s.chair)
    res = client.get(f"/meetings/{s.meeting_id}/documents/bien-ban.pdf")
    assert res.status_code == 302 and "/outcomes" in res.headers["Location"]

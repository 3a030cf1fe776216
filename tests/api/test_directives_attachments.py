"""Attachments: limits on size and type, random names under instance/uploads, downloads only for those who
see the directive."""
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from core.dbtypes import utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.extensions import db
from directives import attachments, services
from directives.models import Attachment
from tests.conftest import bearer


@pytest.fixture
def w(factory):
    a1, a2 = factory.agency("SYT"), factory.agency("HDS")
    w = {"leader": factory.user("leader", username="lead"), "officer": factory.user("officer", a1, username="syt1"),
         "other": factory.user("officer", a2, username="hds1"), "admin": factory.user("admin", username="adm")}
    w["d"] = services.issue_directive(
        w["leader"],
        {"title": "Kế hoạch", "deadline": (utcnow() + timedelta(days=5)).isoformat(), "lead_agency_id": a1.id},
    )
    return w


def upload(name, data=b"%PDF-1.4 test"):
    return FileStorage(stream=BytesIO(data), filename=name)


def test_saved_with_a_random_name_and_downloaded_by_those_who_see_it(app, client, w, factory):
    att = attachments.save_upload(upload("../../Kế hoạch số 1.pdf"), w["d"], actor=w["leader"])
    assert att.original_name == "Kế hoạch số 1.pdf" and att.content_type == "application/pdf" and att.size == 13
    stored = Path(app.instance_path) / "uploads" / att.stored_name
    assert stored.read_bytes() == b"%PDF-1.4 test" and "Kế" not in att.stored_name
    with app.test_request_context():
        assert attachments.open_attachment(w["officer"], att.id).status_code == 200
        with pytest.raises(NotFound):
            attachments.open_attachment(w["other"], att.id)
    res = client.get(f"/api/v1/attachments/{att.id}", headers=bearer(factory.token(w["officer"])))
    assert res.status_code == 200 and res.data == b"%PDF-1.4 test"
    assert "attachment" in res.headers["Content-Disposition"]
    res = client.get(f"/api/v1/attachments/{att.id}", headers=bearer(factory.token(w["other"])))
    assert res.status_code == 404
    assert client.get(f"/api/v1/attachments/{att.id}").status_code == 401


def test_upload_over_the_api(app, client, w, factory):
    app.config["DIRECTIVE_ATTACHMENT_MAX_MB"] = 0.001
    lead = bearer(factory.token(w["leader"]))
    url = f"/api/v1/directives/{w['d'].id}/attachments"
    res = client.post(url, headers=lead, data={"file": (BytesIO(b"%PDF small"), "cv.pdf")})
    assert res.status_code == 201 and res.json["items"][0]["name"] == "cv.pdf"
    res = client.post(url, headers=lead, data={"file": (BytesIO(b"x" * 5000), "big.pdf")})
    assert res.status_code == 413 and res.json["error"]["code"] == "too_large"
    res = client.post(url, headers=lead, data={"file": (BytesIO(b"x"), "a.exe")})
    assert res.status_code == 422 and "file" in res.json["error"]["fields"]
    res = client.post(url, headers=bearer(factory.token(w["other"])), data={"file": (BytesIO(b"x"), "a.pdf")})
    assert res.status_code == 404
    a = w["d"].assignments[0]
    services.acknowledge(w["officer"], a)
    report = services.report_progress(w["officer"], a, {"progress": 10})
    res = client.post(f"/api/v1/reports/{report.id}/attachments", headers=bearer(factory.token(w["officer"])),
                      data={"file": (BytesIO(b"PK"), "ket-qua.zip")})
    assert res.status_code == 201
    detail = client.get(f"/api/v1/assignments/{a.id}", headers=lead).json
    assert detail["reports"][0]["attachments"][0]["name"] == "ket-qua.zip"


def test_too_large_and_bad_type_are_refused_and_leave_nothing(app, w):
    app.config["DIRECTIVE_ATTACHMENT_MAX_MB"] = 0.001  # about 1 KB
    with pytest.raises(attachments.TooLarge) as exc:
        attachments.save_upload(upload("big.pdf", b"x" * 2000), w["d"], actor=w["leader"])
    assert exc.value.status == 413
    with pytest.raises(Invalid) as exc:
        attachments.save_upload(upload("virus.exe", b"MZ"), w["d"], actor=w["leader"])
    assert "file" in exc.value.fields
    with pytest.raises(Invalid):
        attachments.save_upload(upload("empty.pdf", b""), w["d"], actor=w["leader"])
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0
    assert list((Path(app.instance_path) / "uploads").iterdir()) == []


def test_who_may_attach(w):
    with pytest.raises(Forbidden):
        attachments.save_upload(upload("a.pdf"), w["d"], actor=w["officer"])
    with pytest.raises(NotFound):
        attachments.save_upload(upload("a.pdf"), w["d"], actor=w["other"])
    a = w["d"].assignments[0]
    services.acknowledge(w["officer"], a)
    report = services.report_progress(w["officer"], a, {"progress": 20})
    att = attachments.save_upload(upload("bao-cao.docx", b"PK..."), report, actor=w["officer"])
    assert att.report_id == report.id and att.directive_id == w["d"].id
    with pytest.raises(Forbidden):
        attachments.save_upload(upload("a.pdf"), report, actor=w["leader"])
    assert attachments.save_upload(FileStorage(stream=BytesIO(b""), filename=""), w["d"], actor=w["leader"]) is None


def test_a_long_file_name_is_shortened_keeping_its_extension(app, client, w, factory):
    long_name = "Báo cáo kết quả triển khai " * 20 + ".docx"
    att = attachments.save_upload(upload(long_name, b"PK..."), w["d"], actor=w["leader"])
    assert len(att.original_name) == attachments.MAX_NAME
    assert att.original_name.endswith(".docx") and att.original_name.startswith("Báo cáo kết quả")
    assert att.content_type.endswith("wordprocessingml.document") and att.stored_name.endswith(".docx")
    res = client.post(f"/api/v1/directives/{w['d'].id}/attachments", headers=bearer(factory.token(w["leader"])),
                      data={"file": (BytesIO(b"%PDF"), "x" * 400 + ".pdf")})
    assert res.status_code == 201
    name = res.json["items"][0]["name"]
    assert name == "x" * (attachments.MAX_NAME - 4) + ".pdf"
    with app.test_request_context():
        download = attachments.open_attachment(w["leader"], att.id)
        assert ".docx" in download.headers["Content-Disposition"]
        download.close()

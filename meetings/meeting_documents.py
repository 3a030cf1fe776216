"""The meeting's papers (tài liệu cuộc họp): uploaded per meeting or per agenda item, read in the browser, downloaded.
The only writer of MeetingDocument.

- Types: PDF, DOCX, XLSX, PPTX, PNG and JPEG, recognised by their content (the first bytes, and for the office
  formats the parts inside the zip), never by the name: a PDF renamed .docx is a PDF, a text file renamed .pdf is
  refused (422 naming ``file``).
- Size: at most MEETING_DOCUMENT_MAX_MB (default 20) megabytes (413 naming ``file``); the request itself is bounded
  by MAX_UPLOAD_MB.
- Versions: a file uploaded with the same name to the same agenda item (or to the meeting itself) is the next
  version; the old ones stay and are listed.
- Restricted: only the named readers (participants), the chair, the secretary and the uploader see it, on the API
  and on every page; anyone else gets 404 as for a paper that does not exist.
- Office files get a PDF copy made by LibreOffice on upload (meetings.pdf) when it is installed; the viewer shows
  that copy. Without LibreOffice (or when it fails) the page says so and offers the download.
"""
import logging
import shutil
import subprocess
import zipfile

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, false, or_, true

from core import audit, uploads
from core.dbtypes import isoformat
from core.errors import Forbidden, Invalid, NotFound, ServiceError
from core.extensions import db
from core.validation import Fields
from meetings import pdf, permissions
from meetings.models import AgendaItem, Participant
from meetings.models_documents import OFFICE_KINDS, DocumentKind, MeetingDocument, document_readers

log = logging.getLogger(__name__)

FOLDER = "meeting-documents"
MIMETYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
}
#: the part that only each office format has
OFFICE_PARTS = {"word/document.xml": DocumentKind.DOCX, "xl/workbook.xml": DocumentKind.XLSX,
                "ppt/presentation.xml": DocumentKind.PPTX}
#: what the file input offers (a hint only: the content decides)
ACCEPT = ".pdf,.docx,.xlsx,.pptx,.png,.jpg,.jpeg"


class TooLarge(ServiceError):
    status, code = 413, "too_large"


def max_bytes():
    return int(float(current_app.config.get("MEETING_DOCUMENT_MAX_MB", 20)) * 1024 * 1024)


def _too_large():
    limit = max_bytes()
    message = _("The file is too large (at most %(mb)s MB).", mb=round(limit / 1024 / 1024, 1))
    return TooLarge(message, fields={"file": message})


def sniff(path):
    """The DocumentKind of the file at ``path`` from its content, or None."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"%PDF-"):
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names:
            return next((kind for part, kind in OFFICE_PARTS.items() if part in names), None)
    return None


# -- reads --------------------------------------------------------------------------------------------


def _require_participant(user, meeting):
    if not permissions.can_see_documents(user, meeting):
        raise NotFound(_("Meeting not found."))


def _visible(user, meeting):
    """The WHERE clause of the papers ``user`` may read in ``meeting`` (done in SQL)."""
    if permissions.can_keep_minutes(user, meeting):
        return true()
    named = exists().where(document_readers.c.document_id == MeetingDocument.id,
                           document_readers.c.user_id == user.id)
    return or_(MeetingDocument.restricted == false(), MeetingDocument.uploaded_by_id == user.id, named)


def list_documents(user, meeting):
    """Every version ``user`` may read, by agenda item (the meeting's own first), name, newest version first."""
    _require_participant(user, meeting)
    return db.session.scalars(
        db.select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id, _visible(user, meeting))
        .options(db.joinedload(MeetingDocument.uploaded_by))
        .order_by(MeetingDocument.agenda_item_id.is_not(None), MeetingDocument.agenda_item_id,
                  MeetingDocument.name, MeetingDocument.version.desc())
    ).all()


def grouped(user, meeting):
    """For the pages: [{item (AgendaItem or None), papers: [{latest, older: [...]}]}], the agenda's order."""
    series = {}
    for doc in list_documents(user, meeting):
        series.setdefault((doc.agenda_item_id, doc.name), []).append(doc)
    groups = [{"item": None, "papers": []}] + [{"item": item, "papers": []} for item in meeting.agenda_items]
    by_item = {g["item"].id if g["item"] else None: g for g in groups}
    for (item_id, _name), versions in series.items():
        by_item.get(item_id, groups[0])["papers"].append({"latest": versions[0], "older": versions[1:]})
    return groups


def count_visible(user, meeting):
    """How many papers (latest versions count once each) ``user`` may read."""
    if not permissions.can_see_documents(user, meeting):
        return 0
    series = (db.select(MeetingDocument.agenda_item_id, MeetingDocument.name).distinct()
              .where(MeetingDocument.meeting_id == meeting.id, _visible(user, meeting)).subquery())
    return db.session.scalar(db.select(db.func.count()).select_from(series)) or 0


def get_document(user, document_id):
    """The paper if ``user`` may read it; NotFound otherwise (also when it exists)."""
    doc = db.session.get(MeetingDocument, document_id) if document_id is not None else None
    if doc is None or not permissions.can_read_document(user, doc.meeting, doc, reader_ids(doc)):
        raise NotFound(_("Document not found."))
    return doc


def reader_ids(doc):
    if not doc.restricted:
        return set()
    return set(db.session.scalars(db.select(document_readers.c.user_id)
                                  .where(document_readers.c.document_id == doc.id)))


def document_dict(doc):
    """The JSON of API.md, with what the pages need."""
    return {
        "id": doc.id, "name": doc.name, "size": doc.size, "agenda_item_id": doc.agenda_item_id,
        "version": doc.version, "kind": doc.kind, "restricted": doc.restricted,
        "uploaded_by": doc.uploaded_by_id, "uploaded_by_name": doc.uploaded_by.full_name if doc.uploaded_by else None,
        "uploaded_at": isoformat(doc.uploaded_at), "viewable": doc.readable_as_pdf or doc.is_image,
        "pdf": doc.readable_as_pdf, "download_url": f"/api/v1/documents/{doc.id}/download",
        "view_url": f"/meetings/documents/{doc.id}/file", "page_url": f"/meetings/documents/{doc.id}",
    }


# -- upload ---------------------------------------------------------------------------------------------


def _parse(meeting, data):
    """(agenda item or None, restricted, reader ids) from the form or JSON fields; Invalid naming bad ones."""
    f = Fields(data)
    item_id = f.int("agenda_item_id", required=False, min_value=1)
    restricted = f.bool("restricted", default=False)
    readers = f.int_list("reader_ids", required=False) or []
    f.check()
    item = None
    if item_id is not None:
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            raise Invalid({"agenda_item_id": _("Not an item of this meeting's agenda.")})
    if readers:
        invited = set(db.session.scalars(db.select(Participant.user_id).where(
            Participant.meeting_id == meeting.id, Participant.user_id.in_(readers))))
        if invited != set(readers):
            raise Invalid({"reader_ids": _("Only the meeting's participants can be named as readers.")})
    return item, restricted, readers


def upload(actor, meeting, file, data):
    """Store one paper (a werkzeug FileStorage) for ``meeting``; returns the MeetingDocument (committed)."""
    _require_participant(actor, meeting)
    item, restricted, readers = _parse(meeting, data)
    if not permissions.can_upload_document(actor, meeting, item):
        raise Forbidden(_("Only the chair, the secretary and the item's presenter add documents."))
    if file is None or not getattr(file, "filename", ""):
        raise Invalid({"file": _("Choose a file.")})
    name = uploads.clean_name(file.filename) or "document"
    folder = uploads.instance_folder(FOLDER)
    path = folder / uploads.random_name("bin")
    written = [path]
    try:
        size = uploads.copy_limited(file.stream, path, max_bytes(), _too_large)
        kind = sniff(path) if size else None
        if size == 0:
            raise Invalid({"file": _("The file is empty.")})
        if kind is None:
            raise Invalid({"file": _("This type of file is not accepted: PDF, Word (.docx), Excel (.xlsx), "
                                     "PowerPoint (.pptx), PNG or JPEG only.")})
        stored = path.with_suffix("." + kind)
        path.rename(stored)
        written = [stored]
        doc = MeetingDocument(meeting_id=meeting.id, agenda_item_id=item.id if item else None, name=name,
                              version=_next_version(meeting, item, name), kind=kind, size=size,
                              stored_name=stored.name, restricted=restricted, uploaded_by_id=actor.id)
        db.session.add(doc)
        db.session.flush()
        if restricted and readers:
            db.session.execute(document_readers.insert(),
                               [{"document_id": doc.id, "user_id": u} for u in sorted(set(readers))])
        if kind in OFFICE_KINDS:
            doc.pdf_name = _pdf_copy(stored, kind, written)
        db.session.flush()
        audit.record(actor, "meeting.document_upload", doc, object_type="meeting_document", meeting_id=meeting.id,
                     name=name, version=doc.version, size=size, restricted=restricted)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return doc


def _next_version(meeting, item, name):
    same_place = (MeetingDocument.agenda_item_id == item.id) if item else MeetingDocument.agenda_item_id.is_(None)
    latest = db.session.scalar(db.select(db.func.max(MeetingDocument.version)).where(
        MeetingDocument.meeting_id == meeting.id, same_place, MeetingDocument.name == name))
    return (latest or 0) + 1


def _pdf_copy(stored, kind, written):
    """Make the PDF copy of an office file; its stored name, or None without LibreOffice or when it fails."""
    if not pdf.available():
        return None
    try:
        data = pdf.office_to_pdf(stored.read_bytes(), kind)
    except pdf.ConversionFailed as exc:
        log.warning("no PDF copy of %s: %s", stored.name, exc)
        return None
    copy = stored.with_name(stored.stem + "-copy.pdf")
    copy.write_bytes(data)
    written.append(copy)
    return copy.name


# -- files out ------------------------------------------------------------------------------------------


def download(user, document_id):
    """The original file as an attachment, for someone who may read it; NotFound otherwise."""
    doc = get_document(user, document_id)
    return uploads.private_file(_path(doc.stored_name), MIMETYPES[doc.kind], doc.name)


def view_file(user, document_id):
    """What the viewer shows, inline: the PDF (or the PDF copy of an office file) or the picture."""
    doc = get_document(user, document_id)
    if doc.kind == DocumentKind.PDF or doc.is_image:
        return uploads.private_file(_path(doc.stored_name), MIMETYPES[doc.kind], doc.name, inline=True)
    if doc.pdf_name:
        return uploads.private_file(_path(doc.pdf_name), "application/pdf", doc.name.rsplit(".", 1)[0] + ".pdf",
                                    inline=True)
    raise NotFound(_("This document has no copy to read in the browser; download it."))


#: how much of a paper's text is kept for search (the index takes no more anyway)
TEXT_LIMIT = 200_000


def text_of(doc):
    """The words of a paper, for search: a PDF (or the PDF copy of an office file) read by poppler's
    pdftotext, a Word file by python-docx; "" for pictures, or when the tool or the file is missing."""
    folder = uploads.instance_folder(FOLDER)
    pdf = folder / (doc.stored_name if doc.kind == DocumentKind.PDF else (doc.pdf_name or ""))
    try:
        if pdf.is_file() and shutil.which("pdftotext"):
            done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-q", str(pdf), "-"], capture_output=True,
                                  timeout=30, check=False)
            return done.stdout.decode("utf-8", "replace")[:TEXT_LIMIT]
        if doc.kind == DocumentKind.DOCX and (folder / doc.stored_name).is_file():
            import docx

            return "\n".join(p.text for p in docx.Document(str(folder / doc.stored_name)).paragraphs)[:TEXT_LIMIT]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):  # a damaged file is found by its name only
        return ""
    return ""


def _path(stored_name):
    path = uploads.instance_folder(FOLDER) / stored_name
    if not path.is_file():
        raise NotFound(_("File not found."))
    return path


def converter_available():
    return pdf.available()


def readers_of(doc):
    """The named readers of a restricted paper (for its page)."""
    return list(doc.readers) if doc.restricted else []


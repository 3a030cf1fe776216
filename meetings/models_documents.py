"""The meeting's papers (tài liệu cuộc họp): documents per meeting and per agenda item, their versions, who may
read a restricted one, and the document being presented in the live room. Written only by
meetings.meeting_documents and meetings.presenting. (Named models_*.py so core.create_app imports it.)
"""
from enum import StrEnum

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class DocumentKind(StrEnum):
    """What the file is, read from its content (never from its name)."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    PNG = "png"
    JPEG = "jpeg"


#: office files: converted to PDF on upload when LibreOffice is installed
OFFICE_KINDS = (DocumentKind.DOCX, DocumentKind.XLSX, DocumentKind.PPTX)
#: pictures: shown as they are
IMAGE_KINDS = (DocumentKind.PNG, DocumentKind.JPEG)


document_readers = db.Table(
    "meeting_document_readers",
    #: the restricted document
    db.Column("document_id", db.Integer, db.ForeignKey("meeting_documents.id", ondelete="CASCADE"),
              primary_key=True),
    #: a participant named to read it
    db.Column("user_id", db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MeetingDocument(db.Model):
    """One version of one paper. A file uploaded with the same name to the same agenda item (or to the
    meeting itself) is the next version; the older ones stay."""

    __tablename__ = "meeting_documents"
    __table_args__ = (
        one_of("kind", DocumentKind),
        db.Index("ix_meeting_documents_series", "meeting_id", "agenda_item_id", "name"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the meeting
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the agenda item it belongs to; null for the meeting as a whole
    agenda_item_id = db.Column(db.Integer, db.ForeignKey("meeting_agenda_items.id", ondelete="SET NULL"))
    #: the file name as uploaded (kept for the download; the file is stored under a random name)
    name = db.Column(db.String(255), nullable=False)
    #: 1 for the first upload of this name here, then 2, 3...
    version = db.Column(db.Integer, nullable=False, default=1)
    #: pdf, docx, xlsx, pptx, png or jpeg (DocumentKind), from the content
    kind = db.Column(db.String(8), nullable=False)
    #: bytes
    size = db.Column(db.Integer, nullable=False)
    #: the file under <instance>/meeting-documents/
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    #: the PDF copy of an office file made by LibreOffice, under the same folder; null if none
    pdf_name = db.Column(db.String(64))
    #: only the named readers (and the chair, the secretary and the uploader) see it
    restricted = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    #: who uploaded it; null if that account is gone
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting")
    agenda_item = db.relationship("AgendaItem")
    uploaded_by = db.relationship("User")
    readers = db.relationship("User", secondary=document_readers, order_by="User.full_name")

    @property
    def readable_as_pdf(self):
        """Shown page by page in the viewer: a PDF, or an office file with its PDF copy."""
        return self.kind == DocumentKind.PDF or self.pdf_name is not None

    @property
    def is_image(self):
        return self.kind in IMAGE_KINDS


class Presentation(db.Model):
    """The document being presented in a meeting's live room, and its page: one row while someone presents,
    so a late joiner or a reconnecting page lands on the current page."""

    __tablename__ = "meeting_presentations"

    #: the meeting (one presentation at a time)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    #: the document shown
    document_id = db.Column(db.Integer, db.ForeignKey("meeting_documents.id", ondelete="CASCADE"), nullable=False)
    #: who presents it
    presenter_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    #: the page every follower shows, from 1
    page = db.Column(db.Integer, nullable=False, default=1)
    #: when the presentation began
    started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when the page last changed
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    document = db.relationship("MeetingDocument")
    presenter = db.relationship("User")

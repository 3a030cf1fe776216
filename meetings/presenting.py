"""Presenting a paper in the live room: the presenter (chair, secretary, or an agenda item's presenter) opens a
document and every attendee's viewer follows the presenter's page. The only writer of Presentation.

The state is one row per meeting, so a late joiner or a reconnecting page asks for it (``document:state``) and
lands on the current page; every change is published to the meeting's room after commit:
``document:present`` (a document opened, or another one), ``document:page`` (the page turned) and
``document:stop``. A restricted paper is never presented (the whole room would see it).
"""
from flask_babel import gettext as _

from auth.queries import user_brief
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import payload_id
from meetings import meeting_documents, permissions
from meetings.models_documents import Presentation
from meetings.queries import load, room

#: a page number beyond any real document (pdf.js pages are counted from 1)
MAX_PAGE = 100000


def meeting_of(user, payload):
    """The meeting named in a socket payload, if ``user`` is one of its participants; NotFound otherwise."""
    meeting = load(payload_id(payload, "meeting_id"))
    if meeting is None or not permissions.can_see_documents(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def state(meeting):
    """{meeting_id, presenting: null | {document, page, presenter, started_at, updated_at}}."""
    row = db.session.get(Presentation, meeting.id)
    if row is None or meeting.is_over:  # nothing is presented once the meeting is over
        return {"meeting_id": meeting.id, "presenting": None}
    return {"meeting_id": meeting.id, "presenting": {
        "document": meeting_documents.document_dict(row.document), "page": row.page,
        "presenter": user_brief(row.presenter), "started_at": isoformat(row.started_at),
        "updated_at": isoformat(row.updated_at)}}


def _page(payload):
    page = payload.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise Invalid({"page": _("A page number from 1.")})
    return page


def _require_presenter(actor, meeting):
    if not permissions.can_present(actor, meeting):
        raise Forbidden(_("Only the chair, the secretary and the agenda's presenters present documents."))
    if meeting.is_over:
        raise Conflict(_("The meeting is over."), code="meeting_over")


def present(actor, meeting, payload):
    """Open a paper for everyone at ``page`` (default 1); replaces whatever was presented."""
    _require_presenter(actor, meeting)
    page = _page(payload)
    doc = meeting_documents.get_document(actor, payload_id(payload, "document_id"))
    if doc.meeting_id != meeting.id:
        raise NotFound(_("Document not found."))
    if doc.restricted:
        raise Conflict(_("A restricted document cannot be shown to the whole room."), code="restricted")
    if not doc.readable_as_pdf and not doc.is_image:
        raise Conflict(_("This document cannot be shown in the browser; share it for download."),
                       code="not_viewable")
    now = utcnow()
    row = db.session.get(Presentation, meeting.id)
    if row is None:
        row = Presentation(meeting_id=meeting.id)
        db.session.add(row)
    row.document_id, row.presenter_id, row.page, row.started_at, row.updated_at = doc.id, actor.id, page, now, now
    audit.record(actor, "meeting.document_present", doc, object_type="meeting_document", meeting_id=meeting.id)
    db.session.flush()
    db.session.refresh(row)
    result = state(meeting)
    publish("document:present", result, to=room(meeting.id))
    db.session.commit()
    return result


def turn_page(actor, meeting, payload):
    """The presenter turns to ``page``: every follower goes there. Not presenting: conflict."""
    _require_presenter(actor, meeting)
    page = _page(payload)
    row = db.session.get(Presentation, meeting.id)
    if row is None:
        raise Conflict(_("No document is being presented."), code="not_presenting")
    # stale pages (a click on a document another presenter replaced) must not move the room
    if payload.get("document_id") is not None and payload_id(payload, "document_id") != row.document_id:
        raise Conflict(_("Another document is being presented now."), code="stale")
    # no audit row per page: a page turn changes what the room looks at, not the record (opening and
    # stopping a presentation are audited)
    row.page, row.updated_at, row.presenter_id = page, utcnow(), actor.id
    publish("document:page", {"meeting_id": meeting.id, "document_id": row.document_id, "page": page,
                              "presenter_id": actor.id}, to=room(meeting.id))
    db.session.commit()
    return {"meeting_id": meeting.id, "document_id": row.document_id, "page": page}


def stop(actor, meeting):
    """End the presentation; stopping when nothing is presented changes nothing."""
    _require_presenter(actor, meeting)
    row = db.session.get(Presentation, meeting.id)
    if row is None:
        return state(meeting)
    audit.record(actor, "meeting.document_stop", row.document, object_type="meeting_document",
                 meeting_id=meeting.id)
    db.session.delete(row)
    publish("document:stop", {"meeting_id": meeting.id}, to=room(meeting.id))
    db.session.commit()
    return {"meeting_id": meeting.id, "presenting": None}


"""The meeting's papers as pages: the list with the upload form, one paper in the viewer (pdf.js, in the page's
own script), and the file the viewer reads. Anyone but the participants gets 404, as on the API."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import NotFound
from core.forms import call_service
from core.i18n import register_js_strings
from meetings import bp, meeting_documents, permissions, presenting, queries
from meetings.api_documents import form_fields

register_js_strings({
    "doc_page_of": _l("Page %(page)s of %(pages)s"),
    "doc_loading": _l("Loading the document…"),
    "doc_failed": _l("The document could not be shown. Download it instead."),
    "doc_presenting": _l("%(name)s is presenting"),
    "doc_following": _l("You follow the presenter"),
    "doc_away": _l("You are reading on your own"),
    "doc_stopped": _l("The presentation has ended."),
    "doc_present_error": _l("The document could not be presented."),
    "doc_you_present": _l("You are presenting"),
    "doc_prev": _l("Previous page"),
    "doc_next": _l("Next page"),
    "doc_zoom_in": _l("Zoom in"),
    "doc_zoom_out": _l("Zoom out"),
    "doc_fit_width": _l("Fit to width"),
})


def _meeting(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id, full=True)
    if not permissions.can_see_documents(current_user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


@bp.route("/meetings/<int:meeting_id>/documents", methods=["GET", "POST"])
@login_required
def documents(meeting_id):
    meeting = _meeting(meeting_id)
    errors = {}
    if request.method == "POST":
        doc, errors = call_service(meeting_documents.upload, current_user, meeting, request.files.get("file"),
                                   form_fields(), field="file")
        if doc is not None:
            flash(_("%(name)s was added (version %(v)d).", name=doc.name, v=doc.version), "success")
            return redirect(url_for("meetings.documents", meeting_id=meeting.id))
    items = [item for item in meeting.agenda_items
             if permissions.can_upload_document(current_user, meeting, item)]
    can_meeting = permissions.can_upload_document(current_user, meeting)
    return render_template(
        "meetings/documents.html", meeting=meeting, groups=meeting_documents.grouped(current_user, meeting),
        upload_items=items, can_upload_to_meeting=can_meeting, can_upload=can_meeting or bool(items),
        participants=queries.participants_of(meeting), errors=errors, accept=meeting_documents.ACCEPT,
        max_mb=round(meeting_documents.max_bytes() / 1024 / 1024, 1),
        converter=meeting_documents.converter_available(),
    ), (422 if errors else 200)


@bp.route("/meetings/documents/<int:document_id>")
@login_required
def document(document_id):
    doc = meeting_documents.get_document(current_user, document_id)
    meeting = doc.meeting
    return render_template("meetings/document.html", doc=doc, meeting=meeting,
                           data=meeting_documents.document_dict(doc), readers=meeting_documents.readers_of(doc),
                           converter=meeting_documents.converter_available())


@bp.route("/meetings/documents/<int:document_id>/file")
@login_required
def document_file(document_id):
    return meeting_documents.view_file(current_user, document_id)


@bp.app_context_processor
def documents_helpers():
    def documents_card(meeting):
        """{count, url} for the meeting page's card, or None for someone who does not see the papers."""
        if not permissions.can_see_documents(current_user, meeting):
            return None
        return {"count": meeting_documents.count_visible(current_user, meeting),
                "url": url_for("meetings.documents", meeting_id=meeting.id)}

    def room_documents(meeting):
        """What the room's presenting card needs, or None for someone who does not see the papers."""
        if not permissions.can_see_documents(current_user, meeting):
            return None
        docs = [d for d in meeting_documents.list_documents(current_user, meeting)
                if not d.restricted and (d.readable_as_pdf or d.is_image)]
        latest = {}
        for d in docs:  # newest version first in each series
            latest.setdefault((d.agenda_item_id, d.name), d)
        return {"meeting_id": meeting.id, "can_present": permissions.can_present(current_user, meeting),
                "documents": [meeting_documents.document_dict(d) for d in latest.values()],
                "state": presenting.state(meeting), "list_url": url_for("meetings.documents", meeting_id=meeting.id),
                "worker_url": url_for("static", filename="vendor/pdfjs/pdf.worker.min.mjs"),
                "fonts_url": url_for("static", filename="vendor/pdfjs/standard_fonts/")}

    return {"documents_card": documents_card, "room_documents": room_documents}

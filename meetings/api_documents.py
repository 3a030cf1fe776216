"""JSON endpoints of the meeting's papers (API.md): list, upload, download. Thin: parse, call
meetings.meeting_documents, serialize. Anyone but the meeting's participants gets 404."""
from flask import jsonify, request
from flask_login import current_user

from meetings import api_bp as api
from meetings import meeting_documents, queries


def form_fields():
    """The multipart form's fields as the service reads them (reader_ids may repeat)."""
    data = request.form.to_dict()
    data["reader_ids"] = [v for v in request.form.getlist("reader_ids") if v != ""]
    return data


@api.get("/meetings/<int:meeting_id>/documents")
def list_documents(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    docs = meeting_documents.list_documents(current_user, meeting)
    return jsonify(items=[meeting_documents.document_dict(d) for d in docs])


@api.post("/meetings/<int:meeting_id>/documents")
def upload_document(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    doc = meeting_documents.upload(current_user, meeting, request.files.get("file"), form_fields())
    return jsonify(meeting_documents.document_dict(doc)), 201


@api.get("/documents/<int:document_id>/download")
def download_document(document_id):
    return meeting_documents.download(current_user, document_id)


def _document():
    from core import openapi as oa

    item = oa._obj(id=oa.I, name=oa.S, size=oa.I, agenda_item_id={"type": ["integer", "null"]}, version=oa.I,
                   uploaded_by={"type": ["integer", "null"]}, uploaded_at=oa.S, kind=oa.S,
                   restricted={"type": "boolean"})
    upload_body = {"required": True, "content": {"multipart/form-data": {"schema": oa._obj(
        ["file"], file={"type": "string", "format": "binary"}, agenda_item_id={"type": "integer", "minimum": 1},
        restricted={"type": "boolean"}, reader_ids={"type": "array", "items": {"type": "integer", "minimum": 1}})}}}
    oa.path("/meetings/{meeting_id}/documents",
            get=oa._op("The meeting's papers, every version the caller may read: {items: [{id, name, size, "
                       "agenda_item_id, version, uploaded_by, uploaded_at, kind, restricted, ...}]} (a restricted "
                       "paper only for its named readers, the chair, the secretary and its uploader)",
                       "participants", errors=(401, 404), ok_schema=oa._obj(items={"type": "array", "items": item})),
            post=dict(oa._op("Upload a paper to the meeting or to one of its agenda items (PDF, DOCX, XLSX, PPTX, "
                             "PNG, JPEG, told by the content); the same name in the same place is a new version; "
                             "restricted with reader_ids limits who sees it; at most MEETING_DOCUMENT_MAX_MB",
                             "chair, secretary, the item's presenter", 201, ok_schema=item,
                             errors=(400, 401, 403, 404, 413, 422)), requestBody=upload_body))
    download = oa._op("The paper's original file, as an attachment", "participants who may read it",
                      errors=(401, 404))
    download["responses"]["200"] = {"description": "The file: PDF, DOCX, XLSX, PPTX, PNG or JPEG",
                                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
    oa.path("/documents/{document_id}/download", get=download)


_document()

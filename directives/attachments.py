"""Files attached to directives and to progress reports.

Stored under ``<instance>/uploads`` with random names (the user's file name is kept only in the
database and used for the download), with a size limit and a list of allowed types:
config DIRECTIVE_ATTACHMENT_MAX_MB (default 10) and DIRECTIVE_ATTACHMENT_EXTENSIONS
(default pdf, doc, docx, xls, xlsx, odt, ods, jpg, jpeg, png, zip). The content type is
derived from the extension, never taken from the client.
"""
from flask_babel import gettext as _
from flask_login import current_user

from core import audit, uploads
from core.errors import Forbidden, Invalid, NotFound, ServiceError
from core.extensions import db
from directives import permissions
from directives.models import Attachment, Directive, ProgressReport
from directives.tracking import setting

#: the longest file name kept (the column holds 255)
MAX_NAME = uploads.MAX_NAME

DEFAULT_EXTENSIONS = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
}


class TooLarge(ServiceError):
    status, code = 413, "too_large"


def upload_folder():
    return uploads.instance_folder("uploads")


def max_bytes():
    return int(float(setting("DIRECTIVE_ATTACHMENT_MAX_MB", 10)) * 1024 * 1024)


def allowed_extensions():
    configured = setting("DIRECTIVE_ATTACHMENT_EXTENSIONS", None)
    if not configured:
        return dict(DEFAULT_EXTENSIONS)
    if isinstance(configured, str):
        configured = [e.strip() for e in configured.split(",")]
    return {ext.lower().lstrip("."): DEFAULT_EXTENSIONS.get(ext.lower().lstrip("."), "application/octet-stream")
            for ext in configured if ext}


def accept_attribute():
    """For <input type=file accept=...>."""
    return ",".join(f".{ext}" for ext in sorted(allowed_extensions()))


def _check_owner(actor, owner):
    if isinstance(owner, Directive):
        if not permissions.can_view_directive(actor, owner):
            raise NotFound(_("Directive not found."))
        if not (permissions.can_correct(actor, owner) or owner.issuer_id == getattr(actor, "id", None)):
            raise Forbidden(_("Only leaders can attach files to a directive."))
        return owner.id, None
    if isinstance(owner, ProgressReport):
        assignment = owner.assignment
        if not permissions.can_view_directive(actor, assignment.directive):
            raise NotFound(_("Report not found."))
        if not permissions.can_act(actor, assignment):
            raise Forbidden(_("Only officers of the assigned agency can attach files to its reports."))
        return assignment.directive_id, owner.id
    raise TypeError("attachments belong to a Directive or a ProgressReport")


def _extension(name):
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _check_type(name, field):
    """The extension of ``name`` when its type is allowed, else Invalid naming ``field``."""
    ext = _extension(name)
    types = allowed_extensions()
    if ext not in types:
        raise Invalid({field: _("File type not allowed. Allowed: %(types)s", types=", ".join(sorted(types)))})
    return ext


def _too_large_message(limit):
    return _("The file is too large (at most %(mb)s MB).", mb=round(limit / 1024 / 1024, 1))


def precheck(files, field):
    """Refuse a bad file before anything is written, so a report or a directive is never saved
    without the file the user chose (save_upload checks again when it stores it): Invalid naming
    ``field`` for a type not allowed, a file too large or an empty one."""
    limit = max_bytes()
    for upload in files:
        _check_type((upload.filename or "").rsplit("/", 1)[-1], field)
        size = uploads.stream_size(upload.stream)
        if size is not None and size > limit:
            raise Invalid({field: _too_large_message(limit)})
        if size == 0:
            raise Invalid({field: _("The file is empty.")})


def save_upload(file, owner, actor=None, field="file"):
    """Store one uploaded file (a werkzeug FileStorage) for ``owner`` (a Directive or ProgressReport).

    Returns the Attachment (committed), or None when no file was chosen. A file over the size limit
    raises TooLarge (413); a type that is not allowed raises Invalid naming ``field`` (422)."""
    if file is None or not getattr(file, "filename", ""):
        return None
    actor = actor if actor is not None else current_user
    directive_id, report_id = _check_owner(actor, owner)
    name = uploads.clean_name(file.filename)
    ext = _check_type(name, field)
    stored_name = uploads.random_name(ext)
    path = upload_folder() / stored_name
    try:
        size = _write(file, path)
        if size == 0:
            raise Invalid({field: _("The file is empty.")})
        attachment = Attachment(directive_id=directive_id, report_id=report_id, original_name=name,
                                stored_name=stored_name, size=size, content_type=allowed_extensions()[ext],
                                uploaded_by_id=getattr(actor, "id", None))
        db.session.add(attachment)
        audit.record(actor, "attachment.upload", attachment, directive_id=directive_id, report_id=report_id,
                     name=name, size=size)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return attachment


def _write(file, path):
    """Copy the upload to ``path`` in chunks and return its size; TooLarge past the limit."""
    limit = max_bytes()
    return uploads.copy_limited(file.stream, path, limit, lambda: TooLarge(_too_large_message(limit)))


def save_uploads(files, owner, actor=None, field="file"):
    """Store several files, one commit each; a refused file stops the rest (earlier ones stay)."""
    return [a for a in (save_upload(f, owner, actor, field) for f in files or ()) if a is not None]


def get_attachment(user, attachment_id):
    """The attachment if ``user`` may see it: a directive's file with the directive, a report's file with
    that report's assignment (a sibling commune's reports are not theirs to read), else NotFound."""
    attachment = db.session.get(Attachment, attachment_id) if attachment_id is not None else None
    if attachment is None or not permissions.can_view_directive(user, attachment.directive):
        raise NotFound(_("File not found."))
    if attachment.report_id is not None and not permissions.can_view_assignment(user, attachment.report.assignment):
        raise NotFound(_("File not found."))
    return attachment


def open_attachment(user, attachment_id):
    """The download response for someone allowed to see the directive; NotFound otherwise."""
    attachment = get_attachment(user, attachment_id)
    path = upload_folder() / attachment.stored_name
    if not path.is_file():
        raise NotFound(_("File not found."))
    return uploads.private_file(path, attachment.content_type, attachment.original_name)

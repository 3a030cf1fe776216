"""The words for a participant's role in a meeting, one table for the pages, the attendance exports
and the Word minutes (which write them in Vietnamese with ``force_locale("vi")``)."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "chair": _l("Chair"),
    "secretary": _l("Secretary"),
    "member": _l("Member"),
    "guest": _l("Guest"),
}

"""The words for a participant's role in a meeting, one table for the pages, the attendance exports
and the Word minutes (which write them in Vietnamese with ``force_locale("vi")``)."""
from flask_babel import lazy_gettext as _l

from meetings.models import ParticipantRole

ROLE_LABELS = {
    ParticipantRole.CHAIR: _l("Chair"),
    ParticipantRole.SECRETARY: _l("Secretary"),
    ParticipantRole.MEMBER: _l("Member"),
    ParticipantRole.GUEST: _l("Guest"),
}

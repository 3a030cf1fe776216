"""Protocol order: how a Vietnamese provincial office lists people and agencies.

On an invitation, an attendance list or a biên bản: the provincial leaders first
(the chairman, then the vice-chairmen), then the agencies by kind (the provincial
office, departments, districts, communes), each kind in alphabetical order, and
within an agency its people by name; names in Vietnamese order (core.collation).
"""
from auth import permissions
from auth.models import AgencyKind
from core.collation import sort_key

_KIND_RANK = {kind: n for n, kind in enumerate(AgencyKind)}


def agency_key(agency):
    """Sort key of an agency (or None: no agency, first)."""
    if agency is None:
        return (-1, ())
    return agency_order(agency.name, agency.kind)


def agency_order(name, kind):
    """Sort key of an agency known by its name and kind (e.g. in serialized data)."""
    return (_KIND_RANK.get(kind, len(_KIND_RANK)), sort_key(name))


def _leader_rank(user):
    title = (user.title or "").lower()
    if "phó" in title:
        return 1
    if "chủ tịch" in title:
        return 0
    return 2


def person_key(user):
    """Sort key of a user: leaders (chairman, vice-chairmen, others), then by agency, then name."""
    if permissions.is_leader(user):
        return (0, _leader_rank(user), (), sort_key(user.full_name))
    return (1, 0, agency_key(user.agency), sort_key(user.full_name))


def affiliation(user, role_label=""):
    """What follows a person's role: their title and agency, each said once.

    An officer titled "Chuyên viên" is not "Chuyên viên Chuyên viên"; a title that names its
    agency does not repeat it; a leader's title says what they lead ("Chủ tịch UBND tỉnh"), so the
    office that keeps their account is not shown as theirs.
    """
    title = (user.title or "").strip()
    agency = user.agency.name if user.agency else ""
    parts = []
    if title and title.casefold() != str(role_label).strip().casefold():
        parts.append(title)
    if agency and not (title and (permissions.is_leader(user) or agency.casefold() in title.casefold())):
        parts.append(agency)
    return " · ".join(parts)

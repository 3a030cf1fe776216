"""Every change to agencies: create one, rename it, move it in the tree, close it."""
from flask_babel import gettext as _

from auth import permissions
from auth.models import Agency, AgencyKind, User
from core import audit
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import SocketConnection, disconnect_where, row_id
from core.validation import Fields

#: what its people may do follows from these (a leader of the provincial office is province-wide; rooms by tree)
ACCESS_FIELDS = {"kind", "parent_id", "active"}


def get_agency(agency_id):
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None:
        raise NotFound(_("Agency not found."))
    return agency


def _agency_fields(data, agency=None):
    f = Fields(data)
    code = f.str("code", required=agency is None, max_len=32)
    name = f.str("name", required=agency is None, max_len=255)
    kind = f.choice("kind", tuple(AgencyKind), required=False,
                    default=agency.kind if agency else AgencyKind.DEPARTMENT.value)
    parent_id = f.int("parent_id", required=False) if f.has("parent_id") else None
    parent = None
    if parent_id is not None:
        parent = db.session.get(Agency, parent_id)
        if parent is None:
            f.error("parent_id", _("No such agency."))
        elif agency is not None and _is_descendant(parent, agency):
            f.error("parent_id", _("An agency cannot be placed under itself."))
    f.check()
    return f, code, name, kind, parent


def _is_descendant(candidate, agency):
    node = candidate
    while node is not None:
        if node.id == agency.id:
            return True
        node = node.parent
    return False


def _check_code_free(code, agency=None):
    taken = db.select(Agency.id).where(Agency.code == code)
    if agency is not None:
        taken = taken.where(Agency.id != agency.id)
    if db.session.scalar(taken):
        raise Conflict(_("An agency with code %(code)s already exists.", code=code), code="duplicate")


def _given(**values):
    """The values that were given (an empty code or name keeps the old one)."""
    return {name: value for name, value in values.items() if value}


def create_agency(actor, data):
    if not permissions.can_manage_agencies(actor):
        raise Forbidden(_("Only administrators manage agencies."))
    f, code, name, kind, parent = _agency_fields(data)
    code = code.upper()
    _check_code_free(code)
    agency = Agency(code=code, name=name, kind=kind, parent=parent)
    db.session.add(agency)
    audit.record(actor, "agency.create", agency, code=code, name=name)
    db.session.commit()
    return agency


def update_agency(actor, agency, data):
    if not permissions.can_manage_agencies(actor):
        raise Forbidden(_("Only administrators manage agencies."))
    f, code, name, kind, parent = _agency_fields(data, agency)
    code = code.upper() if code else None
    if code and code != agency.code:
        _check_code_free(code, agency)
    changes = audit.apply_changes(agency, _given(code=code, name=name, kind=kind))
    if "parent_id" in f.data:
        changes |= audit.apply_changes(agency, {"parent_id": parent.id if parent else None})
        agency.parent = parent
    if "active" in f.data:
        changes |= audit.apply_changes(agency, {"active": f.bool("active")})
    if "approval_required" in f.data:
        changes |= audit.apply_changes(agency, {"approval_required": f.bool("approval_required")})
    if changes:
        audit.record(actor, "agency.update", agency, **changes)
    db.session.commit()
    if ACCESS_FIELDS & changes.keys():
        _close_sockets_of(agency)
    return agency


def _close_sockets_of(agency):
    """Its people's sockets keep the user and the rooms they connected with: they reconnect as what they are now."""
    agency_id = row_id(agency)
    disconnect_where(SocketConnection.user_id.in_(db.select(User.id).where(User.agency_id == agency_id)),
                     kept=lambda kept: kept.user.agency_id == agency_id)


def set_approval_required(actor, agency, data):
    """Whether an officer's result for ``agency`` waits for its leader's approval before it goes up.
    data: approval_required (true/false). Admins and the agency's own leaders; audited."""
    if not permissions.can_set_approval(actor, agency):
        raise Forbidden(_("Only the agency's leaders or an administrator can change this."))
    f = Fields(data)
    if not f.has("approval_required"):
        f.error("approval_required", _("Say whether results need the leader's approval."))
    value = f.bool("approval_required")
    f.check()
    changes = audit.apply_changes(agency, {"approval_required": value})
    if changes:
        audit.record(actor, "agency.update", agency, **changes)
    db.session.commit()
    return agency

"""Every action a service audits, and every key it records, reads in words on the audit page:
a new audit.record(...) without a label fails here, not in front of an administrator."""
import ast
from pathlib import Path

from auth import audit_labels

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("auth", "core", "directives", "meetings", "notifications")


def _audit_calls():
    for module in MODULES:
        for path in (ROOT / module).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                    yield path.relative_to(ROOT), node


def test_every_audited_action_has_a_label():
    from directives.services import record_change  # noqa: F401  (assignment actions are f"assignment.{action}")

    missing = []
    for path, call in _audit_calls():
        action = call.args[1] if len(call.args) > 1 else None
        if isinstance(action, ast.Constant) and action.value not in audit_labels.ACTION_LABELS:
            missing.append(f"{path}: {action.value}")
    assert missing == []


def test_every_assignment_action_has_a_label():
    from directives.models import EventAction

    # every history action but the issue and a correction's (the directive's own audit rows say those)
    # is audited as assignment.<action> by directives.services.record_change
    not_audited = {EventAction.ISSUE, EventAction.CORRECT, EventAction.ADD, EventAction.REMOVE}
    actions = {str(a) for a in EventAction if a not in not_audited}
    assert sorted(a for a in actions if f"assignment.{a}" not in audit_labels.ACTION_LABELS) == []


def test_every_recorded_key_has_a_label():
    missing = []
    for path, call in _audit_calls():
        for kw in call.keywords:
            if kw.arg and kw.arg not in audit_labels.FIELD_LABELS and kw.arg not in ("from_status", "to_status",
                                                                                       "changed"):
                missing.append(f"{path}: {kw.arg}")
    # keys passed through **data into assignment rows
    for key in ("old_deadline", "new_deadline", "requested_deadline", "lead_assignment_id", "extension_id"):
        if key not in audit_labels.FIELD_LABELS:
            missing.append(f"directives/services.py (**data): {key}")
    assert missing == []

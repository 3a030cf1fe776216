"""The shape the code keeps (docs/DEVELOPING.md): core knows no domain module, functions stay small,
files stay readable, role checks live in permissions modules."""
import ast
import re
from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("auth", "directives", "meetings", "notifications")
APP_FILES = sorted(p for folder in ("core", *DOMAIN) for p in (ROOT / folder).rglob("*.py")) + [ROOT / "wsgi.py"]
MAX_COMPLEXITY = 15
MAX_LINES = 500
#: a longer file says why in its first lines, e.g. "# Longer than 500 lines: ..."
SIZE_REASON = re.compile(r"longer than 500 lines", re.IGNORECASE)


def _name(path):
    return str(path.relative_to(ROOT))


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_core_imports_no_domain_module():
    """Domain modules plug into core through registries and signals, never the other way round."""
    found = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if module.split(".")[0] in DOMAIN:
                found.append(f"{_name(path)} imports {module}")
    assert found == []


def test_no_function_above_complexity_15():
    too_complex = [
        f"{_name(path)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in APP_FILES
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if block.complexity > MAX_COMPLEXITY
    ]
    assert too_complex == [], "split these into named steps"


def test_no_file_above_500_lines_without_a_reason_at_its_top():
    too_long = []
    for path in APP_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES and not any(SIZE_REASON.search(line) for line in lines[:5]):
            too_long.append(f"{_name(path)} ({len(lines)} lines)")
    assert too_long == [], "split along the file's own seams, or say at its top why it is one file"


USER_ROLE_CHECK = re.compile(r"\b(user|actor|current_user|viewer|u)\.role\s*(==|!=|in\b|not in\b)")


@pytest.mark.parametrize("folder", ["core", *DOMAIN, "templates"])
def test_user_roles_are_checked_only_in_permissions_modules(folder):
    """Who may do what is said once per module, in permissions.py; pages, services and templates ask it."""
    found = []
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix not in (".py", ".html") or path.name == "permissions.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if USER_ROLE_CHECK.search(line):
                found.append(f"{_name(path)}:{n}: {line.strip()}")
    assert found == []

"""The demo province gets directives in every state, so the dashboard is not empty, and a cascade
(province → district → commune → an officer) with a node in every state."""
import importlib
import types
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from directives import queries
from directives.models import Directive


@pytest.fixture
def seeded(app, monkeypatch):
    """The demo province with its people and directives only (no meetings)."""
    from core import demo

    real = importlib.import_module

    def only_directives(name, *args):
        if name.endswith(".demo") and name not in ("auth.demo", "directives.demo"):
            raise ModuleNotFoundError(name=name)
        return real(name, *args)

    monkeypatch.setattr(demo, "importlib", types.SimpleNamespace(import_module=only_directives))
    return demo.seed()


def test_demo_directives_cover_every_state(seeded):
    # nine provincial directives and two passed down the cascade (after a year of past ones: demo_history)
    recent = db.select(db.func.count(Directive.id)).where(Directive.issued_at >= utcnow() - timedelta(days=41))
    assert 6 <= db.session.scalar(recent) <= 12
    stats = queries.agency_stats()
    totals = queries.stats_totals(stats)
    for key in ("on_track", "due_soon", "overdue", "completed_on_time", "completed_late"):
        assert totals[key] > 0, key
    statuses = set(db.session.scalars(db.select(Directive.status)))
    assert statuses == {"issued", "cancelled", "closed"}
    from auth.models import User

    syt1 = db.session.scalar(db.select(User).where(User.username == "syt1"))
    assert queries.inbox(syt1)[0].status == "pending"


def _user(username):
    from auth.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


def test_demo_cascade_passes_down_three_levels_with_a_node_in_every_state(seeded):
    from directives.models import Assignment, ExtensionRequest
    from directives.tracking import tracking_of

    children = db.session.scalars(db.select(Assignment).where(Assignment.parent_id.is_not(None))).all()
    statuses = {a.status for a in children}
    assert {"pending", "acknowledged", "in_progress", "submitted", "completed"} <= statuses
    submitted = [a for a in children if a.status == "submitted"]
    assert any(a.approved_at is None for a in submitted)  # waiting for the commune chairman's approval
    assert any(a.approved_at is not None for a in submitted)  # gone up, waiting for whoever passed it on
    tracking = {tracking_of(a) for a in children}
    assert {"overdue", "completed_on_time", "completed_late"} <= tracking
    pending_extensions = db.session.scalars(db.select(ExtensionRequest).where(
        ExtensionRequest.status == "pending", ExtensionRequest.assignment_id.in_([a.id for a in children]))).all()
    assert pending_extensions
    # province → district → commune → an officer of the commune, personally; nothing deeper than that
    officer_shares = [a for a in children if a.assignee_id is not None]
    chains = [[a.parent.parent, a.parent, a] for a in officer_shares if a.parent.parent_id is not None]
    assert chains
    for district, commune, share in chains:
        assert district.parent_id is None and district.agency.kind == "district"
        assert commune.agency.kind == "commune" and commune.agency.parent_id == district.agency_id
        assert share.agency_id == commune.agency_id and share.assignee.agency_id == commune.agency_id
    # the overdue officer is the one the logins name, and each child's deadline is within its parent's
    xdt2 = _user("xdt2")
    assert [tracking_of(a) for a in officer_shares if a.assignee_id == xdt2.id] == ["overdue"]
    assert all(a.deadline <= a.parent.deadline for a in children)
    # one directive went all the way back up: completed at every level, closed
    closed = db.session.scalars(db.select(Directive).where(Directive.status == "closed")).all()
    assert any(any(a.parent_id is not None for a in d.assignments) for d in closed)


def test_demo_leaders_lead_their_agencies_and_the_old_logins_stay(seeded):
    from auth import permissions as auth_permissions
    from auth.demo import print_logins

    hdsct, xdhct = _user("hdsct"), _user("xdhct")
    assert hdsct.role == "leader" and hdsct.agency.code == "HDS" and hdsct.title == "Chủ tịch UBND huyện Đông Sơn"
    assert xdhct.role == "leader" and xdhct.agency.code == "XDH" and xdhct.agency.parent.code == "HDS"
    assert auth_permissions.is_agency_leader(hdsct) and not auth_permissions.province_wide(hdsct)
    for district in ("TPTT", "HDS", "HTH", "TXBL"):
        from auth.models import Agency

        agency = db.session.scalar(db.select(Agency).where(Agency.code == district))
        assert 2 <= len(agency.children) <= 4 and all(c.kind == "commune" for c in agency.children)
        assert any(u.role == "leader" for u in agency.users)
    # the logins tests and the README rely on are unchanged
    assert _user("syt1").full_name == "Đỗ Văn Long" and _user("hds1").agency.code == "HDS"
    assert {_user(n).role for n in ("chutich", "phochutich")} == {"leader"}
    lines = []
    print_logins(lines.append)
    printed = "\n".join(lines)
    for username in ("chutich", "syt1", "hdsct", "xdhct", "xdt2"):
        assert f"  {username}" in printed or f", {username}" in printed, username


def test_demo_history_is_a_year_that_improves_and_agencies_that_differ(seeded):
    from directives import execution

    today = utcnow().date()
    last = execution.month_period(*((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)))
    months = execution.months_of(execution.Period(last.first.replace(year=last.first.year - 1, day=1), last.last))[1:]
    totals = [m["totals"] for m in execution.trend(None, months)["months"]]
    assert len(totals) == 12 and all(t["due"] >= 20 for t in totals)

    def mean(key, part):
        return sum(t[key] for t in part) / len(part)

    early, late = totals[:3], totals[-3:]
    assert mean("on_time_rate", late) >= mean("on_time_rate", early) + 20
    assert mean("median_handling_seconds", late) <= 0.4 * mean("median_handling_seconds", early)  # down over 60%
    assert mean("median_ack_seconds", late) <= 0.5 * mean("median_ack_seconds", early)
    report = execution.report(None, last)
    assert len({r["on_time_rate"] for r in report["agencies"] if r["due"]}) > 1
    assert report["previous"]["totals"]["due"] > 0


def test_demo_history_rows_are_what_the_services_would_write(seeded):
    from directives.models import Assignment, AssignmentEvent, ExtensionRequest, ProgressReport

    year_ago = utcnow() - timedelta(days=300)
    old = db.session.scalars(db.select(Assignment).join(Directive).where(Directive.issued_at < year_ago)).all()
    assert old
    for a in old:
        events = a.events
        assert events[0].action == "issue" and events[0].from_status is None
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert all(e2.from_status == e1.to_status for e1, e2 in zip(events, events[1:], strict=False))
        assert (events[-1].to_status, events[-1].deadline) == (a.status, a.deadline)
        acks = [e.created_at for e in events if e.action == "acknowledge"]
        assert a.acknowledged_at == (acks[0] if acks else None)
        if a.status == "completed":
            assert a.completed_at == events[-1].created_at and a.submitted_at and a.approved_at
        if a.parent_id is not None:
            assert a.deadline <= a.parent.deadline and a.assigned_by_id is not None
    # an approved extension moved the deadline, as its history says
    ext = db.session.scalar(db.select(ExtensionRequest).where(ExtensionRequest.status == "approved").limit(1))
    grant = next(e for e in ext.assignment.events if e.action == "extension_approve")
    assert grant.data["extension_id"] == ext.id and grant.deadline == ext.requested_deadline
    assert grant.data["old_deadline"] == ext.old_deadline.isoformat()
    # open and overdue ones say why in a progress note; directives are numbered without a gap or a clash
    overdue = db.session.scalars(db.select(Assignment).join(Directive).where(
        Assignment.status == "in_progress", Assignment.deadline < utcnow() - timedelta(days=20))).all()
    assert overdue and all(a.reports and a.reports[-1].note for a in overdue)
    for year in set(db.session.scalars(db.select(Directive.year))):
        seqs = sorted(db.session.scalars(db.select(Directive.seq).where(Directive.year == year)))
        assert seqs == list(range(1, len(seqs) + 1))
    assert db.session.scalar(db.select(db.func.count(AssignmentEvent.id))) > 3000
    assert db.session.scalar(db.select(db.func.count(ProgressReport.id))) > 1000

"""The demo province gets directives in every state, so the dashboard is not empty."""
import importlib
import types

from core.extensions import db
from directives import queries
from directives.models import Directive


def test_demo_directives_cover_every_state(app, monkeypatch):
    from core import demo

    real = importlib.import_module

    def only_directives(name, *args):
        if name.endswith(".demo") and name not in ("auth.demo", "directives.demo"):
            raise ModuleNotFoundError(name=name)
        return real(name, *args)

    monkeypatch.setattr(demo, "importlib", types.SimpleNamespace(import_module=only_directives))
    demo.seed()
    assert 6 <= db.session.scalar(db.select(db.func.count(Directive.id))) <= 10
    stats = queries.agency_stats()
    totals = queries.stats_totals(stats)
    for key in ("on_track", "due_soon", "overdue", "completed_on_time", "completed_late"):
        assert totals[key] > 0, key
    statuses = set(db.session.scalars(db.select(Directive.status)))
    assert statuses == {"issued", "cancelled", "closed"}
    from auth.models import User

    syt1 = db.session.scalar(db.select(User).where(User.username == "syt1"))
    assert queries.inbox(syt1)[0].status == "pending"

"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from core import create_app
from core.extensions import db
from tests.conftest import make_test_config


def _diff(app):
    with app.app_context():
        upgrade(revision="heads")
        upgrade(revision="heads")  # a second run changes nothing
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return compare_metadata(ctx, db.metadata)


def test_migrations_match_models_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    assert _diff(app) == []

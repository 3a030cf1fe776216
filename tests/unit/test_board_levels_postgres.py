"""The board by level on PostgreSQL: the same cascade, the same exact numbers as on SQLite (the giver
expression, the ranking, the medians aggregated with string_agg), and the same statement count for one
and three cascades. Uses a database of its own, so parallel test runs do not collide."""
import pytest

from tests.api.test_board_levels import (  # noqa: F401 (fixtures and tests run again here, on PostgreSQL)
    data,
    prov,
    test_constant_number_of_statements,
    test_district_level_counts_what_the_district_gave,
    test_each_assignment_is_counted_once_over_all_levels,
    test_province_level_counts_what_the_province_gave,
    test_ranking_by_on_time_rate_then_overdue,
)
from tests.conftest import fresh_postgres_database


@pytest.fixture
def app_config():
    with fresh_postgres_database("boardtest") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


def test_it_runs_on_postgres(app):
    from core.extensions import db

    assert db.engine.dialect.name == "postgresql"

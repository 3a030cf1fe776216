"""Column types and helpers shared by every module's models."""
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator


def utcnow():
    """Now, as an aware UTC datetime: the only clock the code reads."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (portable across SQLite and PostgreSQL); read back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def isoformat(value):
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value is not None else None


def one_of(column, states):
    """The CHECK constraint keeping ``column`` to the values of a StrEnum (named ck_<table>_<column>
    by the metadata's naming convention; a NULL passes)."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(str(s)) for s in states)})", name=column)

"""Column types every table uses: UTC datetimes, enums stored as their values."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Enum, String
from sqlalchemy.types import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """UTC-aware datetimes. PostgreSQL: a timestamp column holding UTC. SQLite: fixed-width ISO text
    (sorts chronologically), formatted in C because bulk inserts bind tens of thousands of them."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(String(26) if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
        return value.isoformat(" ", "microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def str_enum(enum: type[StrEnum], length: int = 32) -> Enum:
    """A column holding an enum's values as plain strings (no database enum type): read back, it is the enum."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])

"""Bulk inserts through the driver's own executemany: a first scan writes ~100k file rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    """INSERT rows (lists in `columns` order) in one executemany, inside the session's transaction.

    SQLAlchemy compiles the statement for the dialect (placeholders differ between SQLite and
    PostgreSQL); values go to the driver as they are, except those of TypeDecorator columns,
    which their own type converts. Other values must be plain driver types (str, not StrEnum).
    Rows are converted in place.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    for i, name in enumerate(columns):
        convert = getattr(table.c[name].type, "process_bind_param", None)
        if convert is not None:
            for row in rows:
                row[i] = convert(row[i], dialect)
    if not compiled.positional:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    elif list(compiled.positiontup) == list(columns):
        params = [tuple(row) for row in rows]
    else:
        order = [columns.index(name) for name in compiled.positiontup]
        params = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(str(compiled), params)

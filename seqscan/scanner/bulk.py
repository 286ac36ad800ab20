"""Bulk inserts, one code path for both databases: PostgreSQL's COPY, elsewhere (SQLite) the
driver's own executemany. A first scan writes ~100k file rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    """INSERT rows (lists in `columns` order) inside the session's transaction; ids not given come
    from the table's sequence, as with INSERT. Each value is converted by its column's type as
    SQLAlchemy binds it (an enum to its value, a UTCDateTime as stored, a boolean); rows are
    converted in place."""
    if not rows:
        return
    connection = session.connection()
    _bind_values(connection, table, columns, rows)
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
    else:
        _executemany(connection, table, columns, rows)


def _bind_values(connection: Connection, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    dialect = connection.dialect
    for i, name in enumerate(columns):
        convert = table.c[name].type.bind_processor(dialect)
        if convert is not None:
            for row in rows:
                row[i] = convert(row[i])


def _copy(connection: Connection, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    """COPY FROM STDIN in text format: psycopg's write_row escapes tabs, newlines and backslashes
    (a file name may hold any of them) and writes None as NULL. Two round trips, whatever the rows."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as e:
        # As SQLAlchemy handles a driver's error: a lost connection is invalidated, the error wrapped
        # (IntegrityError, OperationalError…), so that seqscan.dberrors tells an outage from it.
        lost = dialect.is_disconnect(e, driver, None)
        if lost:
            connection.invalidate(e)
        raise DBAPIError.instance(
            statement, None, e, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from e


def _executemany(connection: Connection, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    """One executemany of the statement SQLAlchemy compiles for the dialect, rows as they are: about
    0.7 of the time of `execute(insert(table), rows)`, which builds a dict per row."""
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=list(columns))
    if not compiled.positional:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    elif list(compiled.positiontup) == list(columns):
        params = [tuple(row) for row in rows]
    else:
        order = [columns.index(name) for name in compiled.positiontup]
        params = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(str(compiled), params)

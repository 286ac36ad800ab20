"""Bulk writes, one code path for both databases: new rows by PostgreSQL's COPY, elsewhere (SQLite)
the driver's own executemany; updates by id through a COPY too, elsewhere one executemany. A first
scan writes ~100k file rows, a rescan updates those of every run it parses again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, bindparam
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
        _copy(connection, connection.dialect.identifier_preparer.format_table(table), columns, rows)
    else:
        _executemany(connection, table, columns, rows)


def update_rows(session: Session, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    """UPDATE rows by id (lists: the id, then the values of `columns`) inside the session's
    transaction. PostgreSQL: COPY into a temporary table, then one UPDATE … FROM it (20,000 rows in
    about 0.4 s, psycopg's pipelined executemany about 1 s); elsewhere one executemany. Rows are
    converted in place on PostgreSQL."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = table.update().where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
        connection.execute(statement, [dict(zip(("_id", *columns), row, strict=True)) for row in rows])
        return
    names = ("id", *columns)
    _bind_values(connection, table, names, rows)
    quote = connection.dialect.identifier_preparer
    target, staging = quote.format_table(table), quote.quote(f"{table.name}_update")
    listed = ", ".join(quote.quote(c) for c in names)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} AS SELECT {listed} FROM {target} WITH NO DATA")
    _copy(connection, staging, names, rows)
    sets = ", ".join(f"{quote.quote(c)} = s.{quote.quote(c)}" for c in columns)
    connection.exec_driver_sql(f"UPDATE {target} SET {sets} FROM {staging} AS s WHERE {target}.id = s.id")
    connection.exec_driver_sql(f"DROP TABLE {staging}")


def commit_without_waiting_for_disk(session: Session) -> None:
    """PostgreSQL: the current transaction's COMMIT returns before its WAL is flushed to disk
    (synchronous_commit off, this transaction only). A scan commits once a run: about a fifth of
    PostgreSQL's Create Models time was these flushes. A crash of the database server can lose the
    last few hundred milliseconds of commits, whole transactions only, never half of one: the runs in
    them lose their fingerprints with their records and are parsed again by the next scan. Elsewhere
    (SQLite, WAL with synchronous NORMAL) nothing to do."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _bind_values(connection: Connection, table: Table, columns: Sequence[str], rows: list[list]) -> None:
    dialect = connection.dialect
    for i, name in enumerate(columns):
        convert = table.c[name].type.bind_processor(dialect)
        if convert is not None:
            for row in rows:
                row[i] = convert(row[i])


def _copy(connection: Connection, table: str, columns: Sequence[str], rows: list[list]) -> None:
    """COPY FROM STDIN (table: its quoted name) in text format: psycopg's write_row escapes tabs,
    newlines and backslashes (a file name may hold any of them) and writes None as NULL. Two round
    trips, whatever the rows."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer
    statement = f"COPY {table} ({', '.join(quote.quote(c) for c in columns)}) FROM STDIN"
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

"""Engine set-up: SQLite safe for several workers, PostgreSQL pools that outlive a restart."""

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import Table, any_, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from kiosk.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_INSERTS: dict[tuple[str, str], Any] = {}


def dialect_insert(table: Table, finish: Callable[[Any], Any]) -> Any:
    """Return finish(INSERT INTO table) in this database's dialect (for ON CONFLICT clauses).

    Built once per table and dialect, then reused: SQLAlchemy compiles a statement object once,
    and these are the hot inserts and upserts (taps, rating counters, limit counters).
    """
    dialect = db.session.get_bind().dialect.name
    statement = _INSERTS.get((table.name, dialect))
    if statement is None:
        insert: postgresql.Insert | sqlite.Insert
        if dialect == "postgresql":
            insert = postgresql.insert(table)
        elif dialect == "sqlite":
            insert = sqlite.insert(table)
        else:
            raise RuntimeError(f"this application needs PostgreSQL or SQLite, not {dialect}")
        statement = _INSERTS[table.name, dialect] = finish(insert)
    return statement


def table_of(model: type[Any]) -> Table:
    """Return the Table that model is mapped to (SQLAlchemy types __table__ as any FromClause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table


def among(column: Any, values: Iterable[Any]) -> Any:
    """Return "column IN values" for a batch's many values (keys, ids).

    On PostgreSQL as "column = ANY(one array)": an IN list is one parameter per value, a
    statement whose text changes with the batch and which psycopg parses again each time
    (it caches statements only up to 4 KB); the array form is one short statement.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def engine_options(app: Flask) -> dict[str, object]:
    """Return SQLAlchemy engine options for the configured database."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options: dict[str, object] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]})
    else:
        # A connection the server closed (a restart) is replaced when taken from the pool.
        options.setdefault("pool_pre_ping", True)
    return options


def intend_write() -> None:
    """Declare that this app context will write, so its transactions take the write lock.

    Requests that change state do this implicitly; CLI commands that write call it.
    """
    g.kiosk_write_intent = True


def _wants_write_lock() -> bool:
    # A deferred SQLite transaction that reads and then writes fails at once with "database is
    # locked" if another process wrote in between (WAL snapshot too old), without waiting for
    # the busy timeout. Writers therefore take the lock up front with BEGIN IMMEDIATE.
    if has_app_context() and g.get("kiosk_write_intent"):
        return True
    return has_request_context() and request.method not in READ_METHODS


def configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    """Turn on WAL, foreign keys and a busy timeout; begin write transactions IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        statement = "BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN"
        # Straight to the driver, past exec_driver_sql's statement machinery, which every
        # transaction would pay. Errors are wrapped as exec_driver_sql would wrap them, so
        # "database is locked" still reaches the 503 handler as an OperationalError
        # (tests/views/test_backend_unavailable.py).
        # The engine is SQLite's, so its driver connection is pysqlite's (never None in "begin").
        driver = cast(sqlite3.Connection, conn.connection.driver_connection)
        try:
            driver.execute(statement)
        except sqlite3.Error as error:
            raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error


def init_database(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and apply per-backend engine settings."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    db.init_app(app)
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])

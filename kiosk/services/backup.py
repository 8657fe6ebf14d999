"""Consistent backups while the site serves, and restores into an empty database.

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot page by
page while other workers keep writing; a file copy could catch the database mid-transaction
and miss whatever still sits in the -wal file. PostgreSQL: pg_dump in custom format, restored
with pg_restore. A SQLite backup can also be restored into PostgreSQL (rows are copied through
the models), which is how an instance moves from SQLite to PostgreSQL.
"""

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import Engine, MetaData, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from kiosk.extensions import db
from kiosk.services.health import _heads, migrations_directory

BACKUP_NAME = re.compile(r"^kiosk-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.(?P<ext>sqlite3|dump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why and what to do."""


# --- locating pg_dump / pg_restore ----------------------------------------------------------


def pg_tool(name: str, bindir: str | None = None) -> str:
    """Return the path of a PostgreSQL client program (pg_dump, pg_restore).

    Looked up in bindir (the PG_BINDIR setting) if given, else on PATH, else in the newest
    /usr/lib/postgresql/<version>/bin, where Debian installs them.
    """
    if bindir:
        candidate = Path(bindir) / name
        if candidate.is_file():
            return str(candidate)
        raise BackupError(f"{name} not found in PG_BINDIR {bindir}")
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(re.sub(r"\D", "", Path(p).parts[-3]) or 0),
        reverse=True,
    )
    if candidates:
        return candidates[0]
    raise BackupError(f"{name} not found: apt-get install postgresql-client, or set PG_BINDIR")


def libpq_env(uri: str) -> dict[str, str]:
    """Return environment variables that point libpq programs at uri.

    The password travels in PGPASSWORD rather than on the command line, where `ps` shows it.
    """
    url = make_url(uri)
    env = dict(os.environ)
    pairs = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for key, value in pairs.items():
        if isinstance(value, tuple):
            value = value[0]
        if value:
            env[key] = str(value)
    return env


def describe(uri: str) -> str:
    """Return the database URL with its password hidden, for messages."""
    return make_url(uri).render_as_string(hide_password=True)


def backend_of(uri: str) -> str:
    """Return "sqlite" or "postgresql"."""
    name = make_url(uri).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def sqlite_file(uri: str) -> Path:
    """Return the file of a SQLite URL."""
    url = make_url(uri)
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


# --- backup ----------------------------------------------------------------------------------


def _target_name(directory: Path, extension: str, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path = directory / f"kiosk-{stamp}.{extension}"
    n = 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = directory / f"kiosk-{stamp}-{n}.{extension}"
    return path


def backup_database(
    uri: str, directory: Path, *, now: datetime | None = None, pg_bindir: str | None = None
) -> Path:
    """Write a consistent copy of the database into directory and return its path.

    The name is kiosk-YYYYMMDD-HHMMSS.sqlite3 (or .dump for PostgreSQL), in UTC; the file
    appears under that name only once complete.
    """
    directory.mkdir(parents=True, exist_ok=True)
    backend = backend_of(uri)
    now = now or datetime.now(UTC)
    target = _target_name(directory, "sqlite3" if backend == "sqlite" else "dump", now)
    partial = target.with_name(target.name + ".partial")
    try:
        if backend == "sqlite":
            _backup_sqlite(sqlite_file(uri), partial)
        else:
            _backup_postgres(uri, partial, pg_bindir)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"database file {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy is a single read transaction, i.e. one consistent
        # snapshot, and in WAL mode writers carry on meanwhile.
        src.backup(dst)
        # A self-contained file: no -wal/-shm beside the backup.
        dst.execute("PRAGMA journal_mode = DELETE")
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        raise BackupError(f"the backup copy failed its integrity check: {result}")


def _backup_postgres(uri: str, target: Path, bindir: str | None) -> None:
    command = [pg_tool("pg_dump", bindir), "--format=custom", "--no-password", f"--file={target}"]
    result = subprocess.run(  # noqa: S603  (fixed program, arguments built here)
        command, env=libpq_env(uri), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


def list_backups(directory: Path) -> list[Path]:
    """Return the backups in directory written by backup_database, oldest first."""

    def order(path: Path) -> tuple[str, int]:
        match = BACKUP_NAME.match(path.name)
        assert match is not None  # filtered below  # noqa: S101
        return match["stamp"], int(match["n"] or 1)

    found = [p for p in directory.iterdir() if p.is_file() and BACKUP_NAME.match(p.name)]
    return sorted(found, key=order)


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest keep backups in directory; return what was deleted.

    Only files named like this command's own backups are ever touched.
    """
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    backups = list_backups(directory)
    doomed = backups[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


# --- restore ---------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """Return "sqlite" or "pgdump" from the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pgdump"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file")


def row_counts(engine: Engine) -> dict[str, int]:
    """Return the number of rows in every table except Alembic's bookkeeping."""
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        metadata = MetaData()
        metadata.reflect(bind=conn, only=names)
        counts = {}
        for name in sorted(names):
            query = select(func.count()).select_from(metadata.tables[name])
            counts[name] = int(conn.execute(query).scalar_one())
        return counts


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    rows: int
    tables: int
    revision: str | None
    integrity: str | None  # SQLite's PRAGMA integrity_check answer


def drop_everything(engine: Engine) -> None:
    """Drop every table in the database (used only for a forced restore or a schema-only one)."""
    metadata = MetaData()
    with engine.begin() as conn:
        metadata.reflect(bind=conn)
        metadata.drop_all(bind=conn)


def restore_database(
    uri: str, backup: Path, *, engine: Engine, pg_bindir: str | None = None
) -> RestoreResult:
    """Replace the database's contents with backup (the caller checked that it may)."""
    kind = backup_kind(backup)
    backend = backend_of(uri)
    if backend == "sqlite":
        if kind != "sqlite":
            raise BackupError(
                "a PostgreSQL dump restores only into PostgreSQL (set DATABASE_URL to it)"
            )
        engine.dispose()
        integrity = _restore_sqlite(backup, sqlite_file(uri))
    else:
        engine.dispose()
        if kind == "pgdump":
            drop_everything(engine)
            _restore_postgres(uri, backup, pg_bindir)
        else:
            copy_sqlite_into(backup, engine)
        integrity = None
        engine.dispose()
    counts = row_counts(engine)
    return RestoreResult(sum(counts.values()), len(counts), _revision(engine), integrity)


def _restore_sqlite(backup: Path, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")
        integrity = "\n".join(row[0] for row in dst.execute("PRAGMA integrity_check"))
    finally:
        dst.close()
        src.close()
    if integrity != "ok":
        raise BackupError(f"the restored database failed its integrity check: {integrity}")
    return integrity


def _restore_postgres(uri: str, backup: Path, bindir: str | None) -> None:
    env = libpq_env(uri)
    command = [
        pg_tool("pg_restore", bindir),
        "--no-owner",  # the restoring role owns everything, whoever owned it before
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={env.get('PGDATABASE', '')}",
        str(backup),
    ]
    result = subprocess.run(  # noqa: S603  (fixed program, arguments built here)
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _chunks(rows: Iterator[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_sqlite_into(backup: Path, engine: Engine) -> None:
    """Copy a SQLite backup's rows into an empty PostgreSQL database at the same revision.

    The schema is built by the migrations (db upgrade), so the target is exactly what a
    fresh PostgreSQL instance would have; rows go through the models' column types, which
    turn SQLite's text dates and integer booleans into real ones.
    """
    source = create_engine(make_url(f"sqlite:///file:{backup}?mode=ro&uri=true"))
    try:
        revision = _revision(source)
        heads = _heads(migrations_directory())
        if revision is None or (revision,) != heads:
            raise BackupError(
                f"the SQLite backup is at revision {revision}, this code at {', '.join(heads)}: "
                "run 'flask --app kiosk db upgrade' on the SQLite instance, back it up again "
                "and restore that backup"
            )
        drop_everything(engine)
        upgrade(revision=revision)
        tables = list(db.metadata.sorted_tables)
        with source.connect() as src, engine.begin() as dst:
            present = set(inspect(src).get_table_names())
            for table in tables:
                if table.name not in present:
                    continue
                rows = (dict(row) for row in src.execute(select(table)).mappings())
                for batch in _chunks(rows, 1000):
                    dst.execute(table.insert(), batch)
                if "id" in table.c and table.c.id.autoincrement:
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
                        )
                    )
    finally:
        source.dispose()

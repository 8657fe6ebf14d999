"""The district benchmark's data: 50 stations and a year of ratings, on SQLite and PostgreSQL.

Calling record_rating() once per rating would take about a day at 10 million, so the rows are
bulk-inserted, but what derives from them comes from the project's own code: each log entry is
rating_log.chain_hash() of rating_log.rating_state() of the row, chained in id order, so
`flask verify-log` accepts it; the tallies are board_cache.rebuild()'s. self_check() records a
few hundred real ratings with record_rating() on top of the small database and compares.

The PostgreSQL database is copied from the SQLite one (COPY) and its tallies rebuilt there.
Both are cached under .cache/bench-district/, keyed by the schema (migration file names and
the models' source), the sources the generator relies on and GENERATOR_VERSION.
"""

import contextlib
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import time
from bisect import bisect
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import Hall, Staff, User, Window
from kiosk.services import board_cache, rating_log
from kiosk.services.accounts import create_user
from tests.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench-district"
GENERATOR_VERSION = 2  # bump when build_sqlite() changes what it writes
HALLS, WINDOWS, STAFF = 50, 8, 12
FULL_SIZE = 10_000_000
# Wednesday 30 December 2026, 14:00 in Shanghai: the year's data is in, today's afternoon too.
NOW = datetime(2026, 12, 30, 6, 0)
OFFSET = timedelta(hours=8)  # Asia/Shanghai has kept UTC+8 all year since 1991
FIRST_DAY = date(2026, 1, 1)
MEASURED_HALL = "s01"  # an average station: the pages are measured as its supervisor
PASSWORD = "bench-district-Supervisor-2026"  # noqa: S105 - a throwaway database's
# Ratings per local hour: busy mornings, a lunch lull, a second wave in the afternoon.
HOUR_WEIGHTS = {8: 3, 9: 9, 10: 10, 11: 7, 12: 1, 13: 2, 14: 4, 15: 4, 16: 3, 17: 1}
WEEKDAY_WEIGHTS = (1.3, 1.0, 1.0, 1.0, 0.9, 0.45, 0.0)  # Monday … Sunday (closed)
MONTH_WEIGHTS = (1.2, 0.7, 1.1, 1.0, 1.0, 1.0, 1.05, 1.05, 1.0, 0.9, 1.0, 1.2)
HOLIDAYS = {
    *(date(2026, 2, 15) + timedelta(days=n) for n in range(9)),  # 春节
    date(2026, 4, 6),
    *(date(2026, 5, 1) + timedelta(days=n) for n in range(5)),
    date(2026, 6, 19),
    *(date(2026, 10, 1) + timedelta(days=n) for n in range(8)),
}
CHANNELS = (("qr", 0.70), ("kiosk", 0.20), ("pad", 0.08), ("api", 0.02))
FLAG_SETS = (["burst"], ["off_hours"], ["staff_device"], ["burst", "staff_device"])
FLAGGED_SHARE = 0.012  # screened into quarantine at the tap
COMPLAINT_SHARE = 0.35  # of 差评
COMPLAINT_TEXTS = ("排队等了很久。", "材料要求没有一次说清楚，跑了两趟。", "工作人员态度不耐烦。")


def sizes() -> tuple[int, int]:
    """Return (small, full) numbers of ratings: BENCH_DISTRICT_SCALE × 10M and 1/100 of it."""
    full = int(FULL_SIZE * float(os.environ.get("BENCH_DISTRICT_SCALE", "1")))
    return full // 100, full


def _stamp(moment: datetime) -> str:
    # The text form SQLAlchemy stores SQLite DateTime columns in (PostgreSQL's COPY reads it too).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def cache_key() -> str:
    """Return the hash of everything a cached database depends on."""
    parts = [f"g{GENERATOR_VERSION} h{HALLS} w{WINDOWS} s{STAFF} now{NOW.isoformat()}"]
    parts += sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    sources = sorted((ROOT / "kiosk" / "models").glob("*.py"))
    sources += [ROOT / "kiosk" / "services" / n for n in ("board_cache.py", "rating_log.py")]
    parts += [p.read_text() for p in sources]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def make_app(url: str):  # type: ignore[no-untyped-def]
    """Return the application on a benchmark database, its clock at NOW."""
    CACHE.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "SECRET_KEY": "bench-district",
            "SQLALCHEMY_DATABASE_URI": url,
            "CLOCK": lambda: NOW,
            "LOG_REQUESTS": False,  # a log line per request would be measured too
        },
        instance_path=str(CACHE / "instance"),
    )


class _Row:
    """What rating_log.rating_state() reads of a rating, without an ORM object."""

    __slots__ = (
        "channel",
        "created_at",
        "flags",
        "hall_id",
        "id",
        "idempotency_key",
        "level",
        "received_at",
        "staff_id",
        "status",
        "verified",
        "window_id",
    )


class _Progress:
    """Print rows done and rows per second every 15 s, and once when the total is reached."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.done = what, total, 0
        self.started = self.last = time.perf_counter()
        self.reached = False

    def add(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        reached = self.done >= self.total and not self.reached
        if reached or (now - self.last >= 15 and not self.reached):
            self.last, self.reached = now, self.reached or reached
            rate = self.done / max(now - self.started, 1e-9)
            print(
                f"    {self.what}: {self.done:,} / ~{self.total:,} "
                f"({rate:,.0f}/s, {now - self.started:.0f} s)",
                flush=True,
            )


def _open_days() -> list[date]:
    today = (NOW + OFFSET).date()
    days = [FIRST_DAY + timedelta(days=n) for n in range((today - FIRST_DAY).days + 1)]
    return [d for d in days if WEEKDAY_WEIGHTS[d.weekday()] > 0 and d not in HOLIDAYS]


def _level_thresholds(quality: float) -> list[float]:
    # Cumulative probabilities of levels 1…5 for a clerk whose share of 5s is about quality.
    bad = (1.0 - quality) * 0.12
    p1, p2, p3 = bad * 0.4, bad * 0.6, (1.0 - quality) * 0.25
    p5 = quality
    p4 = max(1.0 - p1 - p2 - p3 - p5, 0.0)
    points, total = [], 0.0
    for p in (p1, p2, p3, p4):
        total += p
        points.append(total)
    return points


def _create_people(halls: int) -> dict[str, Any]:
    """Create the stations, their windows, staff and a supervisor each (ORM, small)."""
    made: dict[str, Any] = {"halls": [], "windows": {}, "staff": {}}
    for n in range(1, halls + 1):
        hall = Hall(slug=f"s{n:02d}", name=f"第{n}社区便民服务站")
        db.session.add(hall)
        windows = [
            Window(hall=hall, number=w, name=f"综合窗口{w}", services="综合受理")
            for w in range(1, WINDOWS + 1)
        ]
        staff = [
            Staff(hall=hall, staff_no=f"S{n:02d}{s:02d}", name=f"员工{n:02d}{s:02d}")
            for s in range(1, STAFF + 1)
        ]
        db.session.add_all(windows + staff)
        db.session.flush()
        if n == 1:
            first = create_user(f"sup{n:02d}", "supervisor", PASSWORD, hall=hall)
        else:  # the same password: one scrypt hash, not fifty
            db.session.add(
                User(
                    username=f"sup{n:02d}",
                    role="supervisor",
                    hall=hall,
                    password_hash=first.password_hash,
                )
            )
        made["halls"].append(hall.id)
        made["windows"][hall.id] = [w.id for w in windows]
        made["staff"][hall.id] = [s.id for s in staff]
    db.session.commit()
    return made


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - our tables
    conn.executemany(sql, rows)


RATING_COLUMNS = [
    "id",
    "hall_id",
    "window_id",
    "staff_id",
    "level",
    "channel",
    "idempotency_key",
    "device_hash",
    "verified",
    "created_at",
    "received_at",
    "status",
    "flags",
]
LOG_COLUMNS = ["rating_id", "event", "state", "prev_hash", "hash", "logged_at"]
DUTY_COLUMNS = ["staff_id", "window_id", "starts_at", "ends_at", "source", "created_at"]
COMPLAINT_COLUMNS = [
    "hall_id",
    "window_id",
    "staff_id",
    "rating_id",
    "reason_tags",
    "text",
    "status",
    "severity",
    "is_valid",
    "verify_due_at",
    "rectify_due_at",
    "followup_due_at",
    "created_at",
    "updated_at",
    "verified_at",
    "rectified_at",
    "followed_up_at",
    "closed_at",
]


def _complaint(
    rng: random.Random, row: _Row, moment: datetime, stamp: str, level: int
) -> tuple[Any, ...]:
    age = NOW - moment
    later = lambda days: _stamp(moment + timedelta(days=days))  # noqa: E731 - local shorthand
    tags = json.dumps([rng.choice(("attitude", "efficiency", "competence"))])
    text = rng.choice(COMPLAINT_TEXTS)
    common = (row.hall_id, row.window_id, row.staff_id, row.id, tags, text)
    if age < timedelta(days=3):
        return (
            *common,
            "new",
            None,
            None,
            later(1),
            None,
            None,
            stamp,
            stamp,
            None,
            None,
            None,
            None,
        )
    if age < timedelta(days=15):
        return (
            *common,
            "rectifying",
            "minor",
            1,
            later(1),
            later(6),
            None,
            stamp,
            later(1),
            later(1),
            None,
            None,
            None,
        )
    valid = rng.random() < 0.3
    return (
        *common,
        "closed",
        ("minor" if level == 2 else "major") if valid else None,
        1 if valid else 0,
        later(1),
        later(6) if valid else None,
        later(8) if valid else None,
        stamp,
        later(9),
        later(1),
        later(5) if valid else None,
        later(8) if valid else None,
        later(9),
    )


def build_sqlite(size: int, path: Path, halls: int = HALLS) -> None:
    """Create a SQLite database with about size ratings over the year at halls stations."""
    rng = random.Random(size)
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        made = _create_people(halls)
        db.session.close()
        db.engine.dispose()

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -4000000")  # 4 GB: the unique indexes stay in memory
    # Indexes are built after the load (the unique ones cannot be dropped in SQLite).
    dropped = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('rating', 'rating_log', 'complaint')"
    ).fetchall()
    for name, _sql in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("BEGIN")

    hall_ids = made["halls"]
    # The district's shape (stations' sizes, clerks' quality) is the same at every size, so the
    # measured station holds the same share of the ratings in both databases.
    shape = random.Random(2026)
    hall_weight = {h: (1.0 if i == 0 else shape.uniform(0.4, 1.6)) for i, h in enumerate(hall_ids)}
    scale = len(hall_ids) / sum(hall_weight.values())
    hall_weight = {h: w * scale for h, w in hall_weight.items()}
    quality = {s: shape.uniform(0.55, 0.92) for h in hall_ids for s in made["staff"][h]}
    thresholds = {s: _level_thresholds(q) for s, q in quality.items()}
    device_of_window = {
        w: f"{shape.getrandbits(256):064x}" for h in hall_ids for w in made["windows"][h]
    }
    days = _open_days()
    today = days[-1]
    now_hour = (NOW + OFFSET).hour
    day_weight = [WEEKDAY_WEIGHTS[d.weekday()] * MONTH_WEIGHTS[d.month - 1] for d in days]
    hours, hour_w = list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values())
    today_hours = [h for h in hours if h < now_hour]
    today_w = [HOUR_WEIGHTS[h] for h in today_hours]
    day_weight[-1] *= sum(today_w) / sum(hour_w)
    per_day = size / sum(day_weight) / len(hall_ids)
    channel_names = [c for c, _ in CHANNELS]
    channel_cum = []
    acc = 0.0
    for _, p in CHANNELS:
        acc += p
        channel_cum.append(acc)

    progress = _Progress("ratings", size)
    prev = rating_log.GENESIS
    number = 0
    duty_rows: list[tuple] = []
    for day_index, day in enumerate(days):
        midnight = datetime.combine(day, datetime.min.time()) - OFFSET
        on_duty: dict[int, int] = {}
        for hall_id in hall_ids:
            staff_ids = made["staff"][hall_id]
            start = midnight + timedelta(hours=8, minutes=30)
            for index, window_id in enumerate(made["windows"][hall_id]):
                staff_id = staff_ids[(index + day.toordinal() * 5) % len(staff_ids)]
                on_duty[window_id] = staff_id
                duty_rows.append(
                    (
                        staff_id,
                        window_id,
                        _stamp(start),
                        _stamp(start + timedelta(hours=9)),
                        "roster",
                        _stamp(start - timedelta(days=7)),
                    )
                )
        events: list[tuple[int, int]] = []
        for hall_id in hall_ids:
            expected = per_day * day_weight[day_index] * hall_weight[hall_id]
            n = int(expected + rng.random())
            chosen = rng.choices(
                today_hours if day == today else hours, today_w if day == today else hour_w, k=n
            )
            events += [(h * 3600 + rng.randrange(3600), hall_id) for h in chosen]
        events.sort()
        rating_rows, log_rows, complaint_rows = [], [], []
        for seconds, hall_id in events:
            if seconds < 8 * 3600 + 1800:
                seconds += 1800  # the doors open at 08:30
            number += 1
            moment = midnight + timedelta(seconds=seconds)
            received = moment + timedelta(seconds=rng.randrange(3))
            window_id = rng.choice(made["windows"][hall_id])
            staff_id = on_duty[window_id]
            level = bisect(thresholds[staff_id], rng.random()) + 1
            channel = channel_names[bisect(channel_cum, rng.random())]
            if channel == "qr":
                device = f"{rng.getrandbits(256):064x}"
            elif channel == "api":
                device = None
            else:
                device = device_of_window[window_id]
            row = _Row()
            row.id, row.hall_id, row.window_id, row.staff_id = number, hall_id, window_id, staff_id
            row.level, row.channel, row.idempotency_key = (
                level,
                channel,
                f"{rng.getrandbits(128):032x}",
            )
            row.verified = rng.random() < 0.05
            row.created_at, row.received_at = moment, received
            flagged = rng.random() < FLAGGED_SHARE
            row.status = "quarantined" if flagged else "counted"
            row.flags = rng.choice(FLAG_SETS) if flagged else []
            state = rating_log.rating_state(row)  # type: ignore[arg-type]
            digest = rating_log.chain_hash(prev, "created", state)
            # strftime costs 6 µs; isoformat's text gives the same stamp (whole seconds).
            stamp = state["received_at"].replace("T", " ") + ".000000"
            created = state["created_at"].replace("T", " ") + ".000000"
            log_rows.append((number, "created", json.dumps(state), prev, digest, stamp))
            prev = digest
            if flagged and NOW - moment > timedelta(days=14) and rng.random() < 0.7:
                # Reviewed two days later: released or excluded, as the review queue does.
                row.status = "counted" if rng.random() < 0.5 else "excluded"
                state = rating_log.rating_state(row)  # type: ignore[arg-type]
                digest = rating_log.chain_hash(prev, "status", state)
                log_rows.append(
                    (
                        number,
                        "status",
                        json.dumps(state),
                        prev,
                        digest,
                        _stamp(received + timedelta(days=2)),
                    )
                )
                prev = digest
            rating_rows.append(
                (
                    number,
                    hall_id,
                    window_id,
                    staff_id,
                    level,
                    channel,
                    row.idempotency_key,
                    device,
                    int(row.verified),
                    created,
                    stamp,
                    row.status,
                    json.dumps(row.flags) if row.flags else "[]",
                )
            )
            if level <= 2 and rng.random() < COMPLAINT_SHARE:
                complaint_rows.append(_complaint(rng, row, moment, created, level))
        _insert(conn, "rating", RATING_COLUMNS, rating_rows)
        _insert(conn, "rating_log", LOG_COLUMNS, log_rows)
        _insert(conn, "complaint", COMPLAINT_COLUMNS, complaint_rows)
        progress.add(len(rating_rows))
    _insert(conn, "duty", DUTY_COLUMNS, duty_rows)
    conn.execute("COMMIT")
    started = time.perf_counter()
    for _name, sql in dropped:
        conn.execute(sql)
    print(f"    indexes rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    conn.close()

    started = time.perf_counter()
    with app.app_context():
        rows = board_cache.rebuild()
        db.session.commit()
        db.session.close()
        db.engine.dispose()
    print(
        f"    board_cache.rebuild(): {rows:,} tally rows in {time.perf_counter() - started:.0f} s"
    )


def sqlite_stats(path: Path) -> dict[str, Any]:
    """Return the file size, the ratings and bytes per table and index (dbstat)."""
    conn = sqlite3.connect(path)
    ratings = conn.execute("SELECT count(*) FROM rating").fetchone()[0]
    objects = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
    sizes: dict[str, int] = dict(
        conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    )
    conn.close()
    return {
        "file": path.stat().st_size,
        "ratings": ratings,
        "objects": {name: [objects.get(name, name), n] for name, n in sizes.items()},
    }


def _drop_stale(keep: str) -> None:
    # Databases of an older schema are ~10 GB each: keep only the current key's.
    for entry in CACHE.glob("district-*"):
        if keep not in entry.name:
            print(f"  removing stale cache {entry.name}")
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def sqlite_database(size: int) -> tuple[Path, dict[str, Any], float]:
    """Return the cached SQLite database of size ratings (built if needed), its stats, seconds."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = cache_key()
    path = CACHE / f"district-{key}-{size}.sqlite3"
    stats_path = path.with_suffix(".json")
    if path.exists() and stats_path.exists():
        return path, json.loads(stats_path.read_text()), 0.0
    _drop_stale(key)
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(f"{partial.name}*"):
        leftover.unlink()
    print(f"  generating {size:,} ratings on SQLite …", flush=True)
    started = time.perf_counter()
    build_sqlite(size, partial)
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to cache
    conn.close()
    stats = sqlite_stats(partial)
    partial.rename(path)
    stats_path.write_text(json.dumps(stats))
    return path, stats, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# PostgreSQL


class CachedPostgres(PostgresServer):
    """tests/pgserver.py's server, but its cluster kept under CACHE between runs."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)  # the temporary folder it made
        self.root = root
        self.data = root / "data"
        root.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(root, user=self.user)
            os.chmod(root, 0o700)

    # A server's settings, not the tests' defaults: 128 MB of shared buffers would measure
    # the disk. fsync stays off: the cache can be rebuilt.
    SETTINGS = (
        "-c shared_buffers=2GB -c maintenance_work_mem=1GB -c work_mem=64MB "
        "-c max_wal_size=8GB -c effective_cache_size=8GB"
    )
    START_SECONDS = 120

    def start(self) -> "CachedPostgres":
        """Create the cluster if it is new, start it, wait until it accepts connections."""
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._initdb()
        self._serve()
        return self

    def stop(self) -> None:
        """Stop the server and keep the cluster."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def connect(self, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}", autocommit=True
        )


def pg_server() -> CachedPostgres:
    """Return the started server of the cached cluster (the current key's)."""
    key = cache_key()
    _drop_stale(key)
    return CachedPostgres(CACHE / f"district-{key}-pg").start()


BULK_TABLES = ("rating", "rating_log", "complaint", "duty")


def _bulk_constraints(conn: Any) -> tuple[list[str], list[str]]:
    """Drop the indexes and the unique and foreign keys of the bulk tables; return their DDL."""
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        (list(BULK_TABLES),),
    ).fetchall()
    constraints = conn.execute(
        "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), contype "
        "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f') "
        "ORDER BY contype DESC",  # unique ones first when they are added back
        (list(BULK_TABLES),),
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for name, table, _, _ in reversed(constraints):
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    ddl = [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for n, t, d, _ in constraints]
    return ddl, [sql for _, sql in indexes]


def build_pg(server: CachedPostgres, dbname: str, source: Path) -> None:
    """Copy the SQLite database into a new PostgreSQL database; rebuild its tallies there."""
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    app = make_app(server.url(dbname))
    with app.app_context():
        db.create_all()
        tables = [t.name for t in db.metadata.sorted_tables]
        db.session.close()
        db.engine.dispose()
    lite = sqlite3.connect(source)
    with server.connect(dbname) as conn:
        constraints, indexes = _bulk_constraints(conn)
        for table in tables:
            if table == "rating_tally":
                continue  # recounted below, by the project's own code
            total = lite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            if not total:
                continue
            names = [r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')]
            progress = _Progress(f"COPY {table}", total) if total > 100_000 else None
            cursor = lite.execute(f'SELECT {", ".join(names)} FROM "{table}"')  # noqa: S608
            with conn.cursor().copy(f'COPY "{table}" ({", ".join(names)}) FROM STDIN') as copy:
                while batch := cursor.fetchmany(20_000):
                    for row in batch:
                        copy.write_row(row)
                    if progress:
                        progress.add(len(batch))
            if "id" in names:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table}"))')  # noqa: S608 - our tables
        started = time.perf_counter()
        for sql in constraints + indexes:
            conn.execute(sql)
        print(f"    constraints and indexes in {time.perf_counter() - started:.0f} s", flush=True)
    lite.close()
    started = time.perf_counter()
    with app.app_context():
        rows = board_cache.rebuild()
        db.session.commit()
        db.session.close()
        db.engine.dispose()
    print(
        f"    board_cache.rebuild(): {rows:,} tally rows in {time.perf_counter() - started:.0f} s"
    )
    with server.connect(dbname) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load


def pg_stats(server: CachedPostgres, dbname: str) -> dict[str, Any]:
    """Return the ratings and bytes per table (heap + TOAST) and per index of the big tables."""
    with server.connect(dbname) as conn:
        ratings = conn.execute("SELECT count(*) FROM rating").fetchone()[0]
        objects: dict[str, list[Any]] = {}
        for table in ("rating", "rating_log", "rating_tally"):
            heap = conn.execute("SELECT pg_table_size(%s::regclass)", (table,)).fetchone()[0]
            objects[table] = [table, heap]
            for name, n in conn.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass",
                (table,),
            ):
                objects[name] = [table, n]
        total = conn.execute(
            "SELECT pg_total_relation_size('rating') + pg_total_relation_size('rating_log') "
            "+ pg_total_relation_size('rating_tally'), pg_database_size(current_database())"
        ).fetchone()
    return {"ratings": ratings, "objects": objects, "tables": total[0], "database": total[1]}


def pg_database(server: CachedPostgres, size: int, source: Path) -> tuple[str, float]:
    """Return the URL of the cached PostgreSQL database of size ratings, and build seconds."""
    dbname = f"district_{size}"
    ready = server.root / f"ready-{size}"
    if ready.exists():
        return server.url(dbname), 0.0
    print(f"  copying {size:,} ratings to PostgreSQL …", flush=True)
    started = time.perf_counter()
    build_pg(server, dbname, source)
    ready.touch()
    return server.url(dbname), time.perf_counter() - started

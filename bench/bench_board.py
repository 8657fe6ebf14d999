"""Board fragment and public page at 1,000 and 1,000,000 ratings, measured in one run.

Builds two SQLite databases of a year of ratings (40 windows, 60 staff, a rota that moves
people between windows, 1 % quarantined, complaints for some 差评), bulk-inserted and then
counted with board_cache.rebuild(). They are cached under bench/out/, keyed by the parameters
and the schema, so a rerun only measures. Requests go through the Flask test client,
alternating between the two databases so that machine noise hits both alike.

Target (DESIGN §6): fragment median at 1M ≤ 2 × the median at 1k, and under 20 ms.
"""

import hashlib
import inspect
import os
import random
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import Complaint, Duty, Hall, Rating, Staff, Window
from kiosk.services import board_cache

OUT = Path(__file__).resolve().parent / "out"
SIZES = (1_000, 1_000_000)
WINDOWS = 40
STAFF = 60
DAYS = 365
# Tuesday 12 May 2026, 14:00 in Shanghai: a working afternoon with ratings already today.
NOW = datetime(2026, 5, 12, 6, 0)
OFFSET = timedelta(hours=8)  # Asia/Shanghai, for generating local opening hours
GENERATOR_VERSION = 1  # bump when build() changes what it writes
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "150"))
WARMUP = 15
VIEWS = ("today", "month", "quarter", "year", "windows")
SLUG = "bench"


def _stamp(moment: datetime) -> str:
    # The text form SQLAlchemy stores SQLite DateTime columns in.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _schema_hash() -> str:
    # The schema and the way tallies are counted: a cached database built otherwise is stale.
    shape = [
        (t.name, [(c.name, str(c.type)) for c in t.columns]) for t in db.metadata.sorted_tables
    ]
    counting = inspect.getsource(board_cache)
    return hashlib.sha1((repr(shape) + counting).encode()).hexdigest()[:10]  # noqa: S324 - a cache key


def _app(path: Path):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "CLOCK": lambda: NOW,
            "LOG_REQUESTS": False,  # a log line per request would be measured too
        },
        instance_path=str(OUT / "instance"),
    )


def _open_days() -> list[date]:
    today = (NOW + OFFSET).date()
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    return [day for day in days if day.weekday() != 6]  # the hall opens Monday to Saturday


def _level(rng: random.Random, quality: float) -> int:
    roll = rng.random()
    bad = (1.0 - quality) * 0.12
    if roll < bad * 0.4:
        return 1
    if roll < bad:
        return 2
    if roll < bad + (1.0 - quality) * 0.25:
        return 3
    return 5 if roll < quality else 4


def _insert(
    conn: sqlite3.Connection, table: Any, rows: Iterable[dict[str, Any]], with_id: bool = False
) -> None:
    columns = [c.name for c in table.columns if with_id or c.name != "id"]
    names, marks = ", ".join(columns), ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - our own table
    conn.executemany(sql, ([row.get(c) for c in columns] for row in rows))


def build(size: int, path: Path) -> None:
    """Create a database with size ratings over DAYS days."""
    rng = random.Random(size)
    app = _app(path)
    with app.app_context():
        db.create_all()
        hall = Hall(slug=SLUG, name="基准测试便民服务中心")
        db.session.add(hall)
        windows = [Window(hall=hall, number=n, name=f"综合窗口{n}") for n in range(1, WINDOWS + 1)]
        staff = [Staff(hall=hall, staff_no=f"B{n:03d}", name=f"员工{n:02d}") for n in range(STAFF)]
        db.session.add_all(windows + staff)
        db.session.commit()
        hall_id = hall.id
        window_ids = [w.id for w in windows]
        staff_ids = [s.id for s in staff]
        db.session.close()  # reading the ids began a transaction: end it before the bulk load
        db.engine.dispose()

    days = _open_days()
    quality = {sid: rng.uniform(0.55, 0.92) for sid in staff_ids}
    duty_rows, on_duty = [], {}
    for day in days:
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=30) - OFFSET
        for index, window_id in enumerate(window_ids):
            staff_id = staff_ids[(index + day.toordinal() * 7) % STAFF]
            on_duty[(day, window_id)] = staff_id
            duty_rows.append(
                {
                    "staff_id": staff_id,
                    "window_id": window_id,
                    "starts_at": _stamp(start),
                    "ends_at": _stamp(start + timedelta(hours=9)),
                    "source": "roster",
                    "created_at": _stamp(start),
                }
            )

    today = days[-1]
    opening = datetime.combine(today, datetime.min.time()) + timedelta(hours=8, minutes=30) - OFFSET
    today_share = (NOW - opening) / timedelta(hours=9)
    weights = [1.0] * (len(days) - 1) + [max(today_share, 0.0)]
    per_day = Counter(rng.choices(range(len(days)), weights, k=size))
    complaint_rows: list[dict[str, Any]] = []

    def ratings() -> Iterator[dict[str, Any]]:
        # Day by day, in time order, so the created_at indexes grow at their right end.
        number = 0
        for day_index, day in enumerate(days):
            midnight = datetime.combine(day, datetime.min.time()) - OFFSET
            span = 9 * 3600 if day != today else max(int((NOW - opening).total_seconds()), 1)
            offsets = sorted(rng.randrange(span) for _ in range(per_day[day_index]))
            for offset in offsets:
                number += 1
                moment = midnight + timedelta(hours=8, minutes=30, seconds=offset)
                window_id = rng.choice(window_ids)
                staff_id = on_duty[(day, window_id)]
                level = _level(rng, quality[staff_id])
                stamp = _stamp(moment)
                if level <= 2 and rng.random() < 0.4:
                    complaint_rows.append(_complaint(rng, number, moment, window_id, staff_id))
                yield {
                    "id": number,
                    "hall_id": hall_id,
                    "window_id": window_id,
                    "staff_id": staff_id,
                    "level": level,
                    "channel": "qr",
                    "idempotency_key": f"bench-{number:09d}",
                    "verified": 0,
                    "created_at": stamp,
                    "received_at": stamp,
                    "status": "quarantined" if rng.random() < 0.01 else "counted",
                    "flags": "[]",
                }

    def _complaint(  # type: ignore[no-untyped-def]
        rng: random.Random, rating_id: int, moment: datetime, window_id: int, staff_id: int
    ):
        done = NOW - moment > timedelta(days=10)
        return {
            "hall_id": hall_id,
            "window_id": window_id,
            "staff_id": staff_id,
            "rating_id": rating_id,
            "reason_tags": "[]",
            "text": "排队时间太长。",
            "status": "closed" if done else "new",
            "is_valid": 1 if done else None,
            "verify_due_at": _stamp(moment + timedelta(days=1)),
            "rectify_due_at": _stamp(moment + timedelta(days=6)) if done else None,
            "followup_due_at": _stamp(moment + timedelta(days=8)) if done else None,
            "created_at": _stamp(moment),
            "updated_at": _stamp(moment),
            "rectified_at": _stamp(moment + timedelta(days=rng.choice((3, 5, 7))))
            if done
            else None,
            "followed_up_at": _stamp(moment + timedelta(days=8)) if done else None,
            "closed_at": _stamp(moment + timedelta(days=9)) if done else None,
        }

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        _insert(conn, Duty.__table__, duty_rows)
        _insert(conn, Rating.__table__, ratings(), with_id=True)
        _insert(conn, Complaint.__table__, complaint_rows)
    conn.close()

    with app.app_context():
        board_cache.rebuild()
        db.session.commit()
        db.session.close()
        db.engine.dispose()


def database(size: int) -> tuple[Path, float]:
    """Return the cached database for size, building it if needed, and the build seconds."""
    OUT.mkdir(exist_ok=True)
    key = f"board-{size}-w{WINDOWS}-s{STAFF}-d{DAYS}-g{GENERATOR_VERSION}-{_schema_hash()}"
    path = OUT / f"{key}.sqlite3"
    if path.exists():
        return path, 0.0
    partial = OUT / f"{key}.partial.sqlite3"
    for leftover in OUT.glob(f"{key}.partial.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    build(size, partial)
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to cache
    conn.close()
    partial.rename(path)
    return path, time.perf_counter() - started


def _urls() -> dict[str, str]:
    urls = {view: f"/board/{SLUG}/standings?view={view}" for view in VIEWS}
    urls["public page"] = f"/public/{SLUG}?month=2026-04"
    return urls


def measure(clients: dict[int, Any]) -> dict[tuple[int, str, str], list[float]]:
    """Time every URL on every database, interleaved, ROUNDS times after a warm-up.

    Records wall-clock milliseconds (the target) and CPU milliseconds of this process, which a
    busy shared machine disturbs far less.
    """
    urls = _urls()
    timings: dict[tuple[int, str, str], list[float]] = {
        (s, n, k): [] for s in clients for n in urls for k in ("wall", "cpu")
    }
    for round_number in range(WARMUP + ROUNDS):
        for name, url in urls.items():
            for size, client in clients.items():
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                if response.status_code != 200:
                    raise RuntimeError(f"{url} on {size}: HTTP {response.status_code}")
                if round_number >= WARMUP:
                    timings[(size, name, "wall")].append(elapsed * 1000)
                    timings[(size, name, "cpu")].append(cpu * 1000)
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    """Build (or reuse) both databases, measure, and print the table."""
    small, large = SIZES
    clients = {}
    for size in SIZES:
        path, seconds = database(size)
        note = f"built in {seconds:.1f} s" if seconds else "cached"
        print(f"{size:>9,} ratings: {path.name} ({path.stat().st_size / 1e6:.0f} MB, {note})")
        clients[size] = _app(path).test_client()
    load = os.getloadavg()[0]
    timings = measure(clients)

    print(
        f"\nms per request, {ROUNDS} requests each, interleaved (Flask test client, SQLite); "
        f"load average {load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'':<12}{'1k median':>10}{'p95':>7}{'1M median':>11}{'p95':>7}{'1M/1k':>7}"
        f"{'cpu 1k':>8}{'cpu 1M':>8}{'1M/1k':>7}  target"
    )
    worst = worst_cpu = slowest = 0.0
    for name in _urls():
        a, b = timings[(small, name, "wall")], timings[(large, name, "wall")]
        ca, cb = timings[(small, name, "cpu")], timings[(large, name, "cpu")]
        ma, mb = statistics.median(a), statistics.median(b)
        cpu_a, cpu_b = statistics.median(ca), statistics.median(cb)
        verdict = ""
        if name in VIEWS:
            worst, worst_cpu = max(worst, mb / ma), max(worst_cpu, cpu_b / cpu_a)
            slowest = max(slowest, mb)
            verdict = "ok" if mb / ma <= 2 and mb < 20 else "MISSED"
        print(
            f"{name:<12}{ma:>10.2f}{_p95(a):>7.1f}{mb:>11.2f}{_p95(b):>7.1f}{mb / ma:>7.2f}"
            f"{cpu_a:>8.2f}{cpu_b:>8.2f}{cpu_b / cpu_a:>7.2f}  {verdict}"
        )
    print(
        f"\nfragment, worst 1M/1k ratio: {worst:.2f} wall, {worst_cpu:.2f} cpu (target ≤ 2); "
        f"slowest 1M median: {slowest:.1f} ms (target < 20)"
    )


if __name__ == "__main__":
    main()

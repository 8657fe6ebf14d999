"""A district's year: 50 stations, 10 million ratings, against the same at 1/100, in one run.

Data (bench/district_data.py): 50 stations of 8 windows and 12 staff on a daily roster, a year
of ratings (2026-01-01 to Wednesday 30 December 14:00) shaped by weekday, month, holidays and
hour of the day; 1.2 % screened into quarantine (most of the older ones reviewed since), a third
of the 差评 with a complaint. Cached under .cache/bench-district/ (~11 GB each): on these 2-CPU
machines the first run generates SQLite's 10M in ~25 min and copies them to PostgreSQL in ~9;
a run on cached databases takes ~6 min.

Measured as the supervisor of station s01 (an average one, ~1/50 of the ratings), through the
Flask test client in-process, so a request's time is the server's wall time without a network;
sizes alternate request by request so machine noise hits both alike. `flask evaluate` is run
in-process through the CLI runner (the same command function, without the interpreter's and the
app's start-up). Then the database's bytes per rating, per table and per index.

Targets (issue 28): every page and command ≤ 2 × its cost at 1/100; pages' p95 < 200 ms at
full size; the month's CSV complete (its rows = the database's ratings of that month).

Knobs: BENCH_DISTRICT_SCALE (1 = 10M; 0.01 = 100k against 1k), BENCH_DISTRICT_DATABASES
(sqlite,postgresql), BENCH_DISTRICT_SAMPLES (pages, 20), BENCH_DISTRICT_SLOW_SAMPLES (7).
"""

import csv
import io
import logging
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from bench import district_data as data
from bench.district_check import self_check
from kiosk.extensions import db
from kiosk.models import Hall, Rating, Staff
from kiosk.services import rating_export
from tests.helpers import hidden_fields

SAMPLES = int(os.environ.get("BENCH_DISTRICT_SAMPLES", "20"))
SLOW_SAMPLES = int(os.environ.get("BENCH_DISTRICT_SLOW_SAMPLES", "7"))
WARMUP = 2
PAGE_P95_MS = 200.0
RATIO = 2.0
QUARTER, YEAR, MONTH = "2026Q3", "2026", (date(2026, 11, 1), date(2026, 11, 30))
HALL = data.MEASURED_HALL
NOT_BUILT = ("district dashboard", "station round result")
# deploy/kiosk.service: a sync worker busy this long is killed, whatever it is sending.
WORKER_TIMEOUT_S = 60
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@dataclass
class Item:
    """One thing measured: a page (GET url), a command (CLI args) or the export."""

    name: str
    kind: str  # page | command | export
    target: str | list[str]
    samples: int
    times: dict[int, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    complete: dict[int, str] = field(default_factory=dict)
    rows: dict[int, int] = field(default_factory=dict)  # an export's rows, by size


def _items(staff_id: int) -> list[Item]:
    start, end = MONTH
    pages = [
        ("board page", f"/board/{HALL}"),
        ("board fragment (today)", f"/board/{HALL}/standings?view=today"),
        ("board fragment (year)", f"/board/{HALL}/standings?view=year"),
        ("supervisor home /staff/", "/staff/"),
        ("dashboard", "/staff/dashboard"),
        ("quarantine list", "/staff/ratings/quarantine"),  # judged per rating shown
        (f"evaluation report {QUARTER}", f"/staff/evaluation/{QUARTER}/report"),
        (f"evaluation report {YEAR}", f"/staff/evaluation/{YEAR}/report"),
        (f"evaluation detail {QUARTER}", f"/staff/evaluation/{QUARTER}/staff/{staff_id}"),
        (f"evaluation detail {YEAR}", f"/staff/evaluation/{YEAR}/staff/{staff_id}"),
    ]
    items = [Item(name, "page", url, SAMPLES) for name, url in pages]
    for period in (QUARTER, YEAR):
        args = ["evaluate", "--period", period, "--hall", HALL]
        items.append(Item(f"flask evaluate {period}", "command", args, SLOW_SAMPLES))
    url = f"/staff/ratings/export.csv?start={start}&end={end}"
    items.append(Item(f"ratings CSV {start:%Y-%m}", "export", url, SLOW_SAMPLES))
    return items


class Target:
    """One database of one size: its app, a signed-in supervisor's client, what to check."""

    def __init__(self, size: int, url: str) -> None:
        self.size = size
        self.app = data.make_app(url)
        self.client = self.app.test_client()
        page = self.client.get("/auth/login").get_data(as_text=True)
        form = {**hidden_fields(page), "username": f"sup{HALL[1:]}", "password": data.PASSWORD}
        answer = self.client.post("/auth/login", data=form)
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"sign-in failed on {size}: HTTP {answer.status_code}")
        with self.app.app_context():
            hall = db.session.scalar(select(Hall).where(Hall.slug == HALL))
            self.staff_id = db.session.scalar(
                select(Staff.id).where(Staff.hall_id == hall.id).order_by(Staff.id).limit(1)
            )
            zone = self.app.config["HALL_TIMEZONE"]
            self.month_count = db.session.scalar(
                select(func.count(Rating.id)).where(
                    Rating.hall_id == hall.id,
                    Rating.created_at >= _utc(MONTH[0], zone),
                    Rating.created_at < _utc(date(2026, 12, 1), zone),
                )
            )
            self.hall_ratings = db.session.scalar(
                select(func.count(Rating.id)).where(Rating.hall_id == hall.id)
            )
            db.session.close()

    def run(self, item: Item) -> float:
        """Do item once; return milliseconds; note problems on the item."""
        started = time.perf_counter()
        if item.kind == "command":
            # `flask` (FlaskGroup) pushes an app context before the command; app.cli does not.
            with self.app.app_context():
                result = self.app.test_cli_runner().invoke(args=item.target)
            elapsed = time.perf_counter() - started
            if result.exit_code != 0:
                item.problems.append(f"exit {result.exit_code}: {result.output[-200:]}")
            return elapsed * 1000
        try:
            response = self.client.get(item.target)
            body = response.get_data()
        except Exception as error:  # a stream that breaks: the file is incomplete
            item.complete[self.size] = f"broken stream ({type(error).__name__}: {error})"
            return (time.perf_counter() - started) * 1000
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            item.problems.append(f"HTTP {response.status_code} on {self.size:,}")
        if item.name == "quarantine list":
            item.rows[self.size] = body.count(b'name="rating"')
        if item.kind == "export":
            lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            rows = sum(1 for row in lines if row and STAMP.fullmatch(row[0]))
            stated = rating_export.trailer_count(lines[-1]) if lines else None
            item.rows[self.size] = rows
            whole = rows == self.month_count and stated == rows
            verdict = "complete" if whole else f"CUT OFF (trailer says {stated})"
            if elapsed > WORKER_TIMEOUT_S:
                verdict = f"CUT OFF under gunicorn (took > its --timeout {WORKER_TIMEOUT_S} s)"
            item.complete[self.size] = (
                f"{verdict}: {rows:,} rows of {self.month_count:,}, {len(body) / 1e6:.1f} MB"
            )
        return elapsed * 1000


def _utc(day: date, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime.combine(day, datetime.min.time(), ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def measure(targets: list[Target]) -> list[Item]:
    """Time every item on every target, interleaved, after WARMUP rounds."""
    items = _items(targets[0].staff_id)
    for item in items:
        item.times = {t.size: [] for t in targets}
        if any(t.staff_id != targets[0].staff_id for t in targets):
            raise RuntimeError("the sizes' staff ids differ")
    rounds = max(i.samples for i in items) + WARMUP
    progress = time.perf_counter()
    for round_number in range(rounds):
        for item in items:
            if round_number >= item.samples + WARMUP:
                continue
            for target in targets:
                ms = target.run(item)
                if round_number >= WARMUP:
                    item.times[target.size].append(ms)
        if time.perf_counter() - progress > 30:
            progress = time.perf_counter()
            print(f"    round {round_number + 1} of {rounds}", flush=True)
    return items


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def report(items: list[Item], small: int, full: int) -> bool:
    """Print medians, p95s, ratios and verdicts; return whether everything passed."""
    print(f"\n  ms, median and p95; {SAMPLES} samples a page, {SLOW_SAMPLES} a command or export")
    print(f"  {'':<30}{'1/100 med':>10}{'p95':>8}{'full med':>10}{'p95':>8}{'ratio':>7}  verdict")
    passed = True
    for item in items:
        a, b = item.times[small], item.times[full]
        ma, mb = statistics.median(a), statistics.median(b)
        ratio = mb / ma
        if item.rows.get(small) and item.rows.get(full):
            # An export writes what the range holds, the review queue shows what waits (up to
            # rating_review.QUEUE_SHOWN): their cost is judged per row.
            ratio = (mb / item.rows[full]) / (ma / item.rows[small])
        misses = []
        if ratio > RATIO:
            misses.append(f"ratio > {RATIO:g}")
        if item.kind == "page" and _p95(b) >= PAGE_P95_MS:
            misses.append(f"p95 ≥ {PAGE_P95_MS:.0f} ms")
        if item.kind == "export" and not item.complete.get(full, "").startswith("complete"):
            misses.append("not complete")
        if item.problems:
            misses.append(f"errors: {item.problems[0]}")
        passed = passed and not misses
        verdict = "PASS" if not misses else "FAIL (" + "; ".join(misses) + ")"
        print(
            f"  {item.name:<30}{ma:>10.1f}{_p95(a):>8.1f}{mb:>10.1f}{_p95(b):>8.1f}"
            f"{ratio:>7.2f}  {verdict}"
        )
        if item.name == "quarantine list":
            shown = ", ".join(f"{item.rows.get(size, 0):,} at {size:,}" for size in (small, full))
            print(f"  {'':<30}ratings shown: {shown} (the ratio is per rating shown)")
        if item.kind == "export":
            for size, median in ((small, ma), (full, mb)):
                per_row = median * 1000 / max(item.rows.get(size, 0), 1)
                print(
                    f"  {'':<30}at {size:,}: {item.complete.get(size, 'not run')}, "
                    f"{per_row:.1f} µs a row (the ratio is per row)"
                )
    for name in NOT_BUILT:
        print(f"  {name:<30}n/a (station assessment not built yet)")
    return passed


def _bytes_table(title: str, stats: dict[str, Any], total: int) -> None:
    ratings = stats["ratings"]
    print(
        f"\n  {title}: {total / ratings:,.0f} bytes per rating ({total / 1e9:.2f} GB, "
        f"{ratings:,} ratings)"
    )
    rows = sorted(
        (
            (name, table, n)
            for name, (table, n) in stats["objects"].items()
            if table in ("rating", "rating_log", "rating_tally")
        ),
        key=lambda r: (r[1], r[0] != r[1], -r[2]),
    )
    for name, table, n in rows:
        label = f"{table} (table)" if name == table else f"  index {name}"
        print(f"    {label:<44}{n / ratings:>8.1f} B/rating {n / 1e6:>9.1f} MB")
    rest = total - sum(n for _, _, n in rows)
    if rest:
        print(f"    {'everything else':<44}{rest / ratings:>8.1f} B/rating {rest / 1e6:>9.1f} MB")


def _run(kind: str, urls: dict[int, str], small: int, full: int) -> bool:
    targets = [Target(size, url) for size, url in urls.items()]
    for target in targets:
        print(
            f"  {target.size:>10,} ratings: station {HALL} has {target.hall_ratings:,}, "
            f"{target.month_count:,} in {MONTH[0]:%Y-%m}"
        )
    started = time.perf_counter()
    load = os.getloadavg()[0]
    items = measure(targets)
    print(
        f"  measured in {time.perf_counter() - started:.0f} s; load average {load:.1f} → "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs ({kind})"
    )
    for target in targets:
        with target.app.app_context():
            db.engine.dispose()
    return report(items, small, full)


def _timed(what: str, build: Callable[[], tuple[Any, float]]) -> Any:
    result, seconds = build()
    print(f"  {what}: {f'built in {seconds:.0f} s' if seconds else 'cached'}", flush=True)
    return result


def main() -> None:
    """Build (or reuse) the databases, check the generator, measure, print."""
    began = time.perf_counter()
    logging.getLogger("kiosk.security").setLevel(logging.WARNING)  # a line per sign-in
    small, full = data.sizes()
    kinds = os.environ.get("BENCH_DISTRICT_DATABASES", "sqlite,postgresql").split(",")
    print(
        f"{data.HALLS} stations × {data.WINDOWS} windows, {data.STAFF} staff; "
        f"{full:,} ratings in 2026 against {small:,}; clock {data.NOW:%Y-%m-%d %H:%M} UTC"
    )
    paths, stats = {}, {}
    for size in (small, full):
        path, stat = _timed(f"SQLite {size:,}", lambda s=size: _pair(data.sqlite_database(s)))
        paths[size], stats[size] = path, stat
    if not self_check(paths[small]):
        print("  the generator disagrees with the real path: figures below are suspect")
    verdicts = {}
    if "sqlite" in kinds:
        print("\n== SQLite ==")
        verdicts["SQLite"] = _run(
            "SQLite", {s: f"sqlite:///{p}" for s, p in paths.items()}, small, full
        )
        stat = stats[full]
        _bytes_table("SQLite file", stat, stat["file"])
    if "postgresql" in kinds:
        print("\n== PostgreSQL ==")
        server = data.pg_server()
        try:
            urls = {
                size: _timed(
                    f"PostgreSQL {size:,}", lambda s=size: data.pg_database(server, s, paths[s])
                )
                for size in (small, full)
            }
            verdicts["PostgreSQL"] = _run("PostgreSQL", urls, small, full)
            stat = data.pg_stats(server, f"district_{full}")
            _bytes_table(
                "PostgreSQL rating + rating_log + rating_tally with their indexes",
                stat,
                stat["tables"],
            )
            print(f"    (whole database {stat['database'] / stat['ratings']:,.0f} B/rating)")
        finally:
            server.stop()
    summary = ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in verdicts.items())
    print(f"\ndistrict: {summary}; whole run {time.perf_counter() - began:.0f} s")


def _pair(built: tuple[Any, dict[str, Any], float]) -> tuple[tuple[Any, Any], float]:
    path, stat, seconds = built
    return (path, stat), seconds


if __name__ == "__main__":
    main()

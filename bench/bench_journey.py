"""The resident's journey under gunicorn: server CPU of ours against a minimal Flask app's.

A journey is what a phone does at a window: open the rating page (GET /r/<token>), tap a level
(POST, 303) and follow the redirect to the thank-you page. Every journey is a distinct phone
with fresh cookies. Both apps run at once under gunicorn (2 sync workers each, 127.0.0.1, on
SQLite with the same WAL settings) and get the same load, CLIENTS phones at a time; rounds
alternate between them so that machine noise hits both alike.

What is measured is CPU, not wall time: the user+system time of every worker of a server
(/proc/<pid>/stat), read before and after each of the journey's three steps, which each round
runs for all its phones in turn (all pages, then all taps, then all thank-you pages), so each
step's cost is its own. The real app keeps every protection: CSRF, the device cookie, the
security headers, the request log line, anti-stuffing, the hash-chained log and the board
counters. The minimal app (bench/minimal_app.py) renders a five-button template, inserts one
row and renders a thank-you template.

Targets (issue 24): minimal / ours ≥ 0.4 per journey (goal 0.5); our thank-you page costs no
more CPU than our rating page.
"""

import os
import re
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.load import driver

CLIENTS = int(os.environ.get("BENCH_JOURNEY_CLIENTS", "8"))
JOURNEYS = int(os.environ.get("BENCH_JOURNEY_COUNT", "400"))  # per round
ROUNDS = int(os.environ.get("BENCH_JOURNEY_ROUNDS", "3"))
WARMUP = 40
REQUIRED, GOAL = 0.4, 0.5
STEPS = ("rating page", "tap", "thank-you page")
KEY_FIELD = re.compile(r'name="key"[^>]*value="([^"]+)"')
CSRF_FIELD = driver.CSRF_FIELD
TICKS = os.sysconf("SC_CLK_TCK")


def worker_cpu_s(server: driver.Gunicorn) -> float:
    """Return the user+system CPU seconds the server's workers have used so far."""
    total = 0
    for pid in server.worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


class Phone:
    """One journey's state: its cookies, the form it was given, where the tap sent it."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.form: dict[str, str] = {}
        self.thanks = ""


def _open(address: tuple[str, int], token: str, phone: Phone) -> None:
    page = driver.request(address, "GET", f"/r/{token}")
    assert page.status == 200, page.status
    driver.remember_cookies(phone.cookies, page)
    html = page.body.decode()
    key = KEY_FIELD.search(html)
    assert key, "no key on the rating page"
    phone.form = {"key": key.group(1), "level": "5"}
    csrf = CSRF_FIELD.search(html)
    if csrf:
        phone.form["csrf_token"] = csrf.group(1)


def _tap(address: tuple[str, int], token: str, phone: Phone) -> None:
    answer = driver.request(address, "POST", f"/r/{token}", body=phone.form, cookies=phone.cookies)
    assert answer.status == 303, answer.status
    driver.remember_cookies(phone.cookies, answer)
    phone.thanks = dict((k.lower(), v) for k, v in answer.headers)["location"]


def _thank(address: tuple[str, int], token: str, phone: Phone) -> None:
    page = driver.request(address, "GET", phone.thanks, cookies=phone.cookies)
    assert page.status == 200, page.status


STEP_FUNCTIONS: tuple[Callable[[tuple[str, int], str, Phone], None], ...] = (_open, _tap, _thank)


def _in_parallel(
    step: Callable[[tuple[str, int], str, Phone], None],
    address: tuple[str, int],
    token: str,
    phones: list[Phone],
) -> None:
    """Run step for every phone, CLIENTS at a time."""
    queue = list(phones)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                if not queue or errors:
                    return
                phone = queue.pop()
            try:
                step(address, token, phone)
            except BaseException as error:  # re-raised below, in the main thread
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def run_round(server: driver.Gunicorn, token: str, journeys: int) -> list[float]:
    """Run journeys through the server; return the workers' CPU seconds of each step."""
    phones = [Phone() for _ in range(journeys)]
    spent = []
    for step in STEP_FUNCTIONS:
        before = worker_cpu_s(server)
        _in_parallel(step, server.address, token, phones)
        time.sleep(0.05)  # let the last worker's accounting settle in /proc
        spent.append(worker_cpu_s(server) - before)
    return spent


def _start(tmp: Path) -> tuple[driver.Gunicorn, str, driver.Gunicorn]:
    ours_db = f"sqlite:///{tmp / 'ours.sqlite3'}"
    env = driver.app_env(
        ours_db,
        tmp / "instance",
        uuid.uuid4().hex,
        KIOSK_SAME_DEVICE_INTERVAL_MINUTES="30",
        # A working moment: taps are screened as in opening hours, whatever the clock says.
        KIOSK_OPENING_HOURS='"00:00-24:00"',
        KIOSK_STUFFING_HALL_LIMIT="1000000",
        KIOSK_STUFFING_WINDOW_LIMIT="1000000",
    )
    driver.migrate(env)
    token = driver.seed(ours_db, tmp / "instance", 1)[0]
    (tmp / "logs").mkdir()
    ours = driver.Gunicorn(env, tmp / "logs", workers=2, name="ours")
    minimal_env = {**env, "DATABASE_URL": f"sqlite:///{tmp / 'minimal.sqlite3'}"}
    minimal = driver.Gunicorn(
        minimal_env, tmp / "logs", workers=2, app="bench.minimal_app:create_app()", name="minimal"
    )
    from bench import minimal_app

    with minimal_app.create_app(minimal_env["DATABASE_URL"]).app_context():
        minimal_app.db.create_all()
    return ours, token, minimal


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-journey-") as folder:
        ours, token, minimal = _start(Path(folder))
        results: dict[str, list[list[float]]] = {"ours": [], "minimal": []}
        with driver.running([ours, minimal]):
            for server in (ours, minimal):
                run_round(server, token, WARMUP)
            for _ in range(ROUNDS):
                for name, server in (("ours", ours), ("minimal", minimal)):
                    results[name].append(run_round(server, token, JOURNEYS))
        report(results)


def report(results: dict[str, list[list[float]]]) -> None:
    """Print the CPU per journey and per step (median round), and the ratio."""
    print(
        f"{JOURNEYS} journeys a round, {CLIENTS} phones at a time, {ROUNDS} rounds, "
        "gunicorn 2 workers each, SQLite; server CPU (user+system of the workers) in ms"
    )
    per: dict[str, list[float]] = {}
    for name, rounds in results.items():
        steps = [statistics.median(r[n] for r in rounds) * 1000 / JOURNEYS for n in range(3)]
        journey = statistics.median(sum(r) for r in rounds) * 1000 / JOURNEYS
        per[name] = [*steps, journey]
        cells = "  ".join(
            f"{label} {value:6.3f}" for label, value in zip(STEPS, steps, strict=True)
        )
        print(f"{name:8s} journey {journey:6.3f}   {cells}")
    ratio = per["minimal"][3] / per["ours"][3]
    verdict = "meets" if ratio >= REQUIRED else "BELOW"
    print(f"ratio minimal / ours per journey = {ratio:.2f} ({verdict} the {REQUIRED} required; "
          f"goal {GOAL})")  # fmt: skip
    page, thanks = per["ours"][0], per["ours"][2]
    print(f"our thank-you page / our rating page = {thanks / page:.2f} (target ≤ 1.00)")

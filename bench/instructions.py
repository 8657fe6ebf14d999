"""Rating submit cost counted in instructions, not timed: a figure machine noise leaves alone.

bench_submit's throughput ratio moves by several points from run to run on a shared machine,
even between runs of the same code. This counts instead the user-space instructions that one
gunicorn worker executes per rating, under valgrind's callgrind, which come out nearly the same
on every run. One SQLite database per run, one sync worker, one client on loopback posting
ratings one after another, a fresh connection each, as in bench_submit:

- the minimal Flask + SQLAlchemy insert (bench/minimal_app.py);
- the rating POST (CSRF check, session and device cookies, the tap's insert, the request log
  line, the security headers), with recording held back (INTAKE_DRAIN_INTERVAL a day, no
  sweeper), so the taps wait;
- the recording of the waiting taps as ratings, BATCH at a time: the thank-you page of the
  last tap records them (kiosk.services.intake); the page's own cost, counted on pages whose
  tap is recorded already, is taken off.

Each figure is the difference between two runs of a fresh server that differ only in the
measured work (the worker's total at exit, so start-up and warm-up cancel out; with the long
worker timeout an idle worker waits in select() for 900 s, so a longer run adds no idle work).
Two runs gave 51 % and 53 % for the POST with its recording. Not counted: the kernel's work
(sockets, file writes), about the same per request for both apps, and on PostgreSQL the database
server's own CPU. valgrind slows the apps about fifty times: the six runs, two at a time, take
about three minutes on two cores. `make bench-instructions` installs valgrind when it is
missing.
"""

import os
import re
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.load import driver

BATCH = 150  # taps a drain records at once, about what one drain records in bench_submit
BATCHES = int(os.environ.get("BENCH_INSTRUCTIONS_BATCHES", "2"))
PAGES = 20  # thank-you pages of recorded taps, for the page's own cost
TARGET = 0.70


class Phone:
    """One resident's phone: the rating page's cookies and CSRF token, then ratings."""

    def __init__(self, address: tuple[str, int], token: str, needs_form: bool) -> None:
        self.address, self.token = address, token
        self.cookies: dict[str, str] = {}
        self.hidden: dict[str, str] = {}
        self.last_key = ""
        if needs_form:
            self.cookies, csrf = driver.open_form(address, f"/r/{token}", timeout=300)
            self.hidden = {"csrf_token": csrf}

    def rate(self, times: int) -> None:
        for _ in range(times):
            self.last_key = uuid.uuid4().hex
            form = {**self.hidden, "level": "5", "key": self.last_key}
            path = f"/r/{self.token}"
            answer = driver.request(
                self.address, "POST", path, body=form, cookies=self.cookies, timeout=300
            )
            assert answer.status == 303, answer.status

    def thank_you_page(self, times: int = 1) -> None:
        path = f"/r/{self.token}/thanks/{self.last_key}"
        for _ in range(times):
            answer = driver.request(self.address, "GET", path, cookies=self.cookies, timeout=600)
            assert answer.status == 200, answer.status


class App:
    """How to make a fresh database and server for one run of an app."""

    def __init__(self, name: str, work: Path) -> None:
        self.name, self.work = name, work

    def prepare(self, run: str) -> tuple[dict[str, str], str, str]:
        """Return (environment, gunicorn app, window token) on a new database for run."""
        url = f"sqlite:///{self.work / f'{run}.sqlite3'}"
        instance = self.work / f"instance-{run}"
        if self.name == "minimal":
            from bench.minimal_app import create_app, db

            with create_app(url).app_context():
                db.create_all()
                db.engine.dispose()
            env = driver.app_env(url, instance, "unused")
            return env, "bench.minimal_app:create_app()", "window"
        env = driver.app_env(
            url,
            instance,
            "bench-instructions-secret",
            KIOSK_INTAKE_DRAIN_INTERVAL="86400",  # the taps wait until a thank-you page
            KIOSK_INTAKE_SWEEP_SECONDS="0",
        )
        driver.migrate(env)
        return env, "wsgi:app", driver.seed(url, instance, windows=4)[0]

    def worker_instructions(self, run: str, work: Callable[[Phone], None]) -> int:
        """Start a fresh server under callgrind, warm it up, do work, stop it; return the
        instructions its one worker executed in all."""
        env, app, token = self.prepare(run)
        env = {**env, "PYTHONHASHSEED": "0"}  # the same dict layouts, so the same work
        out = self.work / f"{run}.callgrind"
        prefix = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p"]
        # A long worker timeout: the app's import alone takes half a minute under valgrind.
        server = driver.Gunicorn(
            env, self.work, workers=1, app=app, name=run, prefix=prefix, timeout_s=1800
        )
        server.start(deadline_s=900)
        try:
            (worker,) = server.worker_pids()
            phone = Phone(server.address, token, needs_form=self.name != "minimal")
            phone.rate(BATCH)  # warm-up: the first requests import and compile what the rest reuse
            if self.name != "minimal":
                phone.thank_you_page(2)  # records the warm-up taps, then a recorded tap's page
            work(phone)
        finally:
            assert server.process is not None
            os.killpg(server.process.pid, signal.SIGTERM)  # callgrind writes its totals at exit
            try:
                server.process.wait(timeout=300)
            finally:
                server.stop()
        found = re.search(
            r"^(?:summary|totals): (\d+)", Path(f"{out}.{worker}").read_text(), re.MULTILINE
        )
        assert found, f"no totals for the worker of {run}"
        return int(found.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: run make bench-instructions, which installs it")
    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-instructions-"))
    minimal, real = App("minimal", work), App("real", work)
    ratings = BATCH * BATCHES

    def posts_then_pages(phone: Phone) -> None:
        for _ in range(BATCHES):
            phone.rate(BATCH)
            phone.thank_you_page()  # records the BATCH waiting taps

    runs: dict[str, tuple[App, Callable[[Phone], None]]] = {
        "minimal-idle": (minimal, lambda phone: None),
        "minimal-posts": (minimal, lambda phone: phone.rate(ratings)),
        "real-idle": (real, lambda phone: None),
        "real-pages": (real, lambda phone: phone.thank_you_page(PAGES)),
        "real-posts": (real, lambda phone: phone.rate(ratings)),
        "real-recorded": (real, posts_then_pages),
    }
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:  # one run per core
            futures = {
                run: pool.submit(app.worker_instructions, run, job)
                for run, (app, job) in runs.items()
            }
            count = {run: future.result() for run, future in futures.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    minimal_per_rating = (count["minimal-posts"] - count["minimal-idle"]) / ratings
    post = (count["real-posts"] - count["real-idle"]) / ratings
    page = (count["real-pages"] - count["real-idle"]) / PAGES
    recording = (count["real-recorded"] - count["real-posts"] - BATCHES * page) / ratings
    total = post + recording
    print(
        "user-space instructions per rating in one gunicorn worker (callgrind, SQLite): "
        f"{ratings} ratings, recorded {BATCH} at a time"
    )
    rows = [
        ("minimal Flask + SQLAlchemy insert", minimal_per_rating),
        ("rating POST, the tap waits", post),
        ("recording it as a rating", recording),
        ("rating POST with its recording", total),
        ("(the thank-you page, per page)", page),
    ]
    for name, value in rows:
        print(f"{name:38}{value / 1e6:8.2f} M")
    ratio = minimal_per_rating / total
    verdict = "ok" if ratio >= TARGET else f"below the {TARGET:.0%} target"
    print(f"minimal / rating POST with its recording = {ratio:.0%} ({verdict})")
    print(f"minimal / rating POST alone = {minimal_per_rating / post:.0%}")


if __name__ == "__main__":
    main()

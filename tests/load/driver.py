"""Load and fault driver: real gunicorn, real databases, concurrent phones that never give up.

One scenario:
1. migrate a fresh database with `flask db upgrade` (as a deployment does before workers start)
   and seed a hall with windows, each with a clerk on duty;
2. start gunicorn (`gunicorn wsgi:app`, 4 sync workers, 127.0.0.1 on a free port; one or more
   instances) in its own process group and wait for /healthz, with a deadline;
3. run concurrent clients (threads, http.client): each opens one window's rating page once for
   its CSRF token and cookies, then posts ratings with fresh idempotency keys, retrying the SAME
   key after a connection error, a timeout or a 5xx until it is acknowledged (303);
4. optionally kill -9 a random worker every few seconds (the master respawns it) or restart
   PostgreSQL (pg_ctl restart -m fast) mid-run;
5. count the rows: every acknowledged key stored exactly once, no row for a key twice, the board
   counters and the hash-chained rating log in step with the rows, no "database is locked"
   anywhere in gunicorn's output.

Settings the driver gives the app, and why:
- KIOSK_SECRET_KEY: one key for every instance, so a form opened on one is accepted by another;
- DATABASE_URL, KIOSK_INSTANCE_PATH: the scenario's own database and instance folder;
- KIOSK_SAME_DEVICE_INTERVAL_MINUTES=0: each client is one phone tapping many times; with the
  default 30 minutes its second tap would replace its first instead of adding a rating;
- KIOSK_REDIS_URL (two-instance scenario): the shared rate-limit store.
Ratings that anti-abuse rules flag are still stored (quarantined, never refused), so they count
as stored rows here; sign-in throttling is exercised on purpose by the two-instance check.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.pgserver import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[2]
LEVEL_WEIGHTS = {5: 70, 4: 15, 3: 7, 2: 5, 1: 3}  # what a hall sees: mostly 非常满意
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- gunicorn -------------------------------------------------------------------------------


def app_env(database_url: str, instance: Path, secret: str, **extra: str) -> dict[str, str]:
    """Return the environment for the app's processes: ours minus KIOSK_* and DATABASE_URL."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KIOSK_") and k != "DATABASE_URL"
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "KIOSK_INSTANCE_PATH": str(instance),
            "KIOSK_SECRET_KEY": secret,
            "KIOSK_SAME_DEVICE_INTERVAL_MINUTES": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class Gunicorn:
    """One gunicorn master with its workers, in a process group of its own."""

    def __init__(
        self,
        env: dict[str, str],
        logs: Path,
        *,
        workers: int = 4,
        app: str = "wsgi:app",
        name: str = "gunicorn",
        prefix: Sequence[str] = (),
        timeout_s: int = 60,
    ) -> None:
        """prefix: a command that runs gunicorn (valgrind for bench/instructions.py)."""
        self.env, self.workers, self.app = env, workers, app
        self.prefix, self.timeout_s = list(prefix), timeout_s
        self.port = free_port()
        self.stdout_path = logs / f"{name}.out"
        self.stderr_path = logs / f"{name}.err"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, deadline_s: float = 90) -> Gunicorn:
        """Start the server and wait until /healthz answers 200."""
        command = [
            *self.prefix,
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(self.timeout_s),
            "--graceful-timeout",
            "5",
            self.app,
        ]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=err, start_new_session=True
            )
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.stderr_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request(self.address, "GET", "/healthz", timeout=5).status == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become healthy in {deadline_s} s")

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's current workers."""
        assert self.process is not None
        master, pids = self.process.pid, []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master:
                pids.append(int(entry))
        return pids

    def kill_random_worker(self, rng: random.Random) -> int | None:
        """kill -9 one worker chosen at random; return its pid (None if none was running)."""
        pids = self.worker_pids()
        if not pids:
            return None
        pid = rng.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        """Stop the master and every worker: TERM to the group, then KILL after a deadline."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers, workers included
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def output(self) -> str:
        """Return everything the server wrote (app logs on stdout, gunicorn's on stderr)."""
        return "".join(
            p.read_text(errors="replace")
            for p in (self.stdout_path, self.stderr_path)
            if p.exists()
        )


@contextlib.contextmanager
def running(servers: Sequence[Gunicorn]) -> Iterator[Sequence[Gunicorn]]:
    """Start every server; stop them all on the way out, whatever happened."""
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- database -------------------------------------------------------------------------------


def migrate(env: dict[str, str]) -> None:
    """Run `flask --app kiosk db upgrade` the way a deployment does."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "kiosk", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )


def _checker(database_url: str, instance: Path):  # type: ignore[no-untyped-def]
    from kiosk import create_app

    return create_app(
        {"SECRET_KEY": "load-checker", "SQLALCHEMY_DATABASE_URI": database_url, "LOG_REQUESTS": 0},
        instance_path=str(instance / "checker"),
    )


def seed(database_url: str, instance: Path, windows: int) -> list[str]:
    """Create a hall with windows, each with a clerk on duty; return the windows' QR tokens."""
    from kiosk.database import intend_write
    from kiosk.extensions import db
    from kiosk.models import Duty, Hall, Staff, Window
    from kiosk.models._types import utcnow

    app = _checker(database_url, instance)
    with app.app_context():
        intend_write()
        hall = Hall(slug="load", name="压力测试便民服务中心")
        db.session.add(hall)
        made = []
        for number in range(1, windows + 1):
            window = Window(hall=hall, number=number, name=f"综合受理{number}")
            clerk = Staff(hall=hall, staff_no=f"L{number:03d}", name=f"测试员{number}")
            since = utcnow() - timedelta(hours=1)
            db.session.add_all([window, clerk, Duty(staff=clerk, window=window, starts_at=since)])
            made.append(window)
        db.session.commit()
        tokens = [window.qr_token for window in made]
        db.session.remove()
        db.engine.dispose()
    return tokens


@dataclass
class Stored:
    """What the database holds after a run."""

    rows: int
    per_key: Counter[str]
    counted: int
    tally: int
    log_created: int
    chain_problems: int


def count_stored(database_url: str, instance: Path, check_chain: bool = True) -> Stored:
    """Count ratings per key, board tallies and rating-log entries of the load hall."""
    from sqlalchemy import func, select

    from kiosk.extensions import db
    from kiosk.models import Hall, Rating, RatingRevision, RatingTally
    from kiosk.models.rating_log import RatingLogEntry
    from kiosk.services import rating_log

    app = _checker(database_url, instance)
    with app.app_context():
        hall_id = db.session.scalar(select(Hall.id).where(Hall.slug == "load"))
        keys = list(
            db.session.scalars(select(Rating.idempotency_key).where(Rating.hall_id == hall_id))
        )
        replaced = list(
            db.session.scalars(
                select(RatingRevision.idempotency_key)
                .join(Rating, Rating.id == RatingRevision.rating_id)
                .where(Rating.hall_id == hall_id)
            )
        )
        counted = db.session.scalar(
            select(func.count()).where(Rating.hall_id == hall_id, Rating.status == "counted")
        )
        tally = db.session.scalar(
            select(func.coalesce(func.sum(RatingTally.count), 0)).where(
                RatingTally.hall_id == hall_id,
                RatingTally.grain == "year",
                RatingTally.subject == "window",
            )
        )
        log_created = db.session.scalar(
            select(func.count())
            .select_from(RatingLogEntry)
            .where(RatingLogEntry.event == "created")
        )
        problems = len(rating_log.verify()[1]) if check_chain else 0
        db.session.remove()
        db.engine.dispose()
    return Stored(
        rows=len(keys),
        per_key=Counter(keys + replaced),
        counted=int(counted or 0),
        tally=int(tally or 0),
        log_created=int(log_created or 0),
        chain_problems=problems,
    )


# --- clients --------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def request(
    address: tuple[str, int],
    method: str,
    path: str,
    *,
    body: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    timeout: float = 30,
) -> Response:
    """Send one HTTP request on a fresh connection (gunicorn's sync workers close it anyway)."""
    headers = {"Connection": "close"}
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        conn.close()


def remember_cookies(jar: dict[str, str], response: Response) -> None:
    """Keep the cookies a response sets, as a browser would."""
    for name, value in response.headers:
        if name.lower() == "set-cookie":
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(value)
            for key, morsel in parsed.items():
                jar[key] = morsel.value


def open_form(
    address: tuple[str, int], path: str, timeout: float = 30
) -> tuple[dict[str, str], str]:
    """Open a form page as a browser does once; return (its cookies, its CSRF token)."""
    page = request(address, "GET", path, timeout=timeout)
    assert page.status == 200, f"{path}: {page.status}"
    cookies: dict[str, str] = {}
    remember_cookies(cookies, page)
    found = CSRF_FIELD.search(page.body.decode())
    assert found, f"no CSRF token on {path}"
    return cookies, found.group(1)


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    total: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    taken: int = 0
    sent: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    server_errors: int = 0
    connection_errors: int = 0
    other_statuses: Counter[int] = field(default_factory=Counter)
    failures_at: list[float] = field(default_factory=list)  # monotonic times of failed attempts
    acks_at: list[float] = field(default_factory=list)

    def take(self) -> bool:
        with self.lock:
            if self.taken >= self.total:
                return False
            self.taken += 1
            return True


class Phone(threading.Thread):
    """One resident's phone: opens a window's page once, then taps until the work runs out."""

    def __init__(
        self,
        tally: Tally,
        addresses: Sequence[tuple[str, int]],
        token: str,
        seed: int,
        deadline: float,
        give_up_s: float = 60,
    ) -> None:
        super().__init__(daemon=True)
        self.tally, self.addresses, self.token = tally, addresses, token
        self.rng = random.Random(seed)
        self.deadline, self.give_up_s = deadline, give_up_s
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.turn = seed

    def _next_address(self) -> tuple[str, int]:
        # Round robin over the instances, as a load balancer would.
        self.turn += 1
        return self.addresses[self.turn % len(self.addresses)]

    def _failed(self) -> None:
        self.tally.failures_at.append(time.monotonic())
        time.sleep(self.rng.uniform(0.05, 0.25))

    def open_page(self) -> None:
        """Fetch the rating page (retrying like any phone user would) for the form token."""
        while time.monotonic() < self.deadline:
            try:
                page = request(self._next_address(), "GET", f"/r/{self.token}")
            except (OSError, http.client.HTTPException):
                with self.tally.lock:
                    self.tally.connection_errors += 1
                self._failed()
                continue
            if page.status == 200:
                remember_cookies(self.cookies, page)
                found = CSRF_FIELD.search(page.body.decode())
                if found:
                    self.csrf = found.group(1)
                    return
            with self.tally.lock:
                if page.status >= 500:
                    self.tally.server_errors += 1
                else:
                    self.tally.other_statuses[page.status] += 1
            self._failed()
        raise TimeoutError("the rating page never loaded")

    def rate_once(self) -> None:
        """Tap one level with a fresh key and retry that key until it is acknowledged."""
        key = uuid.uuid4().hex
        level = self.rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        with self.tally.lock:
            self.tally.sent.append(key)
        started = time.monotonic()
        while time.monotonic() - started < self.give_up_s and time.monotonic() < self.deadline:
            form = {"csrf_token": self.csrf, "level": str(level), "key": key}
            try:
                answer = request(
                    self._next_address(),
                    "POST",
                    f"/r/{self.token}",
                    body=form,
                    cookies=self.cookies,
                    timeout=20,
                )
            except (OSError, http.client.HTTPException):
                with self.tally.lock:
                    self.tally.connection_errors += 1
                self._failed()
                continue
            remember_cookies(self.cookies, answer)
            if answer.status == 303:
                now = time.monotonic()
                with self.tally.lock:
                    self.tally.acknowledged.append(key)
                    self.tally.latencies.append(now - started)
                    self.tally.acks_at.append(now)
                return
            with self.tally.lock:
                if answer.status >= 500:
                    self.tally.server_errors += 1
                else:
                    self.tally.other_statuses[answer.status] += 1
            self._failed()
            if answer.status == 400:  # an expired form: open the page again, keep the key
                try:
                    self.open_page()
                except TimeoutError:
                    break
        with self.tally.lock:
            self.tally.abandoned.append(key)

    def run(self) -> None:
        try:
            self.open_page()
            while time.monotonic() < self.deadline and self.tally.take():
                self.rate_once()
        except TimeoutError:
            return


def drive(
    addresses: Sequence[tuple[str, int]],
    tokens: Sequence[str],
    *,
    clients: int,
    ratings: int,
    deadline_s: float,
    during: Callable[[Tally, threading.Event], None] | None = None,
) -> tuple[Tally, float]:
    """Run the phones until ratings were acknowledged (or the deadline); return what they saw.

    during(tally, stop) runs in a thread beside them (killing workers, restarting databases)
    until stop is set.
    """
    tally = Tally(total=ratings)
    deadline = time.monotonic() + deadline_s
    phones = [
        Phone(tally, addresses, tokens[n % len(tokens)], seed=n, deadline=deadline)
        for n in range(clients)
    ]
    stop = threading.Event()
    side = threading.Thread(target=during, args=(tally, stop), daemon=True) if during else None
    started = time.monotonic()
    for phone in phones:
        phone.start()
    if side:
        side.start()
    try:
        for phone in phones:
            phone.join(timeout=max(deadline - time.monotonic(), 0) + 30)
    finally:
        stop.set()
        if side:
            side.join(timeout=90)
    return tally, time.monotonic() - started


# --- scenarios ------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    backend: str  # "sqlite" or "postgres"
    clients: int
    ratings: int
    instances: int = 1
    workers: int = 4
    windows: int = 8
    kill_every_s: float | None = None  # kill -9 a random worker this often
    restart_postgres: bool = False  # pg_ctl restart -m fast once half the ratings are in
    redis: bool = False
    login_check: bool = False  # 10 failed sign-ins spread over the instances, then 429 on each
    deadline_s: float = 600


@dataclass
class Result:
    scenario: Scenario
    sent: int
    acknowledged: int
    stored: int
    lost: int
    duplicates: int
    unexpected_rows: int
    abandoned: int
    server_errors: int
    connection_errors: int
    other_statuses: dict[int, int]
    p50_ms: float
    p95_ms: float
    seconds: float
    locked_messages: int
    tally_ok: bool
    log_ok: bool
    kills: int = 0
    restart_s: float | None = None  # how long pg_ctl restart took
    recovery_s: float | None = None  # restart issued → first acknowledgement after the last failure
    login_statuses: list[int] = field(default_factory=list)
    redis_login_count: int | None = None
    database_login_rows: int | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    def problems(self, timing: bool = True) -> list[str]:
        """Return what went wrong, in words; empty when the run met every target.

        timing=False leaves out the one wall-clock target (recovery within 10 s), for tests.
        """
        found = []
        if self.acknowledged != self.scenario.ratings:
            found.append(f"{self.acknowledged} of {self.scenario.ratings} acknowledged")
        if self.lost:
            found.append(f"{self.lost} acknowledged ratings lost")
        if self.duplicates or self.unexpected_rows:
            found.append(f"{self.duplicates} doubled, {self.unexpected_rows} unknown rows")
        if self.server_errors and not self.scenario.restart_postgres:
            found.append(f"{self.server_errors} responses 5xx")
        if self.other_statuses:
            found.append(f"unexpected statuses {self.other_statuses}")
        if self.locked_messages:
            found.append(f"{self.locked_messages} 'database is locked' in the logs")
        if not self.tally_ok:
            found.append("board counters differ from the counted ratings")
        if not self.log_ok:
            found.append("rating log does not match the ratings")
        if self.scenario.kill_every_s and not self.kills:
            found.append("no worker was killed")
        if self.scenario.restart_postgres:
            if self.restart_s is None:
                found.append("PostgreSQL was not restarted")
            elif self.recovery_s is None:
                found.append("no rating was acknowledged after the restart")
            elif timing and self.recovery_s > 10:
                found.append(
                    f"recovery after the restart took {self.recovery_s:.1f} s (target 10 s)"
                )
        if self.scenario.login_check and self.login_statuses != [400] * 10 + [429] * 2:
            found.append(f"sign-in statuses {self.login_statuses}, wanted 10 × 400 then 429s")
        if self.scenario.redis and self.database_login_rows:
            found.append("rate-limit counters were written to the database, not Redis")
        return found


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def _killer(servers: Sequence[Gunicorn], every_s: float, kills: list[int], seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)

    def kill() -> None:
        pid = rng.choice(servers).kill_random_worker(rng)
        if pid:
            kills.append(pid)

    def run(tally: Tally, stop: threading.Event) -> None:
        # The first kill once a quarter of the work is done, however fast the machine is.
        while not stop.wait(0.02):
            if len(tally.acknowledged) >= tally.total // 4:
                kill()
                break
        while not stop.wait(every_s * rng.uniform(0.7, 1.3)):
            kill()

    return run


def _restarter(pg: PostgresServer, times: dict[str, float]):  # type: ignore[no-untyped-def]
    def run(tally: Tally, stop: threading.Event) -> None:
        while not stop.wait(0.05):
            if len(tally.acknowledged) >= tally.total // 2:
                times["issued"] = time.monotonic()
                pg.restart("fast")
                times["up"] = time.monotonic()
                return

    return run


def _login_check(servers: Sequence[Gunicorn], username: str = "load-check") -> list[int]:
    """Fail to sign in ten times, alternating instances; then try once more on each."""
    statuses = []
    for attempt in range(12):
        server = servers[attempt % len(servers)] if attempt < 10 else servers[attempt - 10]
        jar: dict[str, str] = {}
        page = request(server.address, "GET", "/auth/login")
        remember_cookies(jar, page)
        found = CSRF_FIELD.search(page.body.decode())
        form = {
            "csrf_token": found.group(1) if found else "",
            "username": username,
            "password": f"wrong-{attempt}",
        }
        statuses.append(
            request(server.address, "POST", "/auth/login", body=form, cookies=jar).status
        )
    return statuses


def run_scenario(
    scenario: Scenario,
    workdir: Path,
    *,
    pg: PostgresServer | None = None,
    redis_url: str | None = None,
) -> Result:
    """Set up, drive, fault and count one scenario; every process is stopped on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    instance = workdir / "instance"
    slug = re.sub(r"[^a-z0-9]+", "_", scenario.name.lower()).strip("_")
    if scenario.backend == "postgres":
        if pg is None:
            raise ValueError("a PostgreSQL scenario needs a server")
        database_url = pg.create_database(f"load_{slug}_{secrets.token_hex(3)}")
    else:
        database_url = f"sqlite:///{workdir / 'load.sqlite3'}"
    extra = {}
    prefix = f"load-{slug}-{secrets.token_hex(3)}:"
    if scenario.redis:
        if redis_url is None:
            raise ValueError("a Redis scenario needs a server")
        extra = {"KIOSK_REDIS_URL": redis_url, "KIOSK_REDIS_KEY_PREFIX": prefix}
    env = app_env(database_url, instance, secrets.token_hex(16), **extra)
    migrate(env)
    tokens = seed(database_url, instance, scenario.windows)
    servers = [
        Gunicorn(env, workdir, workers=scenario.workers, name=f"gunicorn{n}")
        for n in range(scenario.instances)
    ]
    kills: list[int] = []
    restart: dict[str, float] = {}
    during = None
    if scenario.kill_every_s:
        during = _killer(servers, scenario.kill_every_s, kills, seed=len(slug))
    elif scenario.restart_postgres:
        assert pg is not None
        during = _restarter(pg, restart)
    login_statuses: list[int] = []
    with running(servers):
        tally, seconds = drive(
            [s.address for s in servers],
            tokens,
            clients=scenario.clients,
            ratings=scenario.ratings,
            deadline_s=scenario.deadline_s,
            during=during,
        )
        if scenario.login_check:
            login_statuses = _login_check(servers)
    stored = count_stored(database_url, instance)
    output = "".join(server.output() for server in servers)
    acked = set(tally.acknowledged)
    sent = set(tally.sent)
    recovery = None
    if "issued" in restart:
        failures = [t for t in tally.failures_at if t >= restart["issued"]]
        last_failure = max(failures, default=restart["issued"])
        after = [t for t in tally.acks_at if t >= last_failure]
        recovery = (min(after) - restart["issued"]) if after else None
    result = Result(
        scenario=scenario,
        sent=len(tally.sent),
        acknowledged=len(acked),
        stored=stored.rows,
        lost=sum(1 for key in acked if stored.per_key[key] == 0),
        duplicates=sum(n - 1 for n in stored.per_key.values() if n > 1),
        unexpected_rows=sum(n for key, n in stored.per_key.items() if key not in sent),
        abandoned=len(tally.abandoned),
        server_errors=tally.server_errors,
        connection_errors=tally.connection_errors,
        other_statuses=dict(tally.other_statuses),
        p50_ms=_percentile(tally.latencies, 0.50) * 1000,
        p95_ms=_percentile(tally.latencies, 0.95) * 1000,
        seconds=seconds,
        locked_messages=output.count("database is locked"),
        tally_ok=stored.tally == stored.counted,
        log_ok=stored.log_created == stored.rows and stored.chain_problems == 0,
        kills=len(kills),
        restart_s=(restart["up"] - restart["issued"]) if "up" in restart else None,
        recovery_s=recovery,
        login_statuses=login_statuses,
        logs=[p for s in servers for p in (s.stdout_path, s.stderr_path)],
    )
    if scenario.redis and scenario.login_check:
        result.redis_login_count, result.database_login_rows = _login_counters(
            redis_url or "", prefix, database_url, instance
        )
    return result


def _login_counters(
    redis_url: str, prefix: str, database_url: str, instance: Path
) -> tuple[int, int]:
    import redis
    from sqlalchemy import func, select

    from kiosk.extensions import db
    from kiosk.models.limits import RateLimitCounter

    client = redis.Redis.from_url(redis_url)
    names = client.keys(f"{prefix}limit:login:user:*")
    in_redis = sum(int(client.get(name) or 0) for name in names)
    client.close()
    app = _checker(database_url, instance)
    with app.app_context():
        rows = int(db.session.scalar(select(func.count()).select_from(RateLimitCounter)) or 0)
        db.session.remove()
        db.engine.dispose()
    return in_redis, rows


# --- report ---------------------------------------------------------------------------------

COLUMNS = (
    ("scenario", 34),
    ("sent", 6),
    ("acked", 6),
    ("stored", 6),
    ("lost", 4),
    ("dupl", 4),
    ("5xx", 4),
    ("conn", 4),
    ("p50 ms", 7),
    ("p95 ms", 7),
    ("r/s", 6),
    ("kills", 5),
    ("recov s", 7),
    ("locked", 6),
)


def table(results: Sequence[Result]) -> str:
    """Return the results as a fixed-width table."""

    def row(cells: Sequence[Any]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, (_, w)) in enumerate(zip(cells, COLUMNS, strict=True))
        )

    lines = [row([name for name, _ in COLUMNS]), row(["-" * w for _, w in COLUMNS])]
    for r in results:
        lines.append(
            row(
                [
                    r.scenario.name,
                    r.sent,
                    r.acknowledged,
                    r.stored,
                    r.lost,
                    r.duplicates + r.unexpected_rows,
                    r.server_errors,
                    r.connection_errors,
                    f"{r.p50_ms:.0f}",
                    f"{r.p95_ms:.0f}",
                    f"{r.per_second:.0f}",
                    r.kills if r.scenario.kill_every_s else "-",
                    f"{r.recovery_s:.1f}" if r.recovery_s is not None else "-",
                    r.locked_messages,
                ]
            )
        )
    return "\n".join(lines)


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages (the machine is shared; figures are noisy)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"

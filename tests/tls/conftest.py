"""The site as deployed: Chromium → nginx (the shipped site file, real TLS) → gunicorn → SQLite.

One stack serves the whole session:

1. a throwaway self-signed certificate for hall.test (openssl);
2. a fresh instance folder and SQLite file, migrated with `flask --app kiosk db upgrade` and
   seeded through the app's own models and services (tests/browser/device_support.py's hall,
   plus a supervisor account);
3. gunicorn (`gunicorn wsgi:app`, 2 workers) with the settings docs/deploy.md gives a
   deployment behind nginx: KIOSK_PUBLIC_URL=https://…, KIOSK_PROXY_HOPS=1;
4. nginx in the foreground running deploy/nginx-kiosk.conf, changed only by adapt_site();
5. Chromium, told that hall.test is 127.0.0.1, accepting the test certificate.

Chromium runs in a thread of its own: Playwright's sync API allows one instance per thread,
and tests/browser's session-scoped instance holds the main thread until the session ends.
Each test hands its browser steps to that thread (Chromium.run) and checks the database from
its own thread through `stack.app`, an app over the same DATABASE_URL as gunicorn.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import Hall, Window
from kiosk.services import accounts
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from tests.browser.device_support import Seed, seed_hall
from tests.load.driver import ROOT, Gunicorn, app_env, migrate
from tests.pgserver import free_port

HOST = "hall.test"
SUPERVISOR = "zhuren"
SUPERVISOR_PASSWORD = "tls-Supervisor-7"
T = TypeVar("T")


def adapt_site(
    site: str,
    *,
    http_port: int,
    https_port: int,
    upstream_port: int,
    cert: Path,
    key: Path,
    static: Path,
    logs: Path,
) -> str:
    """Return deploy/nginx-kiosk.conf made runnable in a test, and changed in nothing else.

    Only these substitutions, each of text the shipped file must contain (a changed site file
    fails here, not silently): our host name for hall.example.cn; free ports on 127.0.0.1 for
    80 and 443 (the IPv6 listens are dropped: CI machines may have no IPv6); the test
    certificate; gunicorn's port for 127.0.0.1:8000; this checkout's kiosk/static/ for
    /srv/kiosk/kiosk/static/; a temporary folder for /var/log/nginx/.
    """
    substitutions = [
        ("server_name hall.example.cn;", f"server_name {HOST};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/ssl/kiosk/fullchain.pem", str(cert)),
        ("/etc/ssl/kiosk/privkey.pem", str(key)),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("alias /srv/kiosk/kiosk/static/;", f"alias {static}/;"),
        ("/var/log/nginx/", f"{logs}/"),
    ]
    for old, new in substitutions:
        if old not in site:
            raise AssertionError(f"deploy/nginx-kiosk.conf no longer contains {old!r}")
        site = site.replace(old, new)
    return site


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """Create a self-signed certificate for HOST, valid for a day; return (cert, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed: apt-get install openssl")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def stop_process_group(process: subprocess.Popen[bytes], deadline_s: float = 10) -> None:
    """TERM the process's group, then KILL whatever is left after the deadline."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=deadline_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes


class Nginx:
    """nginx in the foreground (daemon off) from a temporary prefix, in its own process group."""

    def __init__(self, folder: Path, site: str, https_port: int) -> None:
        self.folder, self.https_port = folder, https_port
        (folder / "site.conf").write_text(site)
        # As root (CI containers) the workers would otherwise run as nobody, who may not read
        # the checkout. Started by anyone else, nginx keeps its own user and warns about `user`.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {folder}/{kind}_temp;"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n"
            f"    default_type application/octet-stream;\n"
            f"{temp}\n    include {folder}/site.conf;\n}}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, deadline_s: float = 15) -> Nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [nginx, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                   "-e", str(self.folder / "error.log")]  # fmt: skip
        with open(self.folder / "nginx.out", "wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.output()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if https_get(self.https_port, "/healthz", timeout=2).status == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"nginx did not answer /healthz over TLS in {deadline_s} s:\n{self.output()}"
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def output(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for path in (self.folder / "nginx.out", self.folder / "error.log")
            if path.exists()
        )


def _unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our throwaway certificate
    return context


def _get(connection: http.client.HTTPConnection, port: int, path: str) -> Answer:
    try:
        connection.request("GET", path, headers={"Host": f"{HOST}:{port}", "Connection": "close"})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def https_get(port: int, path: str, timeout: float = 10) -> Answer:
    """GET path from nginx's TLS port as HOST, following nothing."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=timeout, context=_unverified_tls()
    )
    return _get(connection, port, path)


def https_post(port: int, path: str, body: bytes, timeout: float = 30) -> Answer:
    """POST a raw body to path on nginx's TLS port as HOST (a form, as far as nginx can tell)."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=timeout, context=_unverified_tls()
    )
    headers = {
        "Host": f"{HOST}:{port}",
        "Connection": "close",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def http_get(port: int, path: str, timeout: float = 10) -> Answer:
    """GET path from nginx's plain-HTTP port as HOST, following nothing."""
    return _get(http.client.HTTPConnection("127.0.0.1", port, timeout=timeout), port, path)


@dataclass
class TlsStack:
    """The running stack, its seed and an app over the same database for checks."""

    app: Flask
    seed: Seed
    token: str  # the QR token of window 3, where the seeded clerk 王芳 is on duty
    hall_slug: str
    http_port: int
    https_port: int
    gunicorn: Gunicorn
    nginx: Nginx

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    def https(self, path: str) -> Answer:
        return https_get(self.https_port, path)

    def http(self, path: str) -> Answer:
        return http_get(self.http_port, path)

    def output(self) -> str:
        """Everything gunicorn and nginx wrote, for failure messages."""
        return self.gunicorn.output() + self.nginx.output()


def _seed(app: Flask) -> tuple[Seed, str, str]:
    seed = seed_hall(app)  # hall "xingfu", three windows, 王芳 on duty at window 3
    with app.app_context():
        hall = db.session.get(Hall, seed.hall_id)
        accounts.create_user(SUPERVISOR, "supervisor", SUPERVISOR_PASSWORD, hall=hall)
        db.session.commit()
        window = db.session.get(Window, seed.window_ids[2])
        assert hall is not None and window is not None
        return seed, window.qr_token, hall.slug


@pytest.fixture(scope="session")
def tls_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsStack]:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        raise RuntimeError("nginx is not installed: apt-get install nginx (make test does this)")
    folder = tmp_path_factory.mktemp("tls")
    instance, logs, web = folder / "instance", folder / "logs", folder / "nginx"
    for path in (instance, logs, web):
        path.mkdir()
    cert, key = make_certificate(web)
    https_port, http_port = free_port(), free_port()
    database_url = f"sqlite:///{instance / 'hall.sqlite3'}"
    secret = secrets.token_urlsafe(32)
    env = app_env(
        database_url,
        instance,
        secret,
        KIOSK_PUBLIC_URL=f"https://{HOST}:{https_port}",
        KIOSK_PROXY_HOPS="1",
        # Open around the clock, so ratings count (and reach the board) whenever CI runs: at
        # night the default 08:30-17:30 would quarantine every tap as off_hours.
        KIOSK_OPENING_HOURS="00:00-24:00",
    )
    env.pop("KIOSK_SAME_DEVICE_INTERVAL_MINUTES")  # the load driver's, not a deployment's
    try:
        migrate(env)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"flask db upgrade failed:\n{error.stderr.decode()[-3000:]}") from None

    app = create_app(
        {"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": database_url, "LOG_REQUESTS": False},
        instance_path=str(folder / "checker"),
    )
    seed, token, slug = _seed(app)

    gunicorn = Gunicorn(env, logs, workers=2)  # on a free port of its own
    site = adapt_site(
        (ROOT / "deploy" / "nginx-kiosk.conf").read_text(),
        http_port=http_port,
        https_port=https_port,
        upstream_port=gunicorn.port,
        cert=cert,
        key=key,
        static=ROOT / "kiosk" / "static",
        logs=logs,
    )
    nginx = Nginx(web, site, https_port)
    try:
        gunicorn.start(deadline_s=60)
        nginx.start()
        yield TlsStack(app, seed, token, slug, http_port, https_port, gunicorn, nginx)
    finally:
        nginx.stop()
        gunicorn.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


PageFactory = Callable[..., Any]


class Chromium:
    """Chromium and its Playwright, owned by one thread; run() executes browser steps there."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tls-chromium")
        self._playwright: Any = None
        self._browser: Any = None

    def start(self) -> Chromium:
        self._pool.submit(self._launch).result(timeout=60)
        return self

    def _launch(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
            headless=True,
        )

    def run(self, steps: Callable[[PageFactory], T], name: str, timeout_s: float = 120) -> T:
        """Run steps(new_page) in the browser's thread; on failure screenshot every page."""
        return self._pool.submit(self._run, steps, name).result(timeout=timeout_s)

    def _run(self, steps: Callable[[PageFactory], T], name: str) -> T:
        contexts: list[Any] = []

        def new_page(width: int = 1280, height: int = 800, **options: Any) -> Any:
            options.setdefault("locale", "zh-CN")
            context = self._browser.new_context(
                viewport={"width": width, "height": height}, ignore_https_errors=True, **options
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            return context.new_page()

        try:
            return steps(new_page)
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
            pages = [page for context in contexts for page in context.pages]
            for number, page in enumerate(pages, 1):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"failed-tls-{safe}-{number}.png"))
                except Exception as error:  # a broken page must not hide the failure itself
                    print(f"no screenshot of page {number}: {error}")
            raise
        finally:
            for context in contexts:
                context.close()

    def stop(self) -> None:
        def close() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self._pool.submit(close).result(timeout=30)
        finally:
            self._pool.shutdown(wait=False)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    browser = Chromium().start()
    yield browser
    browser.stop()


def logged_errors(output: str, limit: int = 5) -> str:
    """Return the last errors in gunicorn's and nginx's output, tracebacks unfolded."""
    errors = []
    for line in output.splitlines():
        if line.startswith("{") and '"level": "error"' in line:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                line = f"{entry.get('event')}: {entry.get('exception', '')}"
            errors.append(line)
        elif "[error]" in line or "[emerg]" in line or "[ERROR]" in line:
            errors.append(line)
    return "\n".join(errors[-limit:]) or "(none)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, show the errors gunicorn and nginx logged (a 500's traceback is there)."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("tls_stack")
    if report.failed and isinstance(stack, TlsStack):
        report.sections.append(("tls stack errors", logged_errors(stack.output())))
    return report

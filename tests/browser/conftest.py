"""Real-browser fixtures: a live server on loopback and Playwright driving Debian's Chromium.

The server runs the real application in a thread on a free port, with its own SQLite file;
tests seed it through `live_server.app` inside an app context. Screenshots go to
test-artifacts/ at the top of the checkout, and a failed test leaves one of each of its
pages there (failed-<test>-<n>.png), so that a failure on CI can be seen, not guessed.
"""

import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from kiosk import create_app
from kiosk.extensions import db
from tests.pgserver import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    """Return the Chromium binary installed from Debian's package."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is not installed: apt-get install chromium (make test does this)")


class LiveServer:
    """The application served over HTTP on loopback, stoppable and restartable."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> "LiveServer":
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()  # noqa: S310
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("live server did not answer /healthz within 15 s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


@pytest.fixture
def live_app_config(tmp_path: Path) -> dict[str, Any]:
    """Settings for the live server's app; tests may change them before live_server starts."""
    return {
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite3'}",
    }


@pytest.fixture
def live_server(live_app_config: dict[str, Any], tmp_path: Path) -> Iterator[LiveServer]:
    app = create_app(live_app_config, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.create_all()
    server = LiveServer(app)
    server.app.config["PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Return a factory for pages: new_page(width=1280, height=800, **context_options)."""
    contexts = []

    def make(width: int = 1280, height: int = 800, **options: Any) -> Any:
        options.setdefault("locale", "zh-CN")  # residents' phones and the hall tablets
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(CALL_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, 1):
            name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
            try:
                page.screenshot(path=str(ARTIFACTS / f"failed-{name}-{number}.png"))
            except Exception as error:  # a broken page must not hide the failure itself
                print(f"no screenshot of page {number}: {error}")
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    """Return the folder for screenshots and other test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

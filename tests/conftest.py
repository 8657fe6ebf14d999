"""Fixtures: a fresh application and database per test, factories for domain rows.

Tests under tests/db and tests/services run against SQLite and against a real PostgreSQL
server (a throwaway cluster started once per session); the other layers use SQLite.
"""

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import District, Duty, Hall, Staff, User, Window
from kiosk.models._types import utcnow
from tests.helpers import give_rating
from tests.pgserver import PostgresServer
from tests.redisserver import RedisServer

BOTH_BACKENDS_IN = ("tests/db/", "tests/services/")
_db_numbers = itertools.count(1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = str(metafunc.definition.path).replace("\\", "/")
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return
    marks = metafunc.definition.iter_markers("parametrize")
    if any(mark.args[:1] == ("backend",) for mark in marks):
        return  # the test names its backends itself
    if "backend" in metafunc.fixturenames and any(part in path for part in BOTH_BACKENDS_IN):
        metafunc.parametrize(
            "backend",
            ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
            indirect=True,
        )


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's KIOSK_* and DATABASE_URL variables out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith("KIOSK_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgres":
        server: PostgresServer = request.getfixturevalue("pg_server")
        return server.create_database(f"test_{next(_db_numbers)}")
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(database_url: str) -> dict[str, Any]:
    """Settings for the test app; tests may change them before requesting app."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_URL": "https://hall.example.test",
    }


def _fresh_g(sender: Flask, **_: Any) -> None:
    # Tests hold an app context for their factories, and Flask reuses it for test-client
    # requests; in production every request has its own. Start each request with an empty g
    # so cached CSRF tokens and logged-in users cannot leak from one client to another.
    g.__dict__.clear()


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    application = create_app(app_config, instance_path=str(instance))
    with application.app_context():
        db.create_all()
    request_started.connect(_fresh_g, application)
    yield application
    request_started.disconnect(_fresh_g, application)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield


@pytest.fixture
def make_hall(ctx: None) -> Callable[..., Hall]:
    counter = itertools.count(1)

    def make(**fields: Any) -> Hall:
        n = next(counter)
        hall = Hall(**{"slug": f"hall{n}", "name": f"测试便民服务中心{n}", **fields})
        db.session.add(hall)
        db.session.commit()
        return hall

    return make


@pytest.fixture
def hall(make_hall: Callable[..., Hall]) -> Hall:
    return make_hall(slug="xingfu", name="幸福社区便民服务中心")


@pytest.fixture
def make_window(hall: Hall) -> Callable[..., Window]:
    counter = itertools.count(1)

    def make(**fields: Any) -> Window:
        n = next(counter)
        window = Window(**{"hall": hall, "number": n, "name": f"综合受理{n}", **fields})
        db.session.add(window)
        db.session.commit()
        return window

    return make


@pytest.fixture
def window(make_window: Callable[..., Window]) -> Window:
    return make_window(number=3, name="社保医保")


@pytest.fixture
def make_staff(hall: Hall) -> Callable[..., Staff]:
    counter = itertools.count(1)

    def make(**fields: Any) -> Staff:
        n = next(counter)
        staff = Staff(**{"hall": hall, "staff_no": f"T{n:03d}", "name": f"员工{n}", **fields})
        db.session.add(staff)
        db.session.commit()
        return staff

    return make


@pytest.fixture
def staff(make_staff: Callable[..., Staff]) -> Staff:
    return make_staff(staff_no="XF001", name="王芳")


@pytest.fixture
def put_on_duty() -> Callable[..., Duty]:
    def make(
        staff: Staff,
        window: Window,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        source: str = "roster",
    ) -> Duty:
        now = utcnow()
        duty = Duty(
            staff=staff,
            window=window,
            source=source,
            starts_at=starts_at or now - timedelta(hours=1),
            ends_at=ends_at if ends_at is not None else now + timedelta(hours=8),
        )
        db.session.add(duty)
        db.session.commit()
        return duty

    return make


PASSWORDS = {
    "admin": "correct horse battery",
    "supervisor": "s3cure-pass",
    "staff": "clerk-pass-1",
    "district_admin": "street office keys",
    "district_assessor": "assessor-pass-1",
    "resident_rep": "resident-pass-1",
}


@pytest.fixture
def make_user(hall: Hall) -> Callable[..., User]:
    """Return make_user(username, role, **fields): an account in the hall by default.

    A district account passes district=… (and gets no hall unless it is given one).
    """

    def make(username: str, role: str = "supervisor", **fields: Any) -> User:
        if "district" not in fields:
            fields.setdefault("hall", hall)
        user = User(username=username, role=role, **fields)
        user.set_password(PASSWORDS[role])
        db.session.add(user)
        db.session.commit()
        return user

    return make


class Auth:
    """Sign a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str):  # type: ignore[no-untyped-def]
        from tests.helpers import hidden_fields

        page = self.client.get("/auth/login").get_data(as_text=True)
        data = {**hidden_fields(page), "username": username, "password": password}
        return self.client.post("/auth/login", data=data)

    def login_as(self, user: User):  # type: ignore[no-untyped-def]
        return self.login(user.username, PASSWORDS[user.role])


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def make_district(ctx: None) -> Callable[..., District]:
    counter = itertools.count(1)

    def make(**fields: Any) -> District:
        n = next(counter)
        district = District(**{"slug": f"district{n}", "name": f"测试街道{n}", **fields})
        db.session.add(district)
        db.session.commit()
        return district

    return make


# --- hall management (windows, people, roster, users, audit log) -----------------------------


@pytest.fixture
def sign_in(make_user: Callable[..., User], auth: Auth) -> Callable[..., User]:
    """Return sign_in(role, **fields): create a user with role in the hall and log the client in."""
    counter = itertools.count(1)

    def make(role: str, **fields: Any) -> User:
        user = make_user(f"{role}{next(counter)}", role, **fields)
        response = auth.login_as(user)
        assert response.status_code == 302, "test user could not sign in"
        return user

    return make


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """Return post_form(page_url, action_url=None, **fields): submit a form as a browser would.

    The page is opened first so the CSRF token is the one it renders.
    """
    from tests.helpers import hidden_fields

    def post(page_url: str, action_url: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
        page = client.get(page_url)
        assert page.status_code == 200, f"{page_url} answered {page.status_code}"
        data = {**hidden_fields(page.get_data(as_text=True)), **fields}
        return client.post(action_url or page_url, data=data)

    return post


# --- complaints, ratings review, dashboards (issue 6) --------------------------------------


def hall_time(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Return the naive-UTC moment of a hall-local (Asia/Shanghai) wall-clock time."""
    from zoneinfo import ZoneInfo

    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@pytest.fixture
def set_clock(app: Flask) -> Callable[[datetime], None]:
    """Fix the application's clock at a naive-UTC moment (kiosk.clock.now())."""

    def set_to(moment: datetime) -> None:
        app.config["CLOCK"] = lambda: moment

    return set_to


@pytest.fixture
def make_complaint(
    window: Window, staff: Staff, put_on_duty: Callable[..., Duty]
) -> Callable[..., Any]:
    """Create a 差评 by the window's QR code and the resident's complaint about staff."""
    from kiosk.services import ratings

    keys = itertools.count(1)

    def make(
        at: datetime | None = None,
        *,
        level: int = 1,
        phone: str | None = "13812345678",
        text: str = "等了很久没人理",
        tags: tuple[str, ...] = ("attitude",),
        who: Staff | None = None,
        where: Window | None = None,
    ):  # type: ignore[no-untyped-def]
        at = at or utcnow()
        who, where = who or staff, where or window
        put_on_duty(who, where, starts_at=at - timedelta(hours=1), ends_at=at + timedelta(hours=1))
        receipt = give_rating(where, level, f"cmp-key-{next(keys):04d}", channel="qr", now=at)
        complaint, _ = ratings.file_complaint(
            receipt.rating, reason_tags=tags, text=text, phone=phone, now=at
        )
        db.session.commit()
        return complaint

    return make


@pytest.fixture
def give_assessment() -> Callable[..., Any]:
    """Record a submitted, locked assessment of staff for a period: self, or by a supervisor.

    Since the scheme's gate asks for two sources, a test about the arithmetic of a
    residents-only score gives the person a second source with this.
    """
    from kiosk.models import Assessment
    from kiosk.services import evaluation

    def make(
        staff: Staff,
        period: str,
        *,
        by: User | None = None,
        share: float = 0.9,
        at: datetime | None = None,
    ):  # type: ignore[no-untyped-def]
        scores = {leaf.code: leaf.max_points * share for leaf in evaluation.current_scheme().leaves}
        if by is not None:
            who = {"kind": "supervisor", "assessor_user_id": by.id, "assessor_key": f"user:{by.id}"}
        else:
            key = f"staff:{staff.id}"
            who = {"kind": "self", "assessor_staff_id": staff.id, "assessor_key": key}
        row = Assessment(
            hall_id=staff.hall_id,
            period=period,
            subject_id=staff.id,
            scores=scores,
            submitted_at=at or utcnow(),
            locked=True,
            **who,
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


# --- ballot stuffing and security (issue 7) ----------------------------------------------


@pytest.fixture(autouse=True)
def _ratings_at_any_hour(request: pytest.FixtureRequest) -> None:
    """The suite runs at any time of day: ratings are not flagged off_hours unless asked.

    Production flags ratings outside OPENING_HOURS (STUFFING_FLAG_OFF_HOURS); a test of that
    flag sets app.config["STUFFING_FLAG_OFF_HOURS"] = True and fixes the clock.
    """
    for name in ("app_config", "live_app_config"):
        if name in request.fixturenames:
            request.getfixturevalue(name).setdefault("STUFFING_FLAG_OFF_HOURS", False)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port for the whole session."""
    server = RedisServer().start()
    yield server
    server.stop()

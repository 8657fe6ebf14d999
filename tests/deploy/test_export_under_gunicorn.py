"""Under gunicorn as deployed, a ratings CSV that breaks off is a failed transfer, not a file.

gunicorn (a sync worker, --timeout 60 as in deploy/kiosk.service) serves the app of
tests/deploy/broken_export_wsgi.py over a migrated SQLite database; http.client downloads as
any HTTP client does. A stream sent chunked that ends without its final chunk makes the
client raise IncompleteRead; a whole one ends with the trailer that counts its rows.
"""

import csv
import http.client
import io
import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import Duty, Hall, Staff, User, Window
from kiosk.models._types import utcnow
from kiosk.services import rating_export
from tests.helpers import give_rating
from tests.load.driver import CSRF_FIELD, Gunicorn, app_env, migrate, remember_cookies, request

pytestmark = pytest.mark.slow

PASSWORD = "Export-Gunicorn-7"
RATINGS = 1500  # of which 300 are level 1: the broken export sends those, then fails


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    folder = tmp_path_factory.mktemp("export-gunicorn")
    url = f"sqlite:///{folder / 'kiosk.sqlite3'}"
    env = app_env(url, folder / "instance", secrets.token_hex(16))
    migrate(env)
    seeder = create_app(
        {"SECRET_KEY": "seeder", "SQLALCHEMY_DATABASE_URI": url},
        instance_path=str(folder / "seeder"),
    )
    with seeder.app_context():
        hall = Hall(slug="export", name="导出测试便民服务中心")
        window = Window(hall=hall, number=1, name="综合受理")
        clerk = Staff(hall=hall, staff_no="E001", name="测试员")
        boss = User(username="exportboss", role="supervisor", hall=hall)
        boss.set_password(PASSWORD)
        now = utcnow()
        duty = Duty(staff=clerk, window=window, starts_at=now - timedelta(days=30))
        db.session.add_all([hall, window, clerk, boss, duty])
        db.session.commit()
        for n in range(RATINGS):
            at = now - timedelta(minutes=10 * n)
            give_rating(window, 5 - n % 5, f"gunicorn-export-{n:05d}", channel="qr", now=at)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    gunicorn = Gunicorn(env, folder, workers=1, app="tests.deploy.broken_export_wsgi:app")
    gunicorn.start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


@pytest.fixture(scope="module")
def cookies(server: Gunicorn) -> dict[str, str]:
    jar: dict[str, str] = {}
    page = request(server.address, "GET", "/auth/login")
    remember_cookies(jar, page)
    found = CSRF_FIELD.search(page.body.decode())
    assert found, "no CSRF token on the sign-in page"
    form = {"csrf_token": found.group(1), "username": "exportboss", "password": PASSWORD}
    answer = request(server.address, "POST", "/auth/login", body=form, cookies=jar)
    assert answer.status in (302, 303), answer.body[:300]
    remember_cookies(jar, answer)
    return jar


def download(server: Gunicorn, cookies: dict[str, str], path: str) -> tuple[int, str, bytes]:
    """GET path as a browser would; return (status, Transfer-Encoding, the whole body)."""
    connection = http.client.HTTPConnection(*server.address, timeout=60)
    try:
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request("GET", path, headers={"Cookie": cookie})
        answer = connection.getresponse()
        return answer.status, answer.getheader("Transfer-Encoding", ""), answer.read()
    finally:
        connection.close()


def test_a_whole_export_arrives_with_a_trailer_counting_its_rows(server, cookies):
    status, encoding, body = download(server, cookies, "/staff/ratings/export.csv")
    assert (status, encoding) == (200, "chunked")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))
    assert rating_export.trailer_count(rows[-1]) == len(rows) - 2 == RATINGS


def test_an_export_that_breaks_midway_fails_the_transfer_and_is_logged(server, cookies):
    with pytest.raises(http.client.IncompleteRead) as cut:
        download(server, cookies, "/staff/ratings/export.csv?level=1")
    arrived = cut.value.partial.decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(arrived)))
    assert len(rows) == 1 + RATINGS // 5  # the header and the one batch sent
    assert rating_export.trailer_count(rows[-1]) is None
    log = server.output()
    assert f"broke off after {RATINGS // 5} rows" in log and "the database went away" in log

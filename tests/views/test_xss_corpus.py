"""Hostile names and texts render inert on every page, the board, the API and the exports."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from kiosk.extensions import db
from kiosk.models import Staff, Window
from kiosk.services import invitations, ratings
from tests.conftest import PASSWORDS, Auth, hall_time
from tests.device_helpers import COOKIE, make_device
from tests.helpers import give_rating
from tests.views.test_role_matrix import fill, staff_get_rules

T0 = hall_time(2026, 11, 10, 10, 0)
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><svg onload=alert(1)>",
)
FORMULAS = ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)")
# Markup that would run if a payload reached the page unescaped.
ACTIVE = re.compile(
    r"<script>alert|<img src=x|<svg onload|"
    r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""",
    re.IGNORECASE,
)


@pytest.fixture
def hostile(app, hall, make_user, put_on_duty):  # type: ignore[no-untyped-def]
    """A hall whose name, windows, staff and complaints are all attack strings."""
    app.config["CLOCK"] = lambda: T0
    hall.name = " ".join(PAYLOADS)[:120]
    names = PAYLOADS + FORMULAS
    windows, people = [], []
    for n, name in enumerate(names, start=1):
        window = Window(hall=hall, number=n, name=name)
        person = Staff(hall=hall, staff_no=f"X{n:03d}", name=name)
        db.session.add_all([window, person])
        windows.append(window)
        people.append(person)
    db.session.commit()
    complaints = []
    for n, (window, person) in enumerate(zip(windows, people, strict=True)):
        put_on_duty(person, window, T0 - timedelta(hours=2), T0 + timedelta(hours=6))
        for k in range(11):  # enough to be ranked on the board
            at = T0 - timedelta(minutes=60 - k)
            receipt = give_rating(window, 1 + k % 5, f"x{n:02d}-{k:04d}", channel="qr", now=at)
        complaint, _ = ratings.file_complaint(
            receipt.rating,
            reason_tags=["attitude"],
            text="\n".join(PAYLOADS + FORMULAS),
            phone="13812345678",
            now=T0,
        )
        complaints.append(complaint)
    ratings.change_ratings_status([receipt.rating], "quarantined", flag="burst")
    invitations.sign_in(people[0], windows[0], now=T0 - timedelta(minutes=5))
    invitation = invitations.mint_invitation(people[0], now=T0)
    admin = make_user("boss", "admin")
    clerk = make_user("clerk", "staff", staff=people[1])
    db.session.commit()
    return {
        "hall": hall,
        "windows": windows,
        "people": people,
        "complaints": complaints,
        "invitation": invitation,
        "admin": admin,
        "clerk": clerk,
        "rating": receipt.rating,
    }


def _check(url: str, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, f"{url}: {response.status_code}"
    body = response.get_data(as_text=True)
    active = ACTIVE.search(body)
    assert active is None, f"{url}: unescaped {active.group(0)!r}"
    return body


def test_hostile_strings_render_inert_on_every_staff_page(app, client, hostile):
    Auth(client).login("boss", PASSWORDS["admin"])
    ids = {
        "window_id": hostile["windows"][0].id,
        "staff_id": hostile["people"][0].id,
        "duty_id": 1,
        "user_id": hostile["clerk"].id,
        "device_id": make_device(hostile["hall"], "pad", hostile["windows"][0])[0].id,
        "complaint_id": hostile["complaints"][0].id,
        "period_code": "2026-11",
        "kind": "supervisor",
        "fmt": "csv",
    }
    shown = 0
    for rule in staff_get_rules(app):
        if rule in ("/staff/console", "/staff/evaluation/") or rule.endswith(
            (".csv", ".png", ".svg", ".<fmt>", "/photo")
        ):
            continue
        url = fill(rule, ids)
        body = _check(url, client.get(url))
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert shown >= 15  # the names really were on the pages, escaped
    detail = client.get(f"/staff/complaints/{hostile['complaints'][0].id}").get_data(as_text=True)
    assert "&lt;/textarea&gt;&lt;svg onload=alert(1)&gt;" in detail
    assert "{{7*7}}" in detail  # shown as typed, never evaluated


def test_hostile_strings_render_inert_on_the_console(app, client, hostile):
    Auth(client).login("clerk", PASSWORDS["staff"])
    body = _check("/staff/console", client.get("/staff/console"))
    assert "&lt;script&gt;" in body or "&#34;&gt;&lt;img" in body


def test_hostile_strings_render_inert_on_public_pages_and_devices(app, client, hostile):
    hall, windows = hostile["hall"], hostile["windows"]
    urls = ["/", "/board", f"/board/{hall.slug}", f"/public/{hall.slug}"]
    urls += [f"/board/{hall.slug}/standings?view={v}" for v in ("today", "month", "windows")]
    urls += [f"/r/{w.qr_token}" for w in windows]
    rated = hostile["rating"]
    urls.append(f"/r/{rated.window.qr_token}/thanks/{rated.idempotency_key}")
    urls.append(f"/i/{hostile['invitation'].token}")
    bodies = [_check(url, client.get(url)) for url in urls]
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in body for body in bodies) >= 5
    _kiosk, credential = make_device(hall, "kiosk")
    tablet = app.test_client()
    tablet.set_cookie(COOKIE, credential)
    for url in ("/kiosk", "/kiosk/windows"):
        assert "&lt;script&gt;" in _check(url, tablet.get(url))
    _pad, pad_credential = make_device(hall, "pad", windows[0])
    pad = app.test_client()
    pad.set_cookie(COOKIE, pad_credential)
    _check("/pad", pad.get("/pad"))
    state = pad.get("/pad/state")
    assert state.mimetype == "application/json"


def test_the_json_api_returns_hostile_names_as_data(client, hostile):
    response = client.get(f"/api/v1/board?hall={hostile['hall'].slug}&period=today")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    names = {entry["name"] for entry in response.json["entries"]}
    assert set(PAYLOADS) <= names  # exact data; JSON is not HTML, nosniff keeps it so


def _assert_no_formula(cells: list[str], where: str) -> None:
    hostile_cells = [c for c in cells if any(f in c for f in FORMULAS)]
    assert hostile_cells, f"{where}: the hostile names are not in the export"
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"{where}: {cell!r}"


def test_exports_neutralise_spreadsheet_formulas(client, hostile):
    Auth(client).login("boss", PASSWORDS["admin"])
    log = client.get("/staff/ratings/export.csv").get_data(as_text=True).lstrip("\ufeff")
    _assert_no_formula([c for row in csv.reader(io.StringIO(log)) for c in row], "ratings.csv")
    report = client.get("/staff/evaluation/2026-11/export.csv").get_data(as_text=True)
    cells = [c for row in csv.reader(io.StringIO(report.lstrip("\ufeff"))) for c in row]
    _assert_no_formula(cells, "evaluation.csv")
    book = load_workbook(io.BytesIO(client.get("/staff/evaluation/2026-11/export.xlsx").data))
    cells = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    _assert_no_formula(cells, "evaluation.xlsx")

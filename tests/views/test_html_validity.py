"""Every kind of page passes the Nu HTML checker (vnu.jar), all of them in one run of it.

The pages are rendered from the demo hall: the public pages, the phone's rating and thank-you
pages, a paired kiosk and pad and the pairing screen, the board, every staff GET page that
tests/views/test_role_matrix.py says each role may open, and the district area's pages. The
checker starts one JVM for all of them. Only its complaints about htmx's own hx-* attributes
are ignored: they are how htmx is written, and no HTML standard will ever know them.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import ComplaintEvent, Duty, Staff, User, Window
from kiosk.services.demo import create_demo
from kiosk.services.periods import current_period
from tests.conftest import hall_time
from tests.device_helpers import COOKIE, make_device
from tests.helpers import hidden_fields, rate
from tests.views.test_role_matrix import EXPECTED, fill, staff_get_rules

ROOT = Path(__file__).resolve().parents[2]
VNU_VERSION = "26.9.27"  # the npm package vnu-jar; tools/ensure-system-deps.sh installs the same
PACKAGE = f"vnu-jar@{VNU_VERSION}"
VNU_PREFIX = ROOT / ".cache" / "vnu"
VNU_JAR = VNU_PREFIX / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# htmx's attributes (hx-get, hx-trigger, hx-swap …) are not HTML; nothing else is excused.
HTMX_ATTRIBUTE = re.compile(r"Attribute “hx-[a-z-]+” not allowed")
ROLE_USERS = {"staff": "clerk", "supervisor": "supervisor", "admin": "admin"}
NOT_PAGES = (".png", ".svg", ".csv", ".xlsx", "/photo", "/alerts", "export.")


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    """Return the Nu checker's jar, installing the pinned npm package when it is missing."""
    if not VNU_JAR.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: run sh tools/ensure-system-deps.sh (or make test)")
        subprocess.run(
            # --ignore-scripts: its install script would fetch a Java of its own; ours is Debian's.
            [npm, "install", "--prefix", str(VNU_PREFIX), "--no-save", "--ignore-scripts", PACKAGE],
            check=True,
            capture_output=True,
        )
    if shutil.which("java") is None:
        pytest.fail("java is missing: run sh tools/ensure-system-deps.sh (or make test)")
    return VNU_JAR


def _staff_ids(app: Flask, hall_id: int) -> dict[str, object]:
    """Return a real row for every URL parameter of the staff area, from the demo hall."""
    from kiosk.services.devices import create_device

    window = db.session.scalar(select(Window).where(Window.hall_id == hall_id).limit(1))
    staff = db.session.scalar(select(Staff).where(Staff.staff_no == "XF001"))
    duty = db.session.scalar(select(Duty).where(Duty.staff_id == staff.id).limit(1))
    user = db.session.scalar(select(User).where(User.username == "deputy"))
    # The complaint the clerk has appealed: its page shows the most (appeal, review, history).
    complaint_id = db.session.scalar(
        select(ComplaintEvent.complaint_id).where(ComplaintEvent.action == "appealed").limit(1)
    )
    device, _code = create_device(window.hall, "pad", "评价器", window, now=clock.now())
    db.session.commit()
    return {
        "window_id": window.id,
        "staff_id": staff.id,
        "duty_id": duty.id,
        "user_id": user.id,
        "device_id": device.id,
        "complaint_id": complaint_id,
        "period_code": f"{clock.to_local(clock.now()).year}Q4",  # the demo assesses this quarter
        # The demo records last month's 服务之星.
        "last_month": current_period(clock.now(), "month").previous().code,
        "kind": "supervisor",
        "fmt": "csv",
    }


def _is_page(response) -> bool:  # type: ignore[no-untyped-def]
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and response.get_data(as_text=True).lstrip().lower().startswith("<!doctype html>")
    )


def collect_pages(app: Flask, out: Path) -> list[str]:
    """Render the representative pages into out; return the URLs rendered, by file name."""
    app.config["CLOCK"] = lambda: hall_time(2026, 11, 20, 11, 30)  # a weekday, hall open
    pages: dict[str, str] = {}

    def keep(name: str, url: str, response) -> None:  # type: ignore[no-untyped-def]
        assert _is_page(response), f"{url}: {response.status_code} {response.mimetype}"
        (out / f"{name}.html").write_bytes(response.data)
        pages[f"{name}.html"] = url

    with app.app_context():
        demo = create_demo(clock.now(), clock.hall_zone())
        db.session.commit()
        hall, passwords = demo.hall, demo.passwords
        ids = _staff_ids(app, hall.id)
        window = db.session.get(Window, ids["window_id"])
        token, slug, hall_id = window.qr_token, hall.slug, hall.id
        _kiosk, kiosk_credential = make_device(hall, "kiosk")
        _pad, pad_credential = make_device(hall, "pad", window)

    visitor = app.test_client()
    for name, url in (
        ("home", "/"),
        ("login", "/auth/login"),
        ("rate", f"/r/{token}"),
        ("board", f"/board/{slug}"),
        ("board-windows", f"/board/{slug}?view=windows"),
        ("disclosure", f"/public/{slug}"),
        ("publication", f"/public/{slug}/evaluation/2026Q3"),  # the demo published last quarter
        ("not-found", "/no-such-page"),
        ("pairing", "/kiosk"),
    ):
        response = visitor.get(url)
        if name == "not-found":
            assert response.status_code == 404
            response.status_code = 200  # checked like any page
        keep(name, url, response)
    for level in (5, 1):  # the thank-you page, and after a 差评 with its complaint form
        thanks = rate(visitor, token, level).headers["Location"]
        keep(f"thanks-{level}", thanks, visitor.get(thanks))

    device = app.test_client()
    device.set_cookie(COOKIE, kiosk_credential)
    keep("kiosk", "/kiosk", device.get("/kiosk"))
    device.set_cookie(COOKIE, pad_credential)
    keep("pad", "/pad", device.get("/pad"))

    for role, username in ROLE_USERS.items():
        client = app.test_client()
        form = hidden_fields(client.get("/auth/login").get_data(as_text=True))
        signed_in = client.post(
            "/auth/login", data={**form, "username": username, "password": passwords[username]}
        )
        assert signed_in.status_code == 302, username
        for rule in staff_get_rules(app):
            if EXPECTED.get(rule, {}).get(role) != 200 or rule.endswith(NOT_PAGES):
                continue
            url = fill(rule, ids)  # type: ignore[arg-type]
            if rule.endswith("/star"):  # a month's page: the month the demo recorded
                url = url.replace(str(ids["period_code"]), str(ids["last_month"]))
            response = client.get(url)
            if response.mimetype == "text/html":
                keep(f"{role}{re.sub(r'[^a-z0-9]+', '-', url)}", url, response)
        if role in ("staff", "supervisor"):  # a finalised result: feedback, objection decided
            with app.app_context():
                own = db.session.scalar(select(User.staff_id).where(User.username == username))
            url = f"/staff/evaluation/2026Q3/staff/{own or ids['staff_id']}"
            keep(f"{role}-finalised-result", url, client.get(url))
        if role == "supervisor":  # this month's 服务之星 so far: the rule's proposal
            with app.app_context():
                url = f"/staff/evaluation/{current_period(clock.now(), 'month').code}/star"
            keep("supervisor-star-this-month", url, client.get(url))
    _collect_district_pages(app, hall_id, passwords, keep)
    return [f"{file}  {url}" for file, url in sorted(pages.items())]


def _collect_district_pages(app: Flask, hall_id: int, passwords: dict[str, str], keep) -> None:  # type: ignore[no-untyped-def]
    """Render the district area's pages: the demo district, its rounds and one more under way.

    Besides the demo's finalised quarter and open spot check, a round of the demo hall and a
    second station is under way: the demo clerk (a hall account, 交叉考核) and the residents'
    representative sit in its group, and the clerk has scored a few items of the second
    station and attached a PDF to it.
    """
    from kiosk.models import Hall, StationRound
    from kiosk.services import districts, round_evidence, round_scores, station_rounds
    from kiosk.services.demo_district import ADMIN, ASSESSOR, DISTRICT_SLUG, RESIDENT

    with app.app_context():
        district = districts.district_by_slug(DISTRICT_SLUG)
        admin = db.session.scalar(select(User).where(User.username == ADMIN))
        db.session.add(Hall(slug="alone", name="未归属的服务大厅"))  # offered for attaching
        second = districts.hall_by_slug("hepingli")
        finalised, spot_check = (
            db.session.scalar(select(StationRound.id).where(StationRound.kind == kind))
            for kind in ("quarter", "spot_check")
        )
        round_ = station_rounds.open_round(
            district,
            title="2026年第四季度考核",
            kind="quarter",
            period="2026Q4",
            spot_check_on=None,
            scheme="2019",
            hall_ids=[hall_id, second.id],
            actor=admin,
        )
        clerk = db.session.scalar(select(User).where(User.username == "clerk"))
        resident = db.session.scalar(select(User).where(User.username == RESIDENT))
        for user in (clerk, resident):
            station_rounds.add_member(round_, user, actor=admin)
        member = station_rounds.membership(round_, clerk)
        round_scores.save_scores(
            round_,
            second,
            member,
            {
                "operation.hours": round_scores.Entry(4, "周日下午未开放"),
                "operation.staffing.on_duty": round_scores.Entry(4),
            },
            actor=clerk,
            now=clock.now(),
        )
        round_evidence.attach(
            round_, second, member, "台账.pdf", b"%PDF-1.4\n%%EOF\n", item=None, actor=clerk
        )
        db.session.commit()
        base = f"/district/{DISTRICT_SLUG}"
        rounds = f"{base}/rounds/{round_.id}"
        score = f"{rounds}/score/{second.id}"
        own = f"{rounds}/score/{hall_id}"
    pages = {
        ADMIN: [
            f"{base}/",
            f"{base}/stations/new",
            f"{base}/dashboard",
            f"{base}/dashboard?range=year",
            f"{base}/rounds",
            f"{base}/rounds/new",
            rounds,
            f"{rounds}/data/{second.id}",
            f"{rounds}/members",
            f"{base}/rounds/{finalised}",  # the demo's last quarter, finalised
            f"{base}/rounds/{spot_check}",  # the demo's spot check, some scores in
        ],
        ASSESSOR: [f"{base}/my-rounds", f"{base}/rounds/{spot_check}/score"],
        RESIDENT: [
            f"{base}/invitations",
            f"{base}/my-rounds",
            f"{rounds}/score",
            score,
        ],
        "clerk": [f"{base}/my-rounds", f"{rounds}/score", score, own],
    }
    for username, urls in pages.items():
        client = app.test_client()
        form = hidden_fields(client.get("/auth/login").get_data(as_text=True))
        signed_in = client.post(
            "/auth/login", data={**form, "username": username, "password": passwords[username]}
        )
        assert signed_in.status_code == 302, username
        for url in urls:
            response = client.get(url)
            if url == own:  # the page refusing a member their own station
                assert response.status_code == 403
                response.status_code = 200  # checked like any page
            keep(f"{username}{re.sub(r'[^a-z0-9]+', '-', url)}", url, response)


def test_every_page_passes_the_nu_html_checker(app, tmp_path, vnu_jar):
    out = tmp_path / "pages"
    out.mkdir()
    rendered = collect_pages(app, out)
    assert len(rendered) > 40, rendered
    files = sorted(str(path) for path in out.glob("*.html"))
    run = subprocess.run(
        ["java", "-jar", str(vnu_jar), "--format", "json", "--stdout", "--errors-only", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(run.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" and not HTMX_ATTRIBUTE.search(m["message"])
    ]
    assert errors == [], "\n".join(errors)

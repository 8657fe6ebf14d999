"""Shared steps for the kiosk and pad browser tests: a seeded hall, pairing, axe, screenshots."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Device, Duty, Hall, Rating, Staff, User, Window
from kiosk.models._types import utcnow
from kiosk.services import devices

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
LANDSCAPE = (1280, 800)
PORTRAIT = (800, 1280)
STAFF_PASSWORD = "clerk-pass-1"


@dataclass(frozen=True)
class Seed:
    hall_id: int
    window_ids: list[int]
    staff_id: int


def seed_hall(app: Any) -> Seed:
    """Create a hall with three windows, a clerk on duty at window 3 and the clerk's login."""
    with app.app_context():
        hall = Hall(slug="xingfu", name="幸福社区便民服务中心")
        windows = [
            Window(hall=hall, number=1, name="综合受理"),
            Window(hall=hall, number=2, name="民政救助"),
            Window(hall=hall, number=3, name="社保医保"),
        ]
        staff = Staff(hall=hall, staff_no="XF001", name="王芳")
        now = utcnow()
        duty = Duty(
            staff=staff,
            window=windows[2],
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(days=3),
        )
        user = User(username="wangfang", role="staff", hall=hall, staff=staff)
        user.set_password(STAFF_PASSWORD)
        db.session.add_all([hall, *windows, staff, duty, user])
        db.session.commit()
        return Seed(hall.id, [w.id for w in windows], staff.id)


def create_device(app: Any, seed: Seed, kind: str = "kiosk", **settings: Any) -> tuple[int, str]:
    """Create a device as an admin would; return its id and one-time pairing code."""
    with app.app_context():
        hall = db.session.get(Hall, seed.hall_id)
        window = db.session.get(Window, seed.window_ids[2]) if kind == "pad" else None
        device, code = devices.create_device(hall, kind, f"测试{kind}", window, now=utcnow())
        for name, value in settings.items():
            setattr(device, name, value)
        if "pin" in settings:
            devices.set_exit_pin(device, settings["pin"])
        db.session.commit()
        return device.id, code


def pair(page: Any, base_url: str, code: str, kind: str = "kiosk") -> None:
    """Type the pairing code on the tablet, as the admin does when setting it up."""
    page.goto(f"{base_url}/{kind}")
    page.get_by_label("配对码").fill(code)
    page.get_by_role("button", name="配对").click()
    page.wait_for_url(f"{base_url}/{kind}")


def paired_page(
    live_server: Any,
    new_page: Callable[..., Any],
    seed: Seed,
    kind: str = "kiosk",
    size: tuple[int, int] = LANDSCAPE,
    fake_clock: bool = False,
    inject_scripts: bool = False,
    **settings: Any,
) -> Any:
    """Open a browser tab sized like the tablet, paired as a new device of kind.

    inject_scripts lets a test add its own script (axe-core) despite the site's
    Content-Security-Policy; every other test runs under the real policy.
    """
    _device_id, code = create_device(live_server.app, seed, kind, **settings)
    page = new_page(width=size[0], height=size[1], has_touch=True, bypass_csp=inject_scripts)
    if fake_clock:
        page.clock.install()
    pair(page, live_server.url, code, kind)
    page.locator("#device-app[data-screen]").wait_for()
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page; return its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def small_targets(page: Any) -> list[str]:
    """Return visible buttons and fields smaller than 64 × 64 CSS pixels."""
    return page.evaluate(
        """() => [...document.querySelectorAll('button, input, textarea, a')]
            .filter(el => el.offsetParent !== null || el.closest('dialog[open]'))
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.width > 0 && (r.width < 64 || r.height < 64))
            .map(([el, r]) => `${el.outerHTML.slice(0, 60)} ${r.width}x${r.height}`)"""
    )


def shot(page: Any, artifacts: Path, name: str) -> None:
    """Save a screenshot named after the screen and the viewport."""
    size = page.viewport_size
    page.screenshot(path=str(artifacts / f"{name}-{size['width']}x{size['height']}.png"))


def count_ratings(app: Any, **where: Any) -> int:
    """Count stored ratings matching column == value filters."""
    with app.app_context():
        query = select(func.count(Rating.id))
        for column, value in where.items():
            query = query.where(getattr(Rating, column) == value)
        return db.session.scalar(query) or 0


def stored_ratings(app: Any) -> list[Rating]:
    """Return all ratings, oldest first (detached; read their columns only)."""
    with app.app_context():
        rows = list(db.session.scalars(select(Rating).order_by(Rating.created_at, Rating.id)))
        db.session.expunge_all()
        return rows


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll condition until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met before the deadline")


def device_of(app: Any, device_id: int) -> Device:
    with app.app_context():
        device = db.session.get(Device, device_id)
        db.session.expunge(device)
        return device

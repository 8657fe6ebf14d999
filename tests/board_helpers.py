"""A small hall with known ratings, shared by the board's service and page tests."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.extensions import db
from kiosk.models import Hall, Staff, Window
from tests.helpers import give_rating

# Tuesday 12 May 2026, 12:00 in Shanghai: today, this month and this quarter are unambiguous.
NOW = datetime(2026, 5, 12, 4, 0)


@dataclass
class SeededHall:
    hall: Hall
    windows: list[Window]
    staff: list[Staff]  # 王芳 12×5; 李强 8×5 + 2×4; 张敏 3×5; 赵丽 none


def seed_board(make_window: Any, make_staff: Any, put_on_duty: Any) -> SeededHall:
    """Create three windows and four staff; rate the first three staff as documented above."""
    windows = [
        make_window(number=n, name=name)
        for n, name in ((1, "综合受理"), (2, "社保医保"), (3, "户籍证明"))
    ]
    staff = [
        make_staff(staff_no="XF001", name="王芳"),
        make_staff(staff_no="XF002", name="李强"),
        make_staff(staff_no="XF003", name="张敏"),
        make_staff(staff_no="XF004", name="赵丽"),
    ]
    for member, window in zip(staff, windows, strict=False):
        put_on_duty(
            member, window, starts_at=NOW - timedelta(hours=3), ends_at=NOW + timedelta(hours=5)
        )
    plan = {0: [5] * 12, 1: [5] * 8 + [4] * 2, 2: [5] * 3}
    for which, levels in plan.items():
        for n, level in enumerate(levels):
            give_rating(
                windows[which],
                level,
                f"seed-{which}-{n:03d}",
                channel="kiosk",
                now=NOW - timedelta(minutes=5 + 3 * n + which),
            )
    db.session.commit()
    return SeededHall(windows[0].hall, windows, staff)

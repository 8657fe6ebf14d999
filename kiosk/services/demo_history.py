"""A demo hall's history: its ratings, its complaints handled, its accounts.

The demo hall and the demo district's smaller stations are each given the same kind of past,
by the same code, each with its own random stream and its own size.
"""

import logging
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from kiosk.extensions import db
from kiosk.models import Complaint, District, Duty, Hall, Rating, Staff, User, Window
from kiosk.services import board_cache, complaints, rating_log, workdays
from kiosk.services.accounts import create_user
from kiosk.services.periods import current_period

# Ratings per hour of the local day: busy mornings, quiet afternoons.
HOUR_WEIGHTS = {9: 9, 10: 10, 11: 7, 12: 1, 13: 2, 14: 4, 15: 4, 16: 3, 17: 1}
COMPLAINT_TEXTS = [
    "排队等了很久，窗口一直没人叫号。",
    "材料要求没有一次说清楚，跑了两趟。",
    "工作人员态度不耐烦。",
    "系统故障办不了，也没有告知什么时候能办。",
    "大厅空调太冷，座位不够。",
]
# What the supervisor wrote when handling the demo's complaints.
INVALID_NOTES = [
    "经调取监控核实，窗口按规定办理，已向投诉人解释相关政策。",
    "所需材料为政策规定，不能减免，已向投诉人耐心说明。",
    "当日系统升级已提前公告，已向投诉人致歉并说明可办理时间。",
]
VALID_NOTE = "经调取监控和询问当事人，投诉情况属实。"
RECTIFY_NOTES = [
    "已对当事人批评教育，并组织窗口服务规范培训。",
    "已调整叫号安排，高峰时段增开窗口，并制作一次性告知单。",
]
FOLLOW_UP_NOTE = "已电话回访，投诉人认可整改措施。"
CLOSE_NOTE = "已办结。"
DUTY_START = time(8, 30)
DUTY_END = time(17, 30)
DAYS = 90
# Ratings a window takes on a working day (fewest, most): the demo hall is the busiest.
RATINGS_PER_WINDOW_DAY = (12, 30)


def utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the naive UTC moment of a hall-local day and time."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def tap_level(rng: random.Random, quality: float) -> int:
    """Return a resident's level (1–5) for a clerk who serves this well (0..1)."""
    roll = rng.random()
    bad = (1.0 - quality) * 0.12  # the weakest staff get a few 差评, the best almost none
    if roll < bad * 0.4:
        return 1
    if roll < bad:
        return 2
    if roll < bad + (1.0 - quality) * 0.25:
        return 3
    if roll < quality:
        return 5
    return 4


@contextmanager
def security_log_quiet() -> Iterator[None]:
    """Keep the made-up history out of the security log (complaint steps, suspicious taps).

    Each complaint step is still in the audit log, each flag on its rating; the security log
    is for what really happens.
    """
    log = logging.getLogger("kiosk.security")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def handle_complaints(
    rng: random.Random,
    hall: Hall,
    roster: list[Staff],
    quality: dict[int, float],
    supervisor: User,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """Take the new demo complaints through the real steps, as the supervisor would have.

    Complaints whose verification is not due yet wait, and so do the two latest overdue ones
    (so the dashboard and the board show what overdue looks like). The rest were verified in
    time: the first complaint this quarter about each of the two weakest clerks as valid
    (较重, 一般), the latest two and a quarter of those before this quarter as valid (一般),
    the others as invalid. Each is then taken as far as the time since allows: invalid ones
    closed; valid ones rectified (in three days), followed up and closed.
    """
    quarter_start, _end = current_period(now, "quarter").bounds(zone)
    waiting = list(
        db.session.scalars(
            select(Complaint)
            .where(Complaint.hall_id == hall.id, Complaint.status == "new")
            .order_by(Complaint.created_at, Complaint.id)
        )
    )
    for complaint in waiting:
        complaints.complaint_received(complaint, complaint.created_at, notify=False)
    due = [c for c in waiting if c.verify_due_at is not None and c.verify_due_at <= now]
    handled = due[:-2]
    severity: dict[int, str] = {}
    weakest = sorted(roster, key=lambda s: quality[s.id])[:2]
    for staff, level in zip(weakest, ("major", "minor"), strict=True):
        first = next(
            (c for c in handled if c.staff_id == staff.id and c.created_at >= quarter_start), None
        )
        if first is not None:
            severity[first.id] = level
    for complaint in handled[-2:]:  # recent enough to be in rectification or follow-up still
        severity.setdefault(complaint.id, "minor")
    for complaint in handled:
        if complaint.created_at < quarter_start and rng.random() < 0.25:
            severity.setdefault(complaint.id, "minor")
        _handle_complaint(rng, complaint, supervisor, severity.get(complaint.id), now)


def _handle_complaint(
    rng: random.Random,
    complaint: Complaint,
    supervisor: User,
    severity: str | None,
    now: datetime,
) -> None:
    """Verify complaint (valid with severity, or invalid) and take it on while before now."""
    at = complaint.created_at + timedelta(hours=rng.uniform(1, 6))
    if complaint.verify_due_at is not None:
        at = min(at, complaint.verify_due_at - timedelta(hours=1))
    valid = severity is not None
    reason = VALID_NOTE if valid else rng.choice(INVALID_NOTES)
    complaints.verify(complaint, supervisor, valid=valid, reason=reason, severity=severity, now=at)
    steps: list[tuple[int, Callable[[datetime], object]]]
    if valid:
        steps = [
            (1, lambda t: complaints.start_rectification(complaint, supervisor, note="", now=t)),
            (72, lambda t: complaints.rectify(
                complaint, supervisor, note=rng.choice(RECTIFY_NOTES), now=t)),
            (24, lambda t: complaints.follow_up(
                complaint, supervisor, satisfaction=rng.choices(
                    ("satisfied", "basically_satisfied"), (3, 1))[0],
                note=FOLLOW_UP_NOTE, now=t)),
            (1, lambda t: complaints.close(complaint, supervisor, note=CLOSE_NOTE, now=t)),
        ]  # fmt: skip
    else:
        steps = [(2, lambda t: complaints.close(complaint, supervisor, note=CLOSE_NOTE, now=t))]
    for hours, step in steps:
        at += timedelta(hours=hours)
        if at > now:
            return
        step(at)


def assignment(roster: list[Staff], windows: list[Window], day: date) -> dict[int, Staff]:
    """Return who sits at each window (by id) on day."""
    # Rotate who sits where each day, so every staff member works several windows.
    offset = day.toordinal() % len(roster)
    return {w.id: roster[(offset + i) % len(roster)] for i, w in enumerate(windows)}


def last_working_day(today: date) -> date:
    """Return the last working day before today."""
    day = today - timedelta(days=1)
    while not workdays.is_working_day(day):
        day -= timedelta(days=1)
    return day


def generate_ratings(
    rng: random.Random,
    hall: Hall,
    windows: list[Window],
    roster: list[Staff],
    quality: dict[int, float],
    today: date,
    now: datetime,
    zone: ZoneInfo,
    *,
    per_window_day: tuple[int, int] = RATINGS_PER_WINDOW_DAY,
    roster_today: bool = False,
) -> tuple[int, int]:
    """Give hall DAYS working days of ratings and the complaints among them; return both counts.

    Each window takes per_window_day (fewest, most) ratings a working day, from the clerk the
    day's rotation seats there, 08:30–17:30 rostered (today too with roster_today; the demo
    hall has its own cover for today). The complaints are left new: handle_complaints takes
    them further.
    """
    fewest, most = per_window_day
    hours = list(HOUR_WEIGHTS)
    weights = list(HOUR_WEIGHTS.values())
    duty_rows, rating_rows = [], []
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        if back and not workdays.is_working_day(day):
            continue
        seated = assignment(roster, windows, day)
        if back or roster_today:
            for window_id, staff in seated.items():
                duty_rows.append(
                    {
                        "staff_id": staff.id,
                        "window_id": window_id,
                        "starts_at": utc(day, DUTY_START, zone),
                        "ends_at": utc(day, DUTY_END, zone),
                        "source": "roster",
                        "created_at": utc(day, DUTY_START, zone),
                    }
                )
        for window in windows:
            staff = seated[window.id]
            for _ in range(rng.randint(fewest, most)):
                hour = rng.choices(hours, weights)[0]
                tapped = utc(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
                if tapped > now:
                    continue
                channel = rng.choices(("qr", "kiosk", "pad"), (6, 2, 2))[0]
                rating_rows.append(
                    {
                        "hall_id": hall.id,
                        "window_id": window.id,
                        "staff_id": staff.id,
                        "level": tap_level(rng, quality[staff.id]),
                        "channel": channel,
                        "idempotency_key": f"demo-{rng.getrandbits(96):024x}",
                        "device_hash": None,
                        "verified": channel == "pad",
                        "created_at": tapped,
                        "received_at": tapped,
                        "status": "counted",
                        "flags": [],
                    }
                )
    if duty_rows:
        db.session.execute(insert(Duty), duty_rows)
    db.session.execute(insert(Rating), rating_rows)
    demo_ratings = db.session.scalars(
        select(Rating).where(Rating.hall_id == hall.id).order_by(Rating.id)
    ).all()
    rating_log.append_many((rating, "created") for rating in demo_ratings)

    bad = db.session.execute(
        select(Rating.id, Rating.window_id, Rating.staff_id, Rating.created_at).where(
            Rating.hall_id == hall.id, Rating.level <= 2
        )
    ).all()
    complaint_rows = []
    for rating_id, window_id, staff_id, created_at in bad:
        if rng.random() > 0.45:
            continue
        complaint_rows.append(
            {
                "hall_id": hall.id,
                "window_id": window_id,
                "staff_id": staff_id,
                "rating_id": rating_id,
                "reason_tags": rng.sample(["attitude", "efficiency", "repeat_visits"], k=1),
                "text": rng.choice(COMPLAINT_TEXTS),
                "contact_phone": f"13{rng.randrange(10**9):09d}" if rng.random() < 0.6 else None,
                "status": "new",  # _handle_complaints takes them further
                "created_at": created_at,
                "updated_at": created_at,
            }
        )
    if complaint_rows:
        db.session.execute(insert(Complaint), complaint_rows)
    board_cache.rebuild(hall.id)  # the bulk insert above bypassed the rating hook
    return len(rating_rows), len(complaint_rows)


def ensure_account(
    username: str,
    role: str,
    passwords: dict[str, str],
    *,
    hall: Hall | None = None,
    staff: Staff | None = None,
    district: District | None = None,
) -> User:
    """Return the demo account, creating it with a fresh password put in passwords if new.

    The password is generated, never a default, and is shown once: whoever runs the demo
    prints passwords; an existing account keeps its own.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user
    password = secrets.token_urlsafe(12)
    user = create_user(username, role, password, hall=hall, staff=staff, district=district)
    passwords[username] = password
    return user

"""A demo service hall with 90 days of realistic ratings, created idempotently."""

import logging
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select

from kiosk.extensions import db
from kiosk.models import (
    Complaint,
    Device,
    Duty,
    Hall,
    Rating,
    Staff,
    User,
    Window,
)
from kiosk.services import (
    board_cache,
    complaints,
    demo_evaluation,
    devices,
    rating_log,
    ratings,
    workdays,
)
from kiosk.services.accounts import create_user
from kiosk.services.duty import staff_on_duty
from kiosk.services.periods import current_period
from kiosk.services.privacy import device_hash
from kiosk.services.settings import save_settings
from kiosk.services.submission import Submission, Tap

HALL_SLUG = "xingfuli"
HALL_NAME = "幸福里社区便民服务中心"
WINDOWS = [
    (1, "综合受理", "居住证明、各类证明开具、咨询引导"),
    (2, "社保医保", "城乡居民养老保险、医保参保缴费、待遇认证"),
    (3, "户籍证明", "户口迁移、身份证办理、户籍证明"),
    (4, "民政救助", "低保、临时救助、高龄津贴"),
    (5, "残疾人服务", "残疾人证办理、康复补贴"),
    (6, "计生服务", "生育登记、独生子女证明"),
    (7, "劳动就业", "失业登记、就业创业证、技能培训报名"),
    (8, "退役军人服务", "优抚对象认定、优待证办理"),
]
# Name, 工号, how well they serve (share of 非常满意 before noise).
STAFF = [
    ("王芳", "XF001", 0.82),
    ("李强", "XF002", 0.74),
    ("张敏", "XF003", 0.88),
    ("刘洋", "XF004", 0.60),
    ("陈静", "XF005", 0.79),
    ("杨磊", "XF006", 0.70),
    ("赵丽", "XF007", 0.85),
    ("黄伟", "XF008", 0.66),
    ("周婷", "XF009", 0.77),
    ("吴刚", "XF010", 0.72),
    ("徐娜", "XF011", 0.90),
    ("孙浩", "XF012", 0.63),
]
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
APPEAL_NOTE = "当时系统卡顿，我已向居民说明原因并致歉，并非服务态度问题。"
CLOSE_NOTE = "已办结。"
DUTY_START = time(8, 30)
DUTY_END = time(17, 30)
DAYS = 90
# The demo hall shows itself at any hour: open all day (no tap is held as off-hours), and the
# board polls every second, so a tap is on it within two. Only the demo hall is set up so.
DEMO_SETTINGS = {"OPENING_HOURS": "00:00-24:00", "BOARD_POLL_SECONDS": 1}
KIOSK_NAME = "大厅评价终端"
PAD_NAME = "{number}号窗口评价器"


@dataclass(frozen=True)
class DemoPairing:
    """A demo device and the fresh one-time code that pairs a tablet as it."""

    kind: str  # "kiosk" or "pad"
    window_number: int | None  # the pad's window
    code: str


@dataclass
class DemoResult:
    hall: Hall
    created: bool
    ratings: int = 0
    complaints: int = 0
    passwords: dict[str, str] = field(default_factory=dict)
    pairings: list[DemoPairing] = field(default_factory=list)


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _level(rng: random.Random, quality: float) -> int:
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


def create_demo(now: datetime, zone: ZoneInfo, seed: int = 2026) -> DemoResult:
    """Create the demo hall, or complete it if it exists; return what was made."""
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    hall = db.session.scalar(select(Hall).where(Hall.slug == HALL_SLUG))
    created = hall is None
    if hall is None:
        hall = Hall(slug=HALL_SLUG, name=HALL_NAME)
        db.session.add(hall)
        for number, name, services in WINDOWS:
            db.session.add(Window(hall=hall, number=number, name=name, services=services))
        for name, staff_no, _quality in STAFF:
            db.session.add(Staff(hall=hall, name=name, staff_no=staff_no))
        db.session.flush()
    result = DemoResult(hall=hall, created=created)

    windows = list(db.session.scalars(select(Window).where(Window.hall_id == hall.id)))
    windows.sort(key=lambda w: w.number)
    staff_by_no = {
        s.staff_no: s for s in db.session.scalars(select(Staff).where(Staff.hall_id == hall.id))
    }
    roster = [staff_by_no[no] for _n, no, _q in STAFF if no in staff_by_no]
    quality = {staff_by_no[no].id: q for _n, no, q in STAFF if no in staff_by_no}

    today = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    _ensure_duty(hall, windows, roster, today, zone)

    has_ratings = db.session.scalar(select(func.count(Rating.id)).where(Rating.hall_id == hall.id))
    if not has_ratings:
        result.ratings, result.complaints = _generate_ratings(
            rng, hall, windows, roster, quality, today, now, zone
        )
        with _security_log_quiet():
            result.ratings += _stuffing_episodes(rng, windows, today, zone)

    accounts: tuple[tuple[str, str, str | None], ...] = (
        ("admin", "admin", None),
        ("supervisor", "supervisor", None),
        ("deputy", "supervisor", None),  # verified the complaint the clerk has appealed
        ("clerk", "staff", "XF001"),
    )
    for username, role, own_staff_no in accounts:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            password = secrets.token_urlsafe(12)
            create_user(
                username,
                role,
                password,
                hall=hall,
                staff=staff_by_no.get(own_staff_no) if own_staff_no else None,
            )
            result.passwords[username] = password
    db.session.flush()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    if supervisor is not None:
        if result.complaints:
            with _security_log_quiet():
                _handle_complaints(rng, hall, roster, quality, supervisor, now, zone)
                result.complaints += _appealed_complaint(windows, today, zone)
        demo_evaluation.seed_evaluation(rng, hall, roster, quality, supervisor, now)
    # After the history: its late-evening taps were held as off-hours under the usual hours.
    save_settings(DEMO_SETTINGS, actor=None, hall=hall)
    result.pairings = _demo_devices(hall, windows, now)
    return result


def _demo_devices(hall: Hall, windows: list[Window], now: datetime) -> list[DemoPairing]:
    """Give the hall a kiosk and a pad at every window, each with a fresh pairing code.

    Each run issues new codes (the printed ones expire): a tablet paired earlier stays paired
    until a new code for its device is used.
    """
    existing = list(db.session.scalars(select(Device).where(Device.hall_id == hall.id)))
    pairings = []
    wanted: list[tuple[str, Window | None, str]] = [("kiosk", None, KIOSK_NAME)]
    wanted += [("pad", w, PAD_NAME.format(number=w.number)) for w in windows]
    for kind, window, name in wanted:
        window_id = window.id if window is not None else None
        device = next(
            (d for d in existing if (d.kind, d.window_id, d.name) == (kind, window_id, name)),
            None,
        )
        if device is None:
            device, code = devices.create_device(hall, kind, name, window, now=now)
        else:
            code = devices.new_pairing_code(device, now=now)
        number = window.number if window is not None else None
        pairings.append(DemoPairing(kind, number, devices.normalise_code(code)))
    return pairings


@contextmanager
def _security_log_quiet() -> Iterator[None]:
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


def _handle_complaints(
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


def _assignment(roster: list[Staff], windows: list[Window], day: date) -> dict[int, Staff]:
    # Rotate who sits where each day, so every staff member works several windows.
    offset = day.toordinal() % len(roster)
    return {w.id: roster[(offset + i) % len(roster)] for i, w in enumerate(windows)}


def _ensure_duty(
    hall: Hall, windows: list[Window], roster: list[Staff], today: date, zone: ZoneInfo
) -> None:
    """Put a clerk on duty at every window for all of today and tomorrow (hall time).

    Earlier days keep the 08:30–17:30 roster; these two cover the whole day, so a tap at any
    hour is the clerk's, and the demo run again later (another day, or over the 08:30 roster an
    older demo left for today) extends the cover to the new moment.
    """
    for day in (today, today + timedelta(days=1)):
        start = _utc(day, time(0), zone)
        end = _utc(day + timedelta(days=1), time(0), zone)
        rostered = {
            duty.window_id: duty
            for duty in db.session.scalars(
                select(Duty)
                .join(Duty.window)
                .where(
                    Window.hall_id == hall.id,
                    Duty.source == "roster",
                    Duty.starts_at >= start,
                    Duty.starts_at < end,
                )
            )
        }
        for window_id, staff in _assignment(roster, windows, day).items():
            duty = rostered.get(window_id)
            if duty is None:
                db.session.add(
                    Duty(staff_id=staff.id, window_id=window_id, starts_at=start, ends_at=end)
                )
                continue
            duty.starts_at = min(duty.starts_at, start)
            if duty.ends_at is not None:
                duty.ends_at = max(duty.ends_at, end)


def _appealed_complaint(windows: list[Window], today: date, zone: ZoneInfo) -> int:
    """Leave the supervisor an appeal to review (复核); return the complaints made (0 or 1).

    On the clerk's last working day a resident gave her window 不满意 and complained; the
    deputy verified it as valid the same day and the clerk appealed, inside the appeal period.
    The deputy verified it, so only the other supervisor may review the appeal.
    """
    deputy = db.session.scalar(select(User).where(User.username == "deputy"))
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    if deputy is None or clerk is None or clerk.staff_id is None:
        return 0
    day, window = today, None
    for _ in range(10):  # the roster rotates: she works two days in three
        day = _last_working_day(day)
        at = _utc(day, time(10, 20), zone)
        window = next((w for w in windows if _on_duty_id(w, at) == clerk.staff_id), None)
        if window is not None:
            break
    if window is None:
        return 0
    receipt = ratings.record_rating(
        Submission(window, Tap(2, "demo-appealed-complaint"), "qr", at), now=at
    )
    complaint = Complaint(
        hall_id=window.hall_id,
        window_id=window.id,
        staff_id=clerk.staff_id,
        rating_id=receipt.rating.id,
        reason_tags=["attitude"],
        text=COMPLAINT_TEXTS[2],
        created_at=at,
        updated_at=at,
    )
    db.session.add(complaint)
    complaints.complaint_received(complaint, at, notify=False)
    verified = at + timedelta(hours=3)
    complaints.verify(
        complaint, deputy, valid=True, reason=VALID_NOTE, severity="minor", now=verified
    )
    complaints.appeal(complaint, clerk, reason=APPEAL_NOTE, now=verified + timedelta(hours=2))
    return 1


def _on_duty_id(window: Window, at: datetime) -> int | None:
    staff = staff_on_duty(window.id, at)
    return staff.id if staff is not None else None


def _last_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while not workdays.is_working_day(day):
        day -= timedelta(days=1)
    return day


def _stuffing_episodes(
    rng: random.Random, windows: list[Window], today: date, zone: ZoneInfo
) -> int:
    """Tap a few suspicious ratings on the last working day, as the phone page records them.

    The anti-stuffing rules flag and quarantine them as they would any tap, so the supervisor
    finds something to review: a phone without its cookie tapping 非常满意 ten times in a
    minute for one window (the first six count, the rest are a burst), two taps from a photo
    of a QR code late in the evening, and a clerk rating their own window while signed in.
    """
    day = _last_working_day(today)
    phone = device_hash(current_app.config["SECRET_KEY"], "demo-phone-evening")
    taps: list[tuple[Window, int, time, str | None, bool]] = [
        (windows[6], 5, time(10, 41, 2 + 5 * n), None, False) for n in range(10)
    ]
    taps += [(windows[1], 1, time(21, 7, 40), phone, False)]
    taps += [(windows[3], 2, time(21, 9, 15), phone, False)]
    taps += [(windows[0], 5, time(11, 3, 20), None, True)]  # the clerk's own phone, signed in
    taps.sort(key=lambda tap: tap[2])
    replace_within = timedelta(minutes=current_app.config["SAME_DEVICE_INTERVAL_MINUTES"])
    for window, level, clock_time, device, staff_session in taps:
        key = f"demo-{rng.getrandbits(96):024x}"
        tapped = _utc(day, clock_time, zone)
        submission = Submission(
            window,
            Tap(level, key),
            "qr",
            tapped,
            device=device,
            staff_session=staff_session,
            replace_within=replace_within,
            screen=True,
        )
        ratings.record_rating(submission, now=tapped)
    return len(taps)


def _generate_ratings(
    rng: random.Random,
    hall: Hall,
    windows: list[Window],
    roster: list[Staff],
    quality: dict[int, float],
    today: date,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[int, int]:
    hours = list(HOUR_WEIGHTS)
    weights = list(HOUR_WEIGHTS.values())
    duty_rows, rating_rows = [], []
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        if back and not workdays.is_working_day(day):
            continue
        assignment = _assignment(roster, windows, day)
        if back:
            for window_id, staff in assignment.items():
                duty_rows.append(
                    {
                        "staff_id": staff.id,
                        "window_id": window_id,
                        "starts_at": _utc(day, DUTY_START, zone),
                        "ends_at": _utc(day, DUTY_END, zone),
                        "source": "roster",
                        "created_at": _utc(day, DUTY_START, zone),
                    }
                )
        for window in windows:
            staff = assignment[window.id]
            for _ in range(rng.randint(12, 30)):
                hour = rng.choices(hours, weights)[0]
                tapped = _utc(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
                if tapped > now:
                    continue
                channel = rng.choices(("qr", "kiosk", "pad"), (6, 2, 2))[0]
                rating_rows.append(
                    {
                        "hall_id": hall.id,
                        "window_id": window.id,
                        "staff_id": staff.id,
                        "level": _level(rng, quality[staff.id]),
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

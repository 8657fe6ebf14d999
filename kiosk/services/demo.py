"""A demo service hall with 90 days of realistic ratings, created idempotently."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, Device, Duty, Hall, Rating, Staff, User, Window
from kiosk.services import complaints, demo_district, demo_evaluation, devices, ratings
from kiosk.services.demo_district import DistrictDemo
from kiosk.services.demo_history import (
    COMPLAINT_TEXTS,
    VALID_NOTE,
    assignment,
    ensure_account,
    generate_ratings,
    handle_complaints,
    last_working_day,
    security_log_quiet,
    utc,
)
from kiosk.services.duty import staff_on_duty
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
APPEAL_NOTE = "当时系统卡顿，我已向居民说明原因并致歉，并非服务态度问题。"
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
    district: DistrictDemo | None = None


def create_demo(now: datetime, zone: ZoneInfo, seed: int = 2026) -> DemoResult:
    """Create the demo hall and its district, or complete them if they exist; return what was made.

    The district (kiosk.services.demo_district) comes last, with random streams of its own, so
    the demo hall's own data are the same with it as without it.
    """
    result = create_demo_hall(now, zone, seed)
    with security_log_quiet():
        result.district = demo_district.create_district_demo(
            result.hall, now, zone, result.passwords
        )
    return result


def create_demo_hall(now: datetime, zone: ZoneInfo, seed: int = 2026) -> DemoResult:
    """Create the demo hall alone (no district), or complete it; return what was made."""
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
        result.ratings, result.complaints = generate_ratings(
            rng, hall, windows, roster, quality, today, now, zone
        )
        with security_log_quiet():
            result.ratings += _stuffing_episodes(rng, windows, today, zone)

    accounts: tuple[tuple[str, str, str | None], ...] = (
        ("admin", "admin", None),
        ("supervisor", "supervisor", None),
        ("deputy", "supervisor", None),  # verified the complaint the clerk has appealed
        ("clerk", "staff", "XF001"),
    )
    for username, role, own_staff_no in accounts:
        own = staff_by_no.get(own_staff_no) if own_staff_no else None
        ensure_account(username, role, result.passwords, hall=hall, staff=own)
    db.session.flush()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    if supervisor is not None:
        if result.complaints:
            with security_log_quiet():
                handle_complaints(rng, hall, roster, quality, supervisor, now, zone)
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


def _ensure_duty(
    hall: Hall, windows: list[Window], roster: list[Staff], today: date, zone: ZoneInfo
) -> None:
    """Put a clerk on duty at every window for all of today and tomorrow (hall time).

    Earlier days keep the 08:30–17:30 roster; these two cover the whole day, so a tap at any
    hour is the clerk's, and the demo run again later (another day, or over the 08:30 roster an
    older demo left for today) extends the cover to the new moment.
    """
    for day in (today, today + timedelta(days=1)):
        start = utc(day, time(0), zone)
        end = utc(day + timedelta(days=1), time(0), zone)
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
        for window_id, staff in assignment(roster, windows, day).items():
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
        day = last_working_day(day)
        at = utc(day, time(10, 20), zone)
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


def _stuffing_episodes(
    rng: random.Random, windows: list[Window], today: date, zone: ZoneInfo
) -> int:
    """Tap a few suspicious ratings on the last working day, as the phone page records them.

    The anti-stuffing rules flag and quarantine them as they would any tap, so the supervisor
    finds something to review: a phone without its cookie tapping 非常满意 ten times in a
    minute for one window (the first six count, the rest are a burst), two taps from a photo
    of a QR code late in the evening, and a clerk rating their own window while signed in.
    """
    day = last_working_day(today)
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
        tapped = utc(day, clock_time, zone)
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

"""The supervisors' ratings log and the review of quarantined ratings (its CSV: rating_export)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import RATING_CHANNELS, RATING_STATUSES, Rating, User
from kiosk.services import audit
from kiosk.services.ratings import change_ratings_status
from scoring import LevelCounts

# Why a rating was quarantined, by flag: exactly the flags kiosk.services.anti_stuffing
# raises. Flags from elsewhere (older data) are shown by their code.
FLAG_EXPLANATIONS = {
    "burst": _l("同一设备、同一窗口或全厅在短时间内的评价超过设定上限"),
    "staff_device": _l("来自工作人员的设备或登录会话（该浏览器已登录或近期登录过工作人员后台）"),
    "off_hours": _l("在大厅开放时间以外提交"),
    "exceeds_services": _l("当天该窗口未经邀请的评价多于“办结·邀请评价”的服务次数"),
}
REVIEW_DECISIONS = {"release": "counted", "exclude": "excluded"}


def explain_flag(flag: str) -> str:
    """Return a sentence saying why a flag was raised."""
    explanation = FLAG_EXPLANATIONS.get(flag)
    return str(explanation) if explanation else _("其他标记：%(flag)s", flag=flag)


class ReviewError(Exception):
    """The review was refused; the message says why (Chinese)."""


@dataclass(frozen=True)
class RatingFilter:
    """The log's filters; every field optional. Dates are hall-local days, inclusive."""

    window_id: int | None = None
    staff_id: int | None = None
    level: int | None = None
    channel: str | None = None
    verified: bool | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None


def _local_midnight(day: date) -> datetime:
    local = datetime.combine(day, datetime.min.time(), clock.hall_zone())
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def rating_conditions(hall_id: int, f: RatingFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Rating.hall_id == hall_id]
    if f.window_id:
        conditions.append(Rating.window_id == f.window_id)
    if f.staff_id:
        conditions.append(Rating.staff_id == f.staff_id)
    if f.level in (1, 2, 3, 4, 5):
        conditions.append(Rating.level == f.level)
    if f.channel in RATING_CHANNELS:
        conditions.append(Rating.channel == f.channel)
    if f.verified is not None:
        conditions.append(Rating.verified.is_(f.verified))
    if f.status in RATING_STATUSES:
        conditions.append(Rating.status == f.status)
    if f.start:
        conditions.append(Rating.created_at >= _local_midnight(f.start))
    if f.end:
        conditions.append(Rating.created_at < _local_midnight(f.end + timedelta(days=1)))
    return conditions


def _select(hall_id: int, f: RatingFilter) -> Select[Rating]:
    return (
        select(Rating)
        .where(*rating_conditions(hall_id, f))
        .options(selectinload(Rating.window), selectinload(Rating.staff))
        .order_by(Rating.created_at.desc(), Rating.id.desc())
    )


def rating_page(
    hall_id: int, f: RatingFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Rating], int]:
    """Return one page of the hall's ratings matching f (newest first) and the total."""
    total = (
        db.session.scalar(select(func.count(Rating.id)).where(*rating_conditions(hall_id, f))) or 0
    )
    rows = db.session.scalars(
        _select(hall_id, f).offset((max(page, 1) - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def in_quarantine(hall_id: int) -> ColumnElement[bool]:
    """Return the condition for the hall's ratings that wait for review.

    The status is written into the statement, not bound: only then can the planners (SQLite's
    at prepare time, PostgreSQL's generic plans) tell that ix_rating_quarantined, a partial
    index of exactly these ratings, holds every row wanted.
    """
    return (Rating.hall_id == hall_id) & (
        Rating.status == literal("quarantined", literal_execute=True)
    )


QUEUE_SHOWN = 100  # the review queue's page shows this many, oldest first


def quarantined(hall_id: int) -> list[Rating]:
    """Return the hall's oldest QUEUE_SHOWN quarantined ratings, oldest first (the queue)."""
    return list(
        db.session.scalars(
            select(Rating)
            .where(in_quarantine(hall_id))
            .options(selectinload(Rating.window), selectinload(Rating.staff))
            .order_by(Rating.created_at, Rating.id)
            .limit(QUEUE_SHOWN)
        )
    )


def quarantined_count(hall_id: int) -> int:
    """Return how many of the hall's ratings wait for review."""
    return (
        db.session.scalar(select(func.count()).select_from(Rating).where(in_quarantine(hall_id)))
        or 0
    )


def quarantined_levels(
    hall_id: int, start: datetime, end: datetime, staff_id: int | None = None
) -> LevelCounts:
    """Count the hall's ratings waiting for review given in [start, end) (naive UTC), by level.

    staff_id keeps those of one staff member: a count the held tallies, kept per window, do
    not hold.
    """
    query = (
        select(Rating.level, func.count())
        .where(in_quarantine(hall_id), Rating.created_at >= start, Rating.created_at < end)
        .group_by(Rating.level)
    )
    if staff_id is not None:
        query = query.where(Rating.staff_id == staff_id)
    counts = [0, 0, 0, 0, 0]
    for level, n in db.session.execute(query):
        counts[int(level) - 1] += int(n)
    return LevelCounts((counts[0], counts[1], counts[2], counts[3], counts[4]))


def _checked(decision: str, reason: str) -> str:
    """Return the reason, stripped, or raise ReviewError for a decision that cannot be taken."""
    if decision not in REVIEW_DECISIONS:
        raise ReviewError(_("未知的审核决定。"))
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(_("请填写审核理由。"))
    if len(reason) > 500:
        raise ReviewError(_("审核理由不能超过500字。"))
    return reason


def review(rating: Rating, actor: User, *, decision: str, reason: str, now: datetime) -> None:
    """Release a quarantined rating (it counts) or exclude it, with a reason; log it."""
    reason = _checked(decision, reason)
    if rating.status != "quarantined":
        raise ReviewError(_("这条评价不在待审核列表中，无需审核。"))
    _decide([rating], actor, decision, reason)


def review_many(
    hall_id: int,
    rating_ids: Iterable[int],
    actor: User,
    *,
    decision: str,
    reason: str,
    now: datetime,
) -> tuple[int, int]:
    """Review several of the hall's quarantined ratings alike; return (reviewed, skipped).

    Each is reviewed and audited as review() does one. Skipped are the hall's ratings that no
    longer wait in quarantine (another supervisor reviewed them first); the rows are locked
    while they change, so two supervisors never review one rating twice. LookupError, and
    nothing changed, if an id is no rating of this hall.
    """
    reason = _checked(decision, reason)
    wanted = sorted(set(rating_ids))
    found = db.session.scalar(
        select(func.count(Rating.id)).where(Rating.id.in_(wanted), Rating.hall_id == hall_id)
    )
    if found != len(wanted):
        raise LookupError("not a rating of this hall")
    held = db.session.scalars(
        select(Rating)
        .where(Rating.id.in_(wanted), in_quarantine(hall_id))
        .order_by(Rating.id)
        .with_for_update()
    ).all()
    _decide(held, actor, decision, reason)
    return len(held), len(wanted) - len(held)


def _decide(held: Sequence[Rating], actor: User, decision: str, reason: str) -> None:
    # The quarantined ratings held change together (one log write, one board update); each
    # gets its own audit entry.
    change_ratings_status(held, REVIEW_DECISIONS[decision])
    for rating in held:
        audit.record(
            f"rating.{decision}",
            actor=actor,
            target_type="rating",
            target_id=rating.id,
            hall_id=rating.hall_id,
            reason=reason,
            detail={"from": "quarantined", "to": rating.status, "flags": list(rating.flags)},
        )
    db.session.flush()

"""Recording ratings and the complaints that follow them.

Every rating arrives with an idempotency key chosen by the client. A key that was seen before
records nothing new, whatever the channel, however often it is replayed, and the database's
unique constraint settles races between concurrent submits of the same key.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, union_all
from sqlalchemy.exc import IntegrityError

from kiosk.extensions import db
from kiosk.models import (
    RATING_CHANNELS,
    RATING_STATUSES,
    REASON_TAGS,
    Complaint,
    Rating,
    RatingRevision,
    Staff,
    Window,
)
from kiosk.services.duty import staff_on_duty
from kiosk.services.privacy import is_mobile_number

if TYPE_CHECKING:
    from kiosk.services.anti_stuffing import Verdict

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
COMPLAINT_TEXT_MAX = 500


@dataclass(frozen=True)
class RatingFacts:
    """What derived data (board counters, reports) needs to know about a rating."""

    hall_id: int
    window_id: int
    staff_id: int | None
    level: int
    status: str
    created_at: datetime

    @classmethod
    def of(cls, rating: Rating) -> "RatingFacts":
        return cls(
            rating.hall_id,
            rating.window_id,
            rating.staff_id,
            rating.level,
            rating.status,
            rating.created_at,
        )


def rating_changed(before: RatingFacts | None, after: RatingFacts | None) -> None:
    """Keep derived data in step with a rating; every write path calls this, in its transaction.

    before is None for a new rating; after is None for a removed one (ratings are never
    deleted by the application, but restores and tests may).
    """
    from kiosk.services import board_cache

    board_cache.apply(before, after)


def _written(rating: Rating, before: RatingFacts | None, event: str) -> None:
    # Every write path ends here: log the new state in the tamper-evident chain, then let
    # derived data follow.
    from kiosk.services import rating_log

    db.session.flush()
    rating_log.append(rating, event)
    rating_changed(before, RatingFacts.of(rating))


def change_rating_status(rating: Rating, status: str, *, flag: str | None = None) -> None:
    """Move a rating between counted, quarantined and excluded (the only way to do so)."""
    if status not in RATING_STATUSES:
        raise RatingError(f"unknown status {status!r}")
    before = RatingFacts.of(rating)
    rating.status = status
    if flag and flag not in rating.flags:
        rating.flags = sorted({*rating.flags, flag})
    _written(rating, before, "status")


class RatingError(ValueError):
    """The submission is invalid; nothing was written."""


@dataclass(frozen=True)
class RatingReceipt:
    """What became of a submission."""

    rating: Rating
    duplicate: bool = False  # the key was seen before: nothing was written
    replaced: bool = False  # an earlier rating from the same phone for this window was replaced


def find_rating_by_key(key: str) -> Rating | None:
    """Return the rating a key produced, including keys of replaced submissions."""
    # One round trip for both places a key can be (every submit asks, and nearly always
    # finds nothing): the rating itself, or a revision it keeps of a replaced submission.
    return db.session.scalar(
        select(Rating).where(
            Rating.id.in_(
                union_all(
                    select(Rating.id).where(Rating.idempotency_key == key),
                    select(RatingRevision.rating_id).where(RatingRevision.idempotency_key == key),
                )
            )
        )
    )


def validate_submission(level: object, key: object, channel: str) -> tuple[int, str]:
    """Return (level, key) checked, or raise RatingError saying what is wrong."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise RatingError("level must be an integer from 1 to 5")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RatingError("key must be 8–64 letters, digits, '-' or '_'")
    if channel not in RATING_CHANNELS:
        raise RatingError(f"unknown channel {channel!r}")
    return level, key


def record_rating(
    window: Window,
    level: int,
    key: str,
    *,
    channel: str,
    now: datetime,
    tapped_at: datetime | None = None,
    device: str | None = None,
    replace_within: timedelta | None = None,
    verified: bool = False,
    flags: Iterable[str] = (),
    status: str = "counted",
    served_by: Staff | None = None,
    screen: "Callable[[], Verdict] | None" = None,
) -> RatingReceipt:
    """Record one rating for window, attributed to the staff on duty when it was given.

    tapped_at is when the resident tapped (earlier than now for an offline replay). With
    replace_within and a device hash, a rating from the same device for the same window
    within that interval is replaced rather than added; the earlier one is kept as a revision.
    served_by names the clerk when the service itself says who served (a 办结·邀请评价
    invitation); otherwise the staff on duty at the tap is credited.
    screen, when given, is asked only for a new key (a retry is never counted against the
    anti-stuffing limits); its verdict sets the status and flags.
    """
    level, key = validate_submission(level, key, channel)
    existing = find_rating_by_key(key)
    if existing is not None:
        return RatingReceipt(existing, duplicate=True)
    if screen is not None:
        verdict = screen()
        status, flags = verdict.status, verdict.flags

    tapped_at = tapped_at or now
    staff = served_by or staff_on_duty(window.id, tapped_at)

    if replace_within is not None and device:
        previous = db.session.scalar(
            select(Rating)
            .where(
                Rating.device_hash == device,
                Rating.window_id == window.id,
                Rating.channel == channel,
                Rating.created_at >= tapped_at - replace_within,
                Rating.status != "excluded",
            )
            .order_by(Rating.created_at.desc())
            .limit(1)
        )
        if previous is not None:
            return _replace(previous, level, key, tapped_at, staff.id if staff else None, now)

    rating = Rating(
        hall_id=window.hall_id,
        window_id=window.id,
        staff_id=staff.id if staff else None,
        level=level,
        channel=channel,
        idempotency_key=key,
        device_hash=device,
        verified=verified,
        created_at=tapped_at,
        received_at=now,
        status=status,
        flags=sorted(set(flags)),
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        # A concurrent submit with the same key won the race: answer with its rating.
        winner = find_rating_by_key(key)
        if winner is None:
            raise
        return RatingReceipt(winner, duplicate=True)
    _written(rating, None, "created")
    if rating.is_bad:
        from kiosk.services import notifications

        notifications.bad_rating_received(rating, now)
    return RatingReceipt(rating)


def _replace(
    previous: Rating, level: int, key: str, tapped_at: datetime, staff_id: int | None, now: datetime
) -> RatingReceipt:
    before = RatingFacts.of(previous)
    with db.session.begin_nested():
        db.session.add(
            RatingRevision(
                rating_id=previous.id,
                level=previous.level,
                idempotency_key=previous.idempotency_key,
                created_at=previous.created_at,
                replaced_at=now,
            )
        )
        previous.level = level
        previous.idempotency_key = key
        previous.created_at = tapped_at
        previous.received_at = now
        previous.staff_id = staff_id
    _written(previous, before, "replaced")
    return RatingReceipt(previous, replaced=True)


def file_complaint(
    rating: Rating,
    *,
    reason_tags: Iterable[str],
    text: str,
    phone: str | None,
    now: datetime,
) -> tuple[Complaint, bool]:
    """Attach the resident's complaint to a bad rating; return (complaint, created).

    A rating carries at most one complaint: a resubmitted form returns the first one.
    """
    if rating.complaint is not None:
        return rating.complaint, False
    tags = [tag for tag in REASON_TAGS if tag in set(reason_tags)]
    text = (text or "").strip()
    if len(text) > COMPLAINT_TEXT_MAX:
        raise RatingError(f"text longer than {COMPLAINT_TEXT_MAX} characters")
    phone = (phone or "").strip() or None
    if phone is not None and not is_mobile_number(phone):
        raise RatingError("phone must be an 11-digit mobile number")
    complaint = Complaint(
        hall_id=rating.hall_id,
        window_id=rating.window_id,
        staff_id=rating.staff_id,
        rating_id=rating.id,
        reason_tags=tags,
        text=text,
        contact_phone=phone,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(complaint)
    except IntegrityError:
        db.session.refresh(rating)
        if rating.complaint is None:
            raise
        return rating.complaint, False
    from kiosk.services import complaints

    complaints.complaint_received(complaint, now)  # deadline, timeline, notification
    return complaint, True


def window_by_token(token: str) -> Window | None:
    """Return the active window whose QR code carries token."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Window).where(Window.qr_token == token, Window.active.is_(True))
    )

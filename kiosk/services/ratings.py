"""Recording ratings and the complaints that follow them.

Every channel (phone, kiosk, pad, device API, invitations) records a rating with
record_rating(), in the request's one transaction. Every rating arrives with an idempotency
key chosen by the client: a key that was seen before records nothing new, whatever the
channel, however often it is replayed, and the database's unique constraint settles races
between concurrent submits of the same key.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import exists, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from kiosk.extensions import db
from kiosk.models import (
    RATING_STATUSES,
    REASON_TAGS,
    Complaint,
    Rating,
    RatingRevision,
    Staff,
    Window,
)
from kiosk.services import anti_stuffing, board_cache, complaints, notifications, rating_log
from kiosk.services.board_cache import RatingFacts
from kiosk.services.duty import staff_on_duty
from kiosk.services.privacy import is_mobile_number
from kiosk.services.submission import RatingError, RatingReceipt, Submission

COMPLAINT_TEXT_MAX = 500


class _Changes:
    """The changes to ratings in one transaction and the derived data they call for.

    Every write path notes its changes here and writes them once: the hash-chained log (in
    order, each entry with the rating's state after that change) and the board counters
    (kiosk.services.board_cache), in the same transaction as the changes.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[Rating, str]] = []
        self.tallies: Counter[board_cache.TallyKey] = Counter()

    def add(self, rating: Rating, before: RatingFacts | None, event: str) -> None:
        """Note a change of rating (before: its facts until then; None for a new rating)."""
        self.entries.append((rating, event))
        self.tallies.update(board_cache.deltas(before, RatingFacts.of(rating)))

    def write(self) -> None:
        """Flush, then write the log entries and the counters of every change noted."""
        if not self.entries:
            return
        db.session.flush()
        rating_log.append_many(self.entries)
        board_cache.apply_deltas(self.tallies)


def change_ratings_status(
    ratings: Sequence[Rating], status: str, *, flag: str | None = None
) -> None:
    """Move several ratings to status at once: one log write and one board update for all."""
    if status not in RATING_STATUSES:
        raise RatingError(f"unknown status {status!r}", "status")
    changes = _Changes()
    for rating in ratings:
        before = RatingFacts.of(rating)
        rating.status = status
        if flag and flag not in rating.flags:
            rating.flags = sorted({*rating.flags, flag})
        changes.add(rating, before, "status")
    changes.write()


def find_rating_by_key(key: str) -> Rating | None:
    """Return the rating a key produced, including keys of replaced submissions."""
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


def rating_for_thanks(key: str) -> tuple[Rating, bool] | None:
    """Return the rating a key produced and whether that tap replaced an earlier one.

    The thank-you page asks this for the key it was sent to: in one query for the usual case,
    the key of the rating itself; a key of a replaced submission finds the rating that
    replaced it (whose own tap did the replacing, not this one).
    """
    replaced = exists().where(RatingRevision.rating_id == Rating.id)
    found = db.session.execute(
        select(Rating, replaced).where(Rating.idempotency_key == key)
    ).first()
    if found is not None:
        return found[0], bool(found[1])
    rating = find_rating_by_key(key)
    return (rating, False) if rating is not None else None


def record_rating(submission: Submission, *, now: datetime) -> RatingReceipt:
    """Record one rating, attributed to the clerk who served (or was on duty at the tap).

    A key seen before records nothing (duplicate receipt). A tap from the device that rated
    the same window within submission.replace_within replaces that rating, which keeps the
    earlier submission as a revision. A new rating is screened for ballot stuffing when
    submission.screen says so; the verdict sets its status and flags. The log, the board
    counters and the 差评 notification are written in the same transaction; the caller commits.
    """
    existing = find_rating_by_key(submission.tap.key)
    if existing is not None:
        return RatingReceipt(existing, duplicate=True)
    staff = submission.served_by or staff_on_duty(submission.window.id, submission.tapped_at)
    earlier = _earlier_from_device(submission)
    changes = _Changes()
    if earlier is not None:
        if submission.screen:
            anti_stuffing.count_replacement(submission)
        was_bad = earlier.is_bad
        _replace(earlier, submission, staff, now, changes)
        receipt = RatingReceipt(earlier, replaced=True)
        notify = earlier.is_bad and not was_bad
    else:
        verdict = anti_stuffing.screen(submission, now) if submission.screen else None
        rating = Rating(
            hall_id=submission.window.hall_id,
            window_id=submission.window.id,
            staff_id=staff.id if staff else None,
            level=submission.tap.level,
            channel=submission.channel,
            idempotency_key=submission.tap.key,
            device_hash=submission.device,
            verified=submission.verified,
            created_at=submission.tapped_at,
            received_at=now,
            status=verdict.status if verdict else "counted",
            flags=sorted(verdict.flags) if verdict else [],
        )
        try:
            with db.session.begin_nested():
                db.session.add(rating)
        except IntegrityError:
            # A concurrent submit with the same key won the race: answer with its rating.
            winner = find_rating_by_key(submission.tap.key)
            if winner is None:
                raise
            return RatingReceipt(winner, duplicate=True)
        changes.add(rating, None, "created")
        receipt = RatingReceipt(rating)
        notify = rating.is_bad
    changes.write()
    if notify:
        notifications.bad_rating_received(receipt.rating, now)
    return receipt


def _earlier_from_device(submission: Submission) -> Rating | None:
    """Return the device's latest rating of the window within replace_within, if any."""
    if submission.replace_within is None or not submission.device:
        return None
    return db.session.scalar(
        select(Rating)
        .where(
            Rating.device_hash == submission.device,
            Rating.window_id == submission.window.id,
            Rating.channel == submission.channel,
            Rating.created_at >= submission.tapped_at - submission.replace_within,
            Rating.status != "excluded",
        )
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(1)
    )


def _replace(
    previous: Rating,
    submission: Submission,
    staff: Staff | None,
    now: datetime,
    changes: _Changes,
) -> None:
    before = RatingFacts.of(previous)
    db.session.add(
        RatingRevision(
            rating_id=previous.id,
            level=previous.level,
            idempotency_key=previous.idempotency_key,
            created_at=previous.created_at,
            replaced_at=now,
        )
    )
    previous.level = submission.tap.level
    previous.idempotency_key = submission.tap.key
    previous.created_at = submission.tapped_at
    previous.received_at = now
    previous.staff_id = staff.id if staff else None
    changes.add(previous, before, "replaced")


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
        raise RatingError(f"text longer than {COMPLAINT_TEXT_MAX} characters", "text")
    phone = (phone or "").strip() or None
    if phone is not None and not is_mobile_number(phone):
        raise RatingError("phone must be an 11-digit mobile number", "phone")
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
    complaints.complaint_received(complaint, now)  # deadline, timeline, notification
    return complaint, True


def window_by_token(token: str) -> Window | None:
    """Return the active window whose QR code carries token, with its hall (pages name it)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Window)
        .options(joinedload(Window.hall))
        .where(Window.qr_token == token, Window.active.is_(True))
    )

"""Recording ratings and the complaints that follow them.

Every rating arrives with an idempotency key chosen by the client. A key that was seen before
records nothing new, whatever the channel, however often it is replayed, and the database's
unique constraint settles races between concurrent submits of the same key.
"""

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from typing import cast as typing_cast

from sqlalchemy import JSON, Text, bindparam, cast, func, insert, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from kiosk.database import among
from kiosk.extensions import db
from kiosk.models import (
    RATING_CHANNELS,
    RATING_STATUSES,
    REASON_TAGS,
    Complaint,
    Duty,
    Rating,
    RatingRevision,
    Staff,
    Window,
)
from kiosk.services.duty import duties_between
from kiosk.services.privacy import is_mobile_number

if TYPE_CHECKING:
    from kiosk.services.anti_stuffing import ScreenRequest

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
    def of(cls, rating: "Rating | NewRating") -> "RatingFacts":
        return cls(
            rating.hall_id,
            rating.window_id,
            rating.staff_id,
            rating.level,
            rating.status,
            rating.created_at,
        )


@dataclass
class NewRating:
    """A new rating of a bulk batch, written with the batch's other new ratings in one statement.

    It has a Rating's columns (rating_log.rating_state, RatingFacts.of and the batch read them
    alike); id is None until the batch inserts it.
    """

    hall_id: int
    window_id: int
    staff_id: int | None
    level: int
    channel: str
    idempotency_key: str
    device_hash: str | None
    verified: bool
    created_at: datetime
    received_at: datetime
    status: str
    flags: list[str]
    id: int | None = None

    @property
    def is_bad(self) -> bool:
        return self.level <= 2

    def row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in _NEW_RATING_COLUMNS}


_NEW_RATING_COLUMNS = tuple(field.name for field in fields(NewRating) if field.name != "id")
_ARRAY_COLUMNS = tuple(name for name in _NEW_RATING_COLUMNS if name != "flags")


@cache
def _insert_from_arrays():  # type: ignore[no-untyped-def]
    """PostgreSQL: INSERT … SELECT FROM unnest(one array per column) RETURNING key, id.

    A batch as multi-row VALUES is a statement of ~370 bytes and 12 parameters per rating,
    which psycopg parses again on every drain (it caches statements only up to 4 KB): that
    cost 2–4 times the client CPU per rating of this form (0.044–0.074 against 0.018–0.032
    ms in four runs, psycopg alone, 150 rows). Built once, so SQLAlchemy compiles it once.
    flags, a JSON list, travels as its JSON text.
    """
    table = Rating.__table__
    arrays = [
        bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in _ARRAY_COLUMNS
    ] + [bindparam("flags", type_=postgresql.ARRAY(Text))]
    source = func.unnest(*arrays).table_valued(*_ARRAY_COLUMNS, "flags").render_derived("batch")
    values = [source.c[name] for name in _ARRAY_COLUMNS] + [cast(source.c.flags, JSON)]
    return (
        insert(table)
        .from_select([*_ARRAY_COLUMNS, "flags"], select(*values))
        .returning(table.c.idempotency_key, table.c.id)
    )


class _Changes:
    """The changes to ratings in one transaction and the derived data they call for.

    Every write path records its changes here and writes them once: the hash-chained log
    (in order, each entry with the rating's state as it was after that change) and the board
    counters (kiosk.services.board_cache), in the same transaction as the changes.
    """

    def __init__(self) -> None:
        # state None: not taken yet
        self.entries: list[tuple[Rating | NewRating, str, dict | None]] = []
        self.tallies: Counter = Counter()
        self.new: list[NewRating] = []  # bulk: not inserted yet

    def add(self, rating: "Rating | NewRating", before: RatingFacts | None, event: str) -> None:
        """Note a change of rating (before: its facts until then; None for a new rating)."""
        from kiosk.services import board_cache

        self.entries.append((rating, event, None))
        self.tallies.update(board_cache.deltas(before, RatingFacts.of(rating)))

    def untaken(self, rating: "Rating | NewRating") -> bool:
        """Return whether a change of rating waits for its state to be taken."""
        return any(noted is rating and state is None for noted, _, state in self.entries)

    def insert_new(self) -> None:
        """Insert the bulk batch's new ratings so far, a few statements for all; set their ids."""
        if not self.new:
            return
        # Core, not the ORM bulk path: plain rows in, ids out. Each new id is matched to its
        # rating by the key (unique), not by the order of the returned rows: SQLite cannot
        # return them in order, and asking for order would make SQLAlchemy insert the batch
        # one row per statement there.
        if db.session.get_bind().dialect.name == "postgresql":
            rows = db.session.execute(
                _insert_from_arrays(),
                {name: [getattr(rating, name) for rating in self.new] for name in _ARRAY_COLUMNS}
                | {"flags": [json.dumps(rating.flags) for rating in self.new]},
            )
        else:
            table = Rating.__table__
            statement = insert(table).returning(table.c.idempotency_key, table.c.id)
            rows = db.session.execute(statement, [rating.row() for rating in self.new])
        ids: dict[str, int] = {key: rating_id for key, rating_id in rows}
        for rating in self.new:
            rating.id = ids[rating.idempotency_key]
        self.new = []

    def take_states(self) -> None:
        """Flush, and take the state of every change not taken yet (before changing it again)."""
        from kiosk.services import rating_log

        self.insert_new()
        db.session.flush()
        self.entries = [
            (rating, event, state if state is not None else rating_log.rating_state(rating))
            for rating, event, state in self.entries
        ]

    def write(self) -> None:
        """Write the log entries and the counters of every change noted."""
        from kiosk.services import board_cache, rating_log

        if not self.entries:
            return
        self.take_states()
        rating_log.append_states(
            [(rating.id, event, state or {}) for rating, event, state in self.entries]
        )
        board_cache.apply_deltas(self.tallies)


def change_rating_status(rating: Rating, status: str, *, flag: str | None = None) -> None:
    """Move a rating between counted, quarantined and excluded (the only way to do so)."""
    change_ratings_status([rating], status, flag=flag)


def change_ratings_status(
    ratings: Sequence[Rating], status: str, *, flag: str | None = None
) -> None:
    """Move several ratings to status at once: one log write and one board update for all."""
    if status not in RATING_STATUSES:
        raise RatingError(f"unknown status {status!r}")
    changes = _Changes()
    for rating in ratings:
        before = RatingFacts.of(rating)
        rating.status = status
        if flag and flag not in rating.flags:
            rating.flags = sorted({*rating.flags, flag})
        changes.add(rating, before, "status")
    changes.write()


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


def has_revisions(rating: Rating) -> bool:
    """Return whether the rating replaced an earlier submission from the same phone."""
    return (
        db.session.scalar(
            select(RatingRevision.id).where(RatingRevision.rating_id == rating.id).limit(1)
        )
        is not None
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


@dataclass(frozen=True)
class Submission:
    """One rating to record, checked (validate_submission) and with its tap time."""

    window: Window
    level: int
    key: str
    channel: str
    tapped_at: datetime
    device: str | None = None
    replace_within: timedelta | None = None
    verified: bool = False
    flags: tuple[str, ...] = ()
    status: str = "counted"
    served_by: Staff | None = None
    screen: "ScreenRequest | None" = None


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
    screen: "ScreenRequest | None" = None,
) -> RatingReceipt:
    """Record one rating for window, attributed to the staff on duty when it was given.

    tapped_at is when the resident tapped (earlier than now for an offline replay). With
    replace_within and a device hash, a rating from the same device for the same window
    within that interval is replaced rather than added; the earlier one is kept as a revision.
    served_by names the clerk when the service itself says who served (a 办结·邀请评价
    invitation); otherwise the staff on duty at the tap is credited.
    screen, when given, is screened (kiosk.services.anti_stuffing) only for a new key (a retry
    is never counted against the anti-stuffing limits); its verdict sets the status and flags.
    """
    level, key = validate_submission(level, key, channel)
    submission = Submission(
        window,
        level,
        key,
        channel,
        tapped_at or now,
        device=device,
        replace_within=replace_within,
        verified=verified,
        flags=tuple(flags),
        status=status,
        served_by=served_by,
        screen=screen,
    )
    return record_many([submission], now=now)[0]


def record_many(submissions: Sequence[Submission], *, now: datetime) -> list[RatingReceipt]:
    """Record submissions in order, as record_rating() one after another would; one receipt each.

    Lookups (keys, duty, earlier ratings from a device, anti-stuffing counters) are made once
    for the whole batch and the derived data (log, board counters) written once at the end.
    Each new rating is inserted at once in a savepoint, so a concurrent submit of the same key
    yields a duplicate receipt instead of an error.
    """
    receipts = []
    for outcome in _Batch(now, bulk=False).record(submissions):
        rating = typing_cast(Rating, outcome.rating)  # without bulk every rating is an ORM Rating
        receipts.append(RatingReceipt(rating, outcome.duplicate, outcome.replaced))
    return receipts


def record_bulk(submissions: Sequence[Submission], *, now: datetime) -> None:
    """Record submissions as record_many() would, writing the new ratings in one statement.

    For the phone intake's batches (kiosk.services.intake.drain): the new ratings are plain
    rows (NewRating), not ORM objects. The caller must hold the rating-write lock and, should
    a key be taken concurrently after all (IntegrityError), roll back and record the batch
    with record_many().
    """
    _Batch(now, bulk=True).record(submissions)


@dataclass(frozen=True)
class _Outcome:
    rating: "Rating | NewRating"
    duplicate: bool = False
    replaced: bool = False


class _Batch:
    """One transaction's worth of submissions and the changes they make."""

    def __init__(self, now: datetime, bulk: bool) -> None:
        self.now, self.bulk = now, bulk
        self.changes = _Changes()
        self.bad: list[Rating | NewRating] = []

    def record(self, submissions: Sequence[Submission]) -> list[_Outcome]:
        from kiosk.services.anti_stuffing import Screening

        known = ratings_by_keys([s.key for s in submissions])
        outcomes: list[_Outcome | None] = [None] * len(submissions)
        fresh: list[int] = []
        first_of: dict[str, int] = {}
        for number, submission in enumerate(submissions):
            if submission.key in known:
                outcomes[number] = _Outcome(known[submission.key], duplicate=True)
            elif submission.key not in first_of:
                first_of[submission.key] = number
                fresh.append(number)
        # Everything is read before the first insert: no autoflush in between.
        screening = Screening(self.now)
        screened = [screen for n in fresh if (screen := submissions[n].screen) is not None]
        if screened:
            screening.count(screened)
        on_duty = _DutyLookup([submissions[n] for n in fresh if not submissions[n].served_by])
        previous = _PreviousLookup([submissions[n] for n in fresh])
        for number in fresh:
            submission = submissions[number]
            status, flags = submission.status, submission.flags
            if submission.screen is not None:
                verdict = screening.verdict(submission.screen)
                status, flags = verdict.status, verdict.flags
            staff = submission.served_by or on_duty.at(submission.window.id, submission.tapped_at)
            earlier = previous.latest(submission)
            if earlier is not None:
                outcome = outcomes[number] = self._replace(earlier, submission, staff)
                previous.swap(earlier, outcome.rating)
                continue
            outcome = self._add(submission, staff, status, flags)
            outcomes[number] = outcome
            if not outcome.duplicate:
                previous.note(outcome.rating)
                screening.added(submission.window.id, submission.tapped_at, submission.verified)
        screening.log_events()
        self._finish()
        for number, submission in enumerate(submissions):
            if outcomes[number] is None:  # the same key twice in one batch
                first = outcomes[first_of[submission.key]]
                if first is not None:
                    outcomes[number] = _Outcome(first.rating, duplicate=True)
        return [outcome for outcome in outcomes if outcome is not None]

    def _add(
        self, submission: Submission, staff: Staff | None, status: str, flags: Iterable[str]
    ) -> _Outcome:
        values = {
            "hall_id": submission.window.hall_id,
            "window_id": submission.window.id,
            "staff_id": staff.id if staff else None,
            "level": submission.level,
            "channel": submission.channel,
            "idempotency_key": submission.key,
            "device_hash": submission.device,
            "verified": submission.verified,
            "created_at": submission.tapped_at,
            "received_at": self.now,
            "status": status,
            "flags": sorted(set(flags)),
        }
        rating: Rating | NewRating
        if self.bulk:
            rating = NewRating(**values)
            self.changes.new.append(rating)
        else:
            rating = Rating(**values)
            try:
                with db.session.begin_nested():
                    db.session.add(rating)
            except IntegrityError:
                # A concurrent submit with the same key won the race: answer with its rating.
                winner = find_rating_by_key(submission.key)
                if winner is None:
                    raise
                return _Outcome(winner, duplicate=True)
        self.changes.add(rating, None, "created")
        if rating.is_bad:
            self.bad.append(rating)
        return _Outcome(rating)

    def _replace(
        self, previous: "Rating | NewRating", submission: Submission, staff: Staff | None
    ) -> _Outcome:
        if isinstance(previous, NewRating):
            previous = self._loaded(previous)
        if self.changes.untaken(previous):
            self.changes.take_states()  # previous was made in this batch: log it as it was first
        before = RatingFacts.of(previous)
        db.session.add(
            RatingRevision(
                rating_id=previous.id,
                level=previous.level,
                idempotency_key=previous.idempotency_key,
                created_at=previous.created_at,
                replaced_at=self.now,
            )
        )
        previous.level = submission.level
        previous.idempotency_key = submission.key
        previous.created_at = submission.tapped_at
        previous.received_at = self.now
        previous.staff_id = staff.id if staff else None
        self.changes.add(previous, before, "replaced")
        return _Outcome(previous, replaced=True)

    def _loaded(self, new: NewRating) -> Rating:
        """Return the ORM Rating of a bulk batch's new rating (inserted now if it was not yet)."""
        self.changes.insert_new()
        return db.session.get_one(Rating, new.id)

    def _finish(self) -> None:
        from kiosk.services import notifications

        self.changes.write()
        if self.bad and not notifications.channels():
            return
        for rating in self.bad:
            if isinstance(rating, NewRating):
                rating = self._loaded(rating)
            notifications.bad_rating_received(rating, self.now)


def ratings_by_keys(keys: Sequence[str]) -> dict[str, Rating]:
    """Return {key: rating} for the keys already used, by a rating or a replaced submission."""
    if len(keys) == 1:
        found = find_rating_by_key(keys[0])
        return {keys[0]: found} if found is not None else {}
    unique = sorted(set(keys))
    by_key: dict[str, Rating] = {
        rating.idempotency_key: rating
        for rating in db.session.scalars(
            select(Rating).where(among(Rating.idempotency_key, unique))
        )
    }
    revised = db.session.execute(
        select(RatingRevision.idempotency_key, RatingRevision.rating_id).where(
            among(RatingRevision.idempotency_key, unique)
        )
    ).all()
    if revised:
        owners = {r.id: r for r in db.session.scalars(
            select(Rating).where(among(Rating.id, {rating_id for _, rating_id in revised}))
        )}  # fmt: skip
        by_key.update({key: owners[rating_id] for key, rating_id in revised})
    return by_key


class _DutyLookup:
    """Who was on duty at the batch's windows at its tap times: read in one query."""

    def __init__(self, submissions: Sequence[Submission]) -> None:
        self._duties: dict[int, list[tuple[Duty, Staff]]] = {}
        if not submissions:
            return
        moments = [submission.tapped_at for submission in submissions]
        windows = {submission.window.id for submission in submissions}
        for duty, staff in duties_between(windows, min(moments), max(moments)):
            self._duties.setdefault(duty.window_id, []).append((duty, staff))

    def at(self, window_id: int, moment: datetime) -> Staff | None:
        for duty, staff in self._duties.get(window_id, ()):  # in order of precedence
            if duty.starts_at <= moment and (duty.ends_at is None or duty.ends_at > moment):
                return staff
        return None


class _PreviousLookup:
    """The latest rating from a device at a window (for replacement): one query for a batch."""

    def __init__(self, submissions: Sequence[Submission]) -> None:
        self._since: dict[tuple[str, int, str], datetime] = {}
        for submission in submissions:
            if submission.replace_within is None or not submission.device:
                continue
            slot = (submission.device, submission.window.id, submission.channel)
            since = submission.tapped_at - submission.replace_within
            self._since[slot] = min(since, self._since.get(slot, since))
        self._latest: dict[tuple[str, int, str], Rating | NewRating] = {}
        if not self._since:
            return
        slots = list(self._since)
        candidates = db.session.scalars(
            select(Rating).where(
                among(Rating.device_hash, {device for device, _, _ in slots}),
                Rating.window_id.in_({window for _, window, _ in slots}),
                Rating.channel.in_({channel for _, _, channel in slots}),
                Rating.created_at >= min(self._since.values()),
                Rating.status != "excluded",
            )
        )
        for rating in candidates:
            slot = (rating.device_hash or "", rating.window_id, rating.channel)
            if slot not in self._since or rating.created_at < self._since[slot]:
                continue
            current = self._latest.get(slot)
            if current is None or (rating.created_at, rating.id) > (current.created_at, current.id):
                self._latest[slot] = rating

    def latest(self, submission: Submission) -> "Rating | NewRating | None":
        if submission.replace_within is None or not submission.device:
            return None
        slot = (submission.device, submission.window.id, submission.channel)
        rating = self._latest.get(slot)
        if rating is None or rating.created_at < submission.tapped_at - submission.replace_within:
            return None
        return rating

    def swap(self, noted: "Rating | NewRating", current: Rating) -> None:
        """Let a bulk batch's new rating, once loaded as a Rating to be replaced, stand for it."""
        slot = (current.device_hash or "", current.window_id, current.channel)
        if self._latest.get(slot) is noted:
            self._latest[slot] = current

    def note(self, rating: "Rating | NewRating") -> None:
        slot = (rating.device_hash or "", rating.window_id, rating.channel)
        if slot in self._since:
            current = self._latest.get(slot)
            if current is None or rating.created_at >= current.created_at:
                self._latest[slot] = rating


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

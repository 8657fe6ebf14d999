"""The phone rating intake: acknowledge a tap with one statement, record ratings in batches.

A tap on a window's QR page is accepted by accept(): one INSERT … SELECT that checks the
window's token and stores the tap under its idempotency key (a replayed key inserts nothing).
Once that commits, the tap is safe and the resident is answered. The rating itself is made
from the tap by drain(), which records every waiting tap in one batch through
kiosk.services.ratings.record_many (attribution to the clerk on duty at the tap, anti-stuffing
flags, replacement of the same phone's earlier rating, the hash-chained log, the board
counters), exactly as if each had been recorded on its own, in order of arrival.

Who drains, and when:
- a request that accepts a tap, right after its commit, once the oldest waiting tap has
  waited INTAKE_DRAIN_INTERVAL seconds (drain_due): in a busy hall the taps of that moment
  are recorded together, by one request;
- the thank-you page (and the complaint form) of a tap that is still waiting: the resident's
  phone follows the redirect at once, so in a quiet hall each tap is recorded by its own page;
- a sweeper thread in each worker, every INTAKE_SWEEP_SECONDS, for taps left waiting when the
  traffic stopped, a client did not follow the redirect or a worker was killed.
One drain runs at a time: SQLite's write lock, or a transaction-scoped advisory lock on
PostgreSQL. A drain that fails (a database outage) leaves the taps waiting; nothing is lost.
"""

import logging
import mmap
import os
import struct
import threading
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import bindparam, delete, exists, func, select, text, true, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from kiosk import clock
from kiosk.database import among, dialect_insert, writing
from kiosk.extensions import db
from kiosk.models import RatingIntake, Window
from kiosk.services import anti_stuffing, ratings

log = logging.getLogger(__name__)

BATCH = 500  # taps recorded per transaction
_ADVISORY_LOCK_ID = 0x6B696F736C  # any constant shared by all workers (not the log's)
_state_lock = threading.Lock()
_SWEEPER = "kiosk_intake_sweeper"  # app.extensions: (pid, stop event) of the running sweeper
_NEXT_CHECK = "kiosk_intake_next_check"  # app.extensions: (pid, _NextCheck)
_NEXT_PRUNE = "kiosk_intake_next_prune"  # app.extensions: time.monotonic() of the next prune


class _NextCheck:
    """When the workers next ask whether the waiting taps are due, shared by the workers of a host.

    Asking costs a query, and a worker that finds the taps due while another records them
    only queues behind it; so the worker that asks tells the others not to before the
    answer can change. The time (time.monotonic(), the same clock for every process of a
    host) lives in a small file in the instance folder that each worker maps into memory;
    with it, the boot it belongs to, so a time left from before a restart of the machine is
    ignored. A worker that cannot map the file keeps the time to itself. It is only a hint:
    drains are serialised by the database, whoever asks.
    """

    _LAYOUT = struct.Struct("dd")  # (boot time, next check)

    def __init__(self, path: str) -> None:
        self._own = -1e9
        self._map: mmap.mmap | None = None
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "a+b") as file:
                if os.path.getsize(path) < self._LAYOUT.size:
                    file.truncate(self._LAYOUT.size)
                self._map = mmap.mmap(file.fileno(), self._LAYOUT.size)
        except OSError as error:
            log.warning(
                "rating intake: cannot share the drain schedule between workers",
                extra={"fields": {"error": type(error).__name__}},
            )

    @staticmethod
    def _boot() -> float:
        return time.time() - time.monotonic()

    def get(self) -> float:
        if self._map is None:
            return self._own
        boot, at = self._LAYOUT.unpack_from(self._map)
        return at if abs(boot - self._boot()) < 5 else -1e9

    def set(self, at: float) -> None:
        if self._map is None:
            self._own = at
        else:
            self._LAYOUT.pack_into(self._map, 0, self._boot(), at)


def _next_check() -> _NextCheck:
    """Return this app's drain schedule, mapped once in this process."""
    extensions = current_app.extensions
    found = extensions.get(_NEXT_CHECK)
    if found is None or found[0] != os.getpid():
        with _state_lock:
            found = extensions.get(_NEXT_CHECK)
            if found is None or found[0] != os.getpid():
                path = os.path.join(current_app.instance_path, "intake-next-check")
                found = extensions[_NEXT_CHECK] = (os.getpid(), _NextCheck(path))
    return found[1]


def postpone_checks(seconds: float) -> None:
    """Let no request of this host ask for seconds whether the taps are due."""
    _next_check().set(time.monotonic() + seconds)


def _accept_statement():  # type: ignore[no-untyped-def]
    # Built once with named parameters, so SQLAlchemy compiles it once.
    table = RatingIntake.__table__

    def build(insert):  # type: ignore[no-untyped-def]
        source = select(
            bindparam("key", type_=RatingIntake.idempotency_key.type),
            Window.id,
            bindparam("level", type_=RatingIntake.level.type),
            bindparam("channel", type_=RatingIntake.channel.type),
            bindparam("device", type_=RatingIntake.device_hash.type),
            bindparam("staff_session", type_=RatingIntake.staff_session.type),
            bindparam("tapped_at", type_=RatingIntake.tapped_at.type),
        ).where(Window.qr_token == bindparam("token"), Window.active.is_(true()))
        columns = [
            "idempotency_key",
            "window_id",
            "level",
            "channel",
            "device_hash",
            "staff_session",
            "tapped_at",
        ]
        return (
            insert.from_select(columns, source)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.id)
        )

    return dialect_insert(table, build)


def accept(
    token: str,
    level: int,
    key: str,
    *,
    device: str | None,
    staff_session: bool,
    now: datetime,
    channel: str = "qr",
) -> bool:
    """Store a checked tap for the active window with this QR token; return whether it is new.

    False means the key was seen before or the token names no active window; the caller tells
    them apart (known_key()). The caller commits.
    """
    level, key = ratings.validate_submission(level, key, channel)
    # On the session's connection, past the ORM's execution layer: a plain INSERT needs none
    # of it, and this is the statement every tap waits for.
    connection = db.session.connection()
    inserted = connection.execute(
        _accept_statement(),
        {
            "key": key,
            "level": level,
            "channel": channel,
            "device": device,
            "staff_session": staff_session,
            "tapped_at": now,
            "token": token,
        },
    ).first()
    return inserted is not None


def known_key(key: str) -> bool:
    """Return whether a tap or a rating already carries this key."""
    return bool(db.session.scalar(select(exists().where(RatingIntake.idempotency_key == key)))) or (
        ratings.find_rating_by_key(key) is not None
    )


def waiting(key: str) -> bool:
    """Return whether the tap with this key is accepted but not yet recorded."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    RatingIntake.idempotency_key == key, RatingIntake.processed_at.is_(None)
                )
            )
        )
    )


def drain(
    now: datetime, *, limit: int = BATCH, bulk: bool = True, due_after: timedelta | None = None
) -> int:
    """Record up to limit waiting taps, oldest first; return how many. The caller commits.

    Takes the drain lock (PostgreSQL; SQLite's write transaction is one already). With
    due_after, records nothing unless the oldest waiting tap has waited that long, and on
    PostgreSQL nothing if another drain holds the lock: workers that found the taps due at the
    same moment would otherwise queue for the lock, and all but the first would each record
    the few taps that arrived meanwhile, paying a batch's cost for them (the drain under way
    records what waits; the next due tap starts another).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        if due_after is None:
            db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        elif not db.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID}
        ):
            return 0
    if due_after is not None:
        oldest = oldest_waiting()
        if oldest is None or oldest > now - due_after:
            return 0
    table = RatingIntake.__table__
    taps = db.session.execute(  # plain rows: the taps are read once, never changed as objects
        select(table).where(table.c.processed_at.is_(None)).order_by(table.c.id).limit(limit)
    ).all()
    if not taps:
        return 0
    windows = {
        window.id: window
        for window in db.session.scalars(
            select(Window).where(Window.id.in_({tap.window_id for tap in taps}))
        )
    }
    minutes = current_app.config["SAME_DEVICE_INTERVAL_MINUTES"]
    replace_within = timedelta(minutes=minutes) if minutes else None
    phone = anti_stuffing.phone_limit()
    submissions = [
        ratings.Submission(
            windows[tap.window_id],
            tap.level,
            tap.idempotency_key,
            tap.channel,
            tap.tapped_at,
            device=tap.device_hash,
            replace_within=replace_within,
            screen=anti_stuffing.ScreenRequest(
                windows[tap.window_id],
                tapped_at=tap.tapped_at,
                device=tap.device_hash,
                device_limit=phone,
                staff_session=tap.staff_session,
                channel=tap.channel,
            ),
        )
        for tap in taps
    ]
    (ratings.record_bulk if bulk else ratings.record_many)(submissions, now=now)
    db.session.execute(
        update(RatingIntake)
        .where(among(RatingIntake.id, [tap.id for tap in taps]))
        .values(processed_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(taps)


def record_waiting(*, only_due: bool = False) -> int:
    """Record every waiting tap now, in batches, each in its own transaction; return how many.

    only_due: only if the oldest has waited INTAKE_DRAIN_INTERVAL (another worker may have
    recorded the due taps while this one waited for the lock).

    Ends the caller's transaction first. An error is logged and leaves the taps waiting for
    the next drain; it is not raised: the taps are acknowledged already, and the request that
    happened to record them must not fail because of it.
    """
    db.session.rollback()
    interval = float(current_app.config["INTAKE_DRAIN_INTERVAL"])
    due_after = timedelta(seconds=interval) if only_due and interval else None
    total = 0
    try:
        with writing():
            while True:
                try:
                    done = drain(clock.now(), due_after=due_after if not total else None)
                    db.session.commit()
                except IntegrityError:
                    # A key was taken by another channel meanwhile: record one by one instead.
                    db.session.rollback()
                    done = drain(clock.now(), bulk=False)
                    db.session.commit()
                total += done
                if done < BATCH:
                    return total
    except DBAPIError as error:  # the database is out of reach for a moment
        db.session.rollback()
        log.warning(
            "rating intake: drain failed; the taps stay queued",
            extra={"fields": {"error": type(error.orig or error).__name__}},
        )
        return total
    except Exception:
        db.session.rollback()
        log.exception("rating intake: drain failed; the taps stay queued")
        return total
    finally:
        postpone_checks(interval)


def drain_due(now: datetime) -> bool:
    """Return whether the waiting taps should be recorded now (call in the accepting transaction).

    Yes when INTAKE_DRAIN_INTERVAL is 0, or when the oldest waiting tap has waited that long:
    a busy hall's taps then gather and are recorded many at a time, by one request for all
    workers. A lone tap is recorded by its thank-you page or, failing that, by the sweeper.
    The request that asks tells the host's other workers (_NextCheck) not to ask again before
    the oldest tap it saw falls due, or, when it records them itself, before the next interval.
    """
    interval = float(current_app.config["INTAKE_DRAIN_INTERVAL"])
    if not interval:
        return True
    schedule = _next_check()
    if time.monotonic() < schedule.get():
        return False
    oldest = oldest_waiting()
    wait = interval if oldest is None else (oldest - now).total_seconds() + interval
    schedule.set(time.monotonic() + (interval if wait <= 0 else wait))
    return wait <= 0


def ensure_recorded(key: str) -> bool:
    """Record the waiting taps if the one with key is among them; return whether it was."""
    if not waiting(key):
        return False
    record_waiting()
    return True


def oldest_waiting() -> datetime | None:
    """Return when the oldest waiting tap was made (None: nothing waits)."""
    return db.session.scalar(
        select(RatingIntake.tapped_at)
        .where(RatingIntake.processed_at.is_(None))
        .order_by(RatingIntake.id)
        .limit(1)
    )


STALLED_AFTER = timedelta(minutes=1)  # a tap waiting longer means no drain is running


def status(now: datetime) -> dict[str, object]:
    """Return how many taps wait to be recorded and for how long, for /healthz."""
    waiting_count, oldest = db.session.execute(
        select(func.count(RatingIntake.id), func.min(RatingIntake.tapped_at)).where(
            RatingIntake.processed_at.is_(None)
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return {
        "state": "stalled" if oldest is not None and now - oldest > STALLED_AFTER else "ok",
        "waiting": int(waiting_count),
        "oldest_seconds": round(max(age, 0.0), 1),
    }


def sweep_once() -> int:
    """Record the waiting taps if the oldest has waited INTAKE_DRAIN_INTERVAL; return how many.

    The sweeper asks as a tap's request does (drain_due): not before the host's schedule
    says, and on PostgreSQL not behind a drain under way, which records the taps anyway.
    Now and then it also deletes taps recorded long ago (prune_recorded).
    """
    if float(current_app.config["INTAKE_DRAIN_INTERVAL"]):
        due = drain_due(clock.now())
    else:
        due = oldest_waiting() is not None
    db.session.rollback()
    recorded = record_waiting(only_due=True) if due else 0
    if time.monotonic() >= current_app.extensions.get(_NEXT_PRUNE, -1e9):
        pruned = prune_recorded(clock.now())
        # A full chunk: more to delete, next round; otherwise look again in an hour.
        wait = 0 if pruned == PRUNE_CHUNK else 3600
        current_app.extensions[_NEXT_PRUNE] = time.monotonic() + wait
    return recorded


PRUNE_CHUNK = 5000  # recorded taps deleted per transaction


def prune_recorded(now: datetime) -> int:
    """Delete up to PRUNE_CHUNK taps recorded over INTAKE_KEEP_DAYS ago; return how many.

    Once recorded, a tap's rating carries its key, so a replay of it still records nothing
    new (ratings.record_many finds the key); the tap itself is only history. The oldest are
    found first, outside the write lock, then deleted in a short transaction of their own.
    """
    table = RatingIntake.__table__
    cutoff = now - timedelta(days=float(current_app.config["INTAKE_KEEP_DAYS"]))
    db.session.rollback()
    ids = db.session.scalars(
        select(table.c.id)
        .where(table.c.processed_at < cutoff)
        .order_by(table.c.id)
        .limit(PRUNE_CHUNK)
    ).all()
    db.session.rollback()
    if not ids:
        return 0
    with writing():
        db.session.execute(
            delete(table).where(among(table.c.id, ids), table.c.processed_at < cutoff)
        )
        db.session.commit()
    return len(ids)


def start_sweeper(app: Flask) -> None:
    """Start app's sweeper thread in this process once (each gunicorn worker has its own)."""
    seconds = float(app.config["INTAKE_SWEEP_SECONDS"])
    running = app.extensions.get(_SWEEPER)
    if not seconds or (running is not None and running[0] == os.getpid()):
        return
    with _state_lock:
        running = app.extensions.get(_SWEEPER)
        if running is not None and running[0] == os.getpid():
            return
        stop = threading.Event()
        app.extensions[_SWEEPER] = (os.getpid(), stop)
    threading.Thread(
        target=_sweep_forever, args=(app, seconds, stop), name="rating-intake-sweeper", daemon=True
    ).start()


def stop_sweeper(app: Flask) -> None:
    """Stop app's sweeper thread after its current round (tests that start one)."""
    with _state_lock:
        running = app.extensions.pop(_SWEEPER, None)
    if running is not None:
        running[1].set()


def _sweep_forever(app: Flask, seconds: float, stop: threading.Event) -> None:
    pause = seconds
    while not stop.wait(pause):
        with app.app_context():
            try:
                sweep_once()
                pause = seconds
            except DBAPIError as error:  # the database is out of reach: try again, less often
                pause = min(pause * 2, 30.0)
                log.warning(
                    "rating intake: sweep failed",
                    extra={"fields": {"error": type(error.orig or error).__name__}},
                )
            except Exception:  # keep sweeping whatever happened to one round
                pause = min(pause * 2, 30.0)
                log.exception("rating intake: sweep failed")
            finally:
                db.session.remove()

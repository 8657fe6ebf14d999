"""Append to and verify the hash-chained rating log.

Each entry stores the rating's full state after a change and
hash = sha256(previous hash + event + canonical JSON of the state). Editing, inserting or
deleting a log entry breaks the chain from that point; editing a rating row behind the
application's back leaves it different from the state its last entry recorded. verify() finds
both. Appends are serialised (SQLite's write lock; a transaction-scoped advisory lock on
PostgreSQL) so the chain never forks under concurrent writers.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text

from kiosk.database import table_of
from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.models._types import utcnow
from kiosk.models.rating_log import RatingLogEntry

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 0x6B696F736B  # any constant shared by all workers


def rating_state(rating: Rating) -> dict[str, Any]:
    """Return the facts of a rating the log protects, as JSON-ready values."""
    return {
        "id": rating.id,
        "hall": rating.hall_id,
        "window": rating.window_id,
        "staff": rating.staff_id,
        "level": rating.level,
        "channel": rating.channel,
        "key": rating.idempotency_key,
        "verified": bool(rating.verified),
        "status": rating.status,
        "flags": sorted(rating.flags or []),
        "created_at": rating.created_at.isoformat(),
        "received_at": rating.received_at.isoformat(),
    }


def chain_hash(prev_hash: str, event: str, state: dict[str, Any]) -> str:
    """Return the hash of an entry from the previous hash, the event and the state."""
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}|{event}|{canonical}".encode()).hexdigest()


def _last_hash() -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
    last = db.session.scalar(
        select(RatingLogEntry.hash).order_by(RatingLogEntry.id.desc()).limit(1)
    )
    return last or GENESIS


def append(rating: Rating, event: str) -> None:
    """Log the rating's state after event; call after the change is flushed."""
    append_many([(rating, event)])


def append_many(changes: Iterable[tuple[Rating, str]]) -> None:
    """Log several changes in order (bulk loads such as the demo data)."""
    append_states([(rating.id, event, rating_state(rating)) for rating, event in changes])


def append_states(changes: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
    """Log (rating id, event, state after it) changes in order, as taken when each happened."""
    prev = _last_hash()
    rows = []
    logged_at = utcnow()
    for rating_id, event, state in changes:
        digest = chain_hash(prev, event, state)
        rows.append(
            {
                "rating_id": rating_id,
                "event": event,
                "state": state,
                "prev_hash": prev,
                "hash": digest,
                "logged_at": logged_at,
            }
        )
        prev = digest
    if rows:
        # One executemany in order (ids ascend with the chain), not one ORM object per entry.
        db.session.execute(insert(table_of(RatingLogEntry)), rows)


@dataclass(frozen=True)
class Problem:
    """A place where the log and the data disagree."""

    entry_id: int | None
    rating_id: int | None
    message: str


def _entries() -> Iterator[RatingLogEntry]:
    yield from db.session.scalars(
        select(RatingLogEntry).order_by(RatingLogEntry.id).execution_options(yield_per=2000)
    )


def verify() -> tuple[int, list[Problem]]:
    """Check the whole chain and every rating against it; return (entries checked, problems).

    The first broken link is reported (everything after it is unverifiable); ratings whose
    current row differs from their last logged state, or that have no entry, are all reported.
    """
    problems: list[Problem] = []
    last_state: dict[int, dict[str, Any]] = {}
    prev = GENESIS
    checked = 0
    for entry in _entries():
        checked += 1
        if entry.prev_hash != prev or entry.hash != chain_hash(prev, entry.event, entry.state):
            problems.append(
                Problem(entry.id, entry.rating_id, f"chain broken at log entry {entry.id}")
            )
            break
        last_state[entry.rating_id] = entry.state
        prev = entry.hash
    if problems:
        return checked, problems
    for rating in db.session.scalars(
        select(Rating).order_by(Rating.id).execution_options(yield_per=2000)
    ):
        logged = last_state.pop(rating.id, None)
        if logged is None:
            problems.append(Problem(None, rating.id, f"rating {rating.id} is not in the log"))
        elif logged != rating_state(rating):
            changed = sorted(k for k, v in rating_state(rating).items() if logged.get(k) != v)
            problems.append(
                Problem(
                    None,
                    rating.id,
                    f"rating {rating.id} differs from its log ({', '.join(changed)})",
                )
            )
    for rating_id in sorted(last_state):
        problems.append(Problem(None, rating_id, f"rating {rating_id} is logged but missing"))
    return checked, problems

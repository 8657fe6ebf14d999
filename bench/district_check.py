"""Check the district generator against the real write path, on a copy of the small database.

Records a few hundred ratings in one station through record_rating() (with quarantine, review
and complaints as the services do them), then checks that: the bulk rows fill the same columns
as real ones; the log entries have the same shape; the tallies kept up by the real path plus the
bulk tallies equal what board_cache.rebuild() counts; and `flask verify-log` accepts the whole
chain, bulk entries and real ones after them.
"""

import logging
import random
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.district_data import NOW, OFFSET, make_app
from kiosk.extensions import db
from kiosk.models import Complaint, Hall, Rating, RatingLogEntry, RatingTally, Window
from kiosk.services import board_cache, ratings
from kiosk.services.submission import Submission, Tap

REAL = 300
HALL = "s02"


def _filled(rows: list[Any], columns: list[str]) -> set[str]:
    return {c for c in columns if any(getattr(r, c) is not None for r in rows)}


def _record(rng: random.Random, hall: Hall) -> list[Rating]:
    windows = list(db.session.scalars(select(Window).where(Window.hall_id == hall.id)))
    opening = (NOW + OFFSET).replace(hour=8, minute=35) - OFFSET
    made = []
    for n in range(REAL):
        tapped = opening + timedelta(minutes=n)
        level = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
        receipt = ratings.record_rating(
            Submission(
                rng.choice(windows),
                Tap.of(level, f"{rng.getrandbits(128):032x}"),
                "qr",
                tapped,
                device=f"{rng.getrandbits(256):064x}",
            ),
            now=tapped + timedelta(seconds=1),
        )
        rating = receipt.rating
        if n % 25 == 0:
            ratings.change_ratings_status([rating], "quarantined", flag="burst")
            if n % 50 == 0:
                ratings.change_ratings_status([rating], "excluded")
        if rating.is_bad and n % 3 == 0:
            ratings.file_complaint(
                rating, reason_tags=["attitude"], text="态度不好", phone=None, now=tapped
            )
        made.append(rating)
    return made


def self_check(path: Path) -> bool:
    """Run the checks on a copy of the database at path; print what differs; return ok."""
    ok = True

    def report(good: bool, message: str) -> None:
        nonlocal ok
        ok = ok and good
        print(f"  self-check {'ok  ' if good else 'FAIL'} {message}")

    with tempfile.TemporaryDirectory(prefix="bench-district-check-") as folder:
        copy = Path(folder) / "check.sqlite3"
        shutil.copyfile(path, copy)
        app = make_app(f"sqlite:///{copy}")
        with app.app_context():
            hall = db.session.scalar(select(Hall).where(Hall.slug == HALL))
            last_bulk = db.session.scalar(select(func.max(Rating.id))) or 0
            last_entry = db.session.scalar(select(func.max(RatingLogEntry.id))) or 0
            quiet = logging.getLogger("kiosk.security")
            level, quiet.level = quiet.level, logging.WARNING  # a line per complaint otherwise
            real = _record(random.Random(7), hall)
            quiet.level = level
            db.session.commit()

            columns = [c.name for c in Rating.__table__.columns]
            bulk = list(
                db.session.scalars(
                    select(Rating)
                    .where(Rating.hall_id == hall.id, Rating.channel == "qr")
                    .limit(3000)
                )
            )
            real_cols, bulk_cols = _filled(real, columns), _filled(bulk, columns)
            report(
                real_cols == bulk_cols,
                f"rating columns filled: real {sorted(real_cols)}"
                + ("" if real_cols == bulk_cols else f", bulk {sorted(bulk_cols)}"),
            )
            log_columns = [c.name for c in RatingLogEntry.__table__.columns]
            real_log = list(
                db.session.scalars(select(RatingLogEntry).where(RatingLogEntry.id > last_entry))
            )
            bulk_log = list(
                db.session.scalars(select(RatingLogEntry).where(RatingLogEntry.id <= 3000))
            )
            same = _filled(real_log, log_columns) == _filled(bulk_log, log_columns) and {
                tuple(sorted(e.state)) for e in real_log
            } == {tuple(sorted(e.state)) for e in bulk_log}
            events = sorted({e.event for e in real_log}), sorted({e.event for e in bulk_log})
            report(same, f"log entries: same columns and state keys; events real/bulk {events}")
            complaint_columns = [c.name for c in Complaint.__table__.columns]
            new_real = list(
                db.session.scalars(select(Complaint).where(Complaint.rating_id > last_bulk))
            )
            new_bulk = list(
                db.session.scalars(
                    select(Complaint).where(
                        Complaint.status == "new", Complaint.rating_id <= last_bulk
                    )
                )
            )
            real_c, bulk_c = (
                _filled(new_real, complaint_columns),
                _filled(new_bulk, complaint_columns),
            )
            report(
                real_c == bulk_c or not new_bulk,
                f"new complaints fill the same columns ({len(new_real)} real, {len(new_bulk)} bulk)"
                + ("" if real_c == bulk_c else f": real {sorted(real_c)}, bulk {sorted(bulk_c)}"),
            )

            def tallies() -> set[tuple[Any, ...]]:
                return set(
                    db.session.execute(
                        select(
                            RatingTally.hall_id,
                            RatingTally.grain,
                            RatingTally.period,
                            RatingTally.subject,
                            RatingTally.subject_id,
                            RatingTally.level,
                            RatingTally.count,
                        ).where(RatingTally.count != 0)
                    )
                )

            kept = tallies()
            board_cache.rebuild()
            recounted = tallies()
            db.session.rollback()
            report(
                kept == recounted,
                f"tallies after {REAL} real ratings = board_cache.rebuild() "
                f"({len(kept):,} rows; {len(kept ^ recounted)} differ)",
            )
            result = app.test_cli_runner().invoke(args=["verify-log"])
            report(result.exit_code == 0, f"flask verify-log: {result.output.strip()[:200]}")
            db.session.close()
            db.engine.dispose()
    return ok

"""gunicorn's wsgi:app, except that a ratings export of 差评 only (level 1) breaks midway.

For tests/deploy/test_export_under_gunicorn.py: the whole export shows a stream that ends
well, this one a stream that fails after its first batch, both from one real server.
"""

from collections.abc import Iterator, Sequence

from kiosk.services import rating_export
from kiosk.services.rating_review import RatingFilter
from wsgi import app as app

_real_rows = rating_export.rating_rows


def _rows_breaking_for_level_1(
    hall_id: int, f: RatingFilter
) -> Iterator[Sequence[rating_export.RatingRow]]:
    batches = _real_rows(hall_id, f)
    yield next(batches)
    if f.level == 1:
        raise OSError("simulated: the database went away mid-export")
    yield from batches


rating_export.rating_rows = _rows_breaking_for_level_1

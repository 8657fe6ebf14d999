"""The ratings log as a CSV file: counted first, streamed in batches, ending with its row count.

A file is complete when its last row is the trailer (导出完毕，共 N 条评价) and N equals the
rows above it. A stream that breaks off has no trailer: the server logs the error and lets it
abort the connection, so the client sees a transfer cut off, never a clean end.
"""

import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.labels import CHANNEL_LABELS, LEVEL_LABELS, STATUS_LABELS
from kiosk.models import Rating, Staff, Window
from kiosk.services.rating_review import RatingFilter, rating_conditions
from kiosk.services.spreadsheet import neutralise

log = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows fetched, written and sent at a time

CSV_HEADER = (
    _l("评价时间"),
    _l("窗口"),
    _l("工作人员"),
    _l("工号"),
    _l("评价"),
    _l("渠道"),
    _l("一次一评"),
    _l("状态"),
    _l("标记"),
)
# What a rating's row is made of, in the order the query returns it.
RatingRow = tuple[str, int, int | None, int, str, bool, str, str | None]


def csv_cell(value: object) -> str:
    """Return value as a CSV cell that spreadsheets will not run as a formula."""
    return str(neutralise("" if value is None else str(value)))


def trailer(rows: int) -> list[str]:
    """Return the file's last row: it says the export is complete and how many rows it has."""
    return [_("导出完毕，共 %(n)s 条评价", n=rows)]


_TRAILER_COUNT = re.compile(r"(\d+)")


def trailer_count(row: Sequence[str]) -> int | None:
    """Return the count a trailer row states, or None if row is no trailer (a cut-off file)."""
    if len(row) != 1 or row[0][:1].isdigit():
        return None  # a rating's row starts with its date
    found = _TRAILER_COUNT.search(row[0])
    return int(found.group(1)) if found else None


def stream_limit() -> int:
    """Return the most rows the web export streams (EXPORT_STREAM_MAX_ROWS)."""
    return int(current_app.config["EXPORT_STREAM_MAX_ROWS"])


def count(hall_id: int, f: RatingFilter) -> int:
    """Return how many of the hall's ratings match f (what the export would write)."""
    query = select(func.count(Rating.id)).where(*rating_conditions(hall_id, f))
    return db.session.scalar(query) or 0


def too_large(rows: int, hall_slug: str, f: RatingFilter) -> str | None:
    """Return why an export of this many rows is not offered on the web, or None if it is.

    The message names the command an administrator runs on the server for the file.
    """
    limit = stream_limit()
    if rows <= limit:
        return None
    command = f"flask --app kiosk ratings export --hall {hall_slug}"
    if f.start:
        command += f" --from {f.start.isoformat()}"
    if f.end:
        command += f" --to {f.end.isoformat()}"
    command += " --out ratings.csv"
    return str(
        _(
            "所选范围共有 %(n)s 条评价，超过网页导出上限 %(limit)s 条，未导出。"
            "请缩小日期范围后分段导出，或请管理员在服务器上运行命令导出整个文件：%(command)s",
            n=f"{rows:,}",
            limit=f"{limit:,}",
            command=command,
        )
    )


def rating_rows(hall_id: int, f: RatingFilter) -> Iterator[Sequence[RatingRow]]:
    """Yield the matching ratings' cells in batches of BATCH_ROWS, newest first.

    Plain rows from one cursor (server-side on PostgreSQL) of the session's connection, not
    ORM objects: the export reads each rating once and needs none of a model's machinery.
    """
    query = (
        select(
            cast(Rating.created_at, String),  # UTC as text, turned into local text hourly
            Rating.window_id,
            Rating.staff_id,
            Rating.level,
            Rating.channel,
            Rating.verified,
            Rating.status,
            cast(Rating.flags, String),  # the JSON text: rows share a few, decoded once each
        )
        .where(*rating_conditions(hall_id, f))
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .execution_options(yield_per=BATCH_ROWS)
    )
    yield from db.session.connection().execute(query).partitions()


def _csv_line(cells: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def _flags(text: str | None) -> str:
    return " ".join(json.loads(text)) if text else ""


class _RowEnds(dict[tuple[Any, ...], str]):
    """The CSV text of a row after its time, by the row's codes and ids.

    That text depends on nothing else, and a hall's ratings share a few thousand combinations
    at most: each is translated, neutralised and quoted once per export, not once per row.
    """

    KEPT = 50_000  # combinations remembered; past that the memory starts again

    def __init__(self, hall_id: int) -> None:
        super().__init__()
        self._windows = {
            window_id: f"{number} {name}"
            for window_id, number, name in db.session.execute(
                select(Window.id, Window.number, Window.name).where(Window.hall_id == hall_id)
            )
        }
        self._staff: dict[int | None, tuple[str, str]] = {
            staff_id: (name, staff_no)
            for staff_id, name, staff_no in db.session.execute(
                select(Staff.id, Staff.name, Staff.staff_no).where(Staff.hall_id == hall_id)
            )
        }
        self._staff[None] = ("", "")
        self._verified = {True: _("是"), False: _("否")}

    def __missing__(self, key: tuple[Any, ...]) -> str:
        window_id, staff_id, level, channel, verified, status, flags = key
        if window_id not in self._windows:  # not the hall's window: old data, looked up once
            window = db.session.get(Window, window_id)
            self._windows[window_id] = f"{window.number} {window.name}" if window else ""
        if staff_id not in self._staff:  # someone since moved to another hall
            person = db.session.get(Staff, staff_id)
            self._staff[staff_id] = (person.name, person.staff_no) if person else ("", "")
        name, staff_no = self._staff[staff_id]
        cells = (
            self._windows[window_id],
            name,
            staff_no,
            f"{level} {LEVEL_LABELS.get(level, '')}".strip(),
            CHANNEL_LABELS.get(channel, channel),
            self._verified[bool(verified)],
            STATUS_LABELS.get(status, status),
            _flags(flags),
        )
        if len(self) >= self.KEPT:
            self.clear()
        line = self[key] = _csv_line([csv_cell(cell) for cell in cells])
        return line


class _LocalTimes:
    """Hall-local "YYYY-MM-DD HH:MM:SS" of UTC times given as text, the zone consulted hourly.

    Both databases cast a timestamp to text as "YYYY-MM-DD HH:MM:SS" and perhaps a fraction.
    Within a UTC hour whose offset is whole hours and does not change, only the hour differs.
    """

    def __init__(self) -> None:
        self._zone = clock.hall_zone()
        self._hours: dict[str, str | None] = {}

    def __call__(self, utc: str) -> str:
        hour = utc[:13]
        try:
            local_hour = self._hours[hour]
        except KeyError:
            local_hour = self._hours[hour] = self._local_hour(hour)
        if local_hour is None:
            moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
            return moment.astimezone(self._zone).strftime("%Y-%m-%d %H:%M:%S")
        return local_hour + utc[13:19]

    def _local_hour(self, hour: str) -> str | None:
        """Return the local "YYYY-MM-DD HH" of a UTC hour, None if minutes would shift too."""
        try:
            start = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        except ValueError:
            return None  # not the usual text: convert each time on its own
        offset = start.astimezone(self._zone).utcoffset()
        last = (start + timedelta(minutes=59, seconds=59)).astimezone(self._zone).utcoffset()
        if offset is None or offset != last or offset % timedelta(hours=1):
            return None
        return (start + offset).strftime("%Y-%m-%d %H")


def export_csv(hall_id: int, f: RatingFilter) -> Iterator[str]:
    """Yield the filtered log as CSV text in chunks of BATCH_ROWS ratings.

    A UTF-8 BOM (for Excel) and the header come first, the trailer with the row count last.
    An error on the way is logged and raised again, so the response breaks off unfinished.
    """
    yield "\ufeff" + _csv_line([csv_cell(h) for h in CSV_HEADER])
    row_ends = _RowEnds(hall_id)
    local_time = _LocalTimes()  # digits, dashes and colons: nothing to neutralise or quote
    written = 0
    try:
        for batch in rating_rows(hall_id, f):
            yield "".join([local_time(row[0]) + "," + row_ends[row[1:]] for row in batch])
            written += len(batch)
    except Exception:
        log.exception("ratings export of hall %s broke off after %s rows", hall_id, written)
        raise
    yield _csv_line(trailer(written))

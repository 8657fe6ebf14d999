"""Ids, days and page numbers from query strings and select fields, and paging, for staff pages."""

from datetime import date
from typing import Any

from flask import abort, make_response, request
from flask_babel import gettext as _

from kiosk.converters import MAX_ID  # larger numbers are no row's id (and overflow the database)
from kiosk.errors import render_error
from kiosk.forms import day_in_range, day_range_message

MAX_PAGE = 100_000


def optional_int(value: Any) -> int | None:
    """Return value as a positive int, or None for anything else (blank, junk, huge)."""
    text = str(value) if value is not None else ""
    # ASCII digits only ("²".isdigit() is true, yet int() refuses it), and few enough that
    # int() neither refuses them (over 4,300 digits) nor spends time on them.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    return int(text) if int(text) <= MAX_ID else None


def day_arg(name: str) -> date | None:
    """Return the ?name= day (YYYY-MM-DD), None if blank; a 400 page saying why otherwise.

    Refused before any query runs, so no day outside what kiosk.forms takes reaches the
    conversions to UTC (0001-01-01 in the hall's zone is before year 1 in UTC).
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(
            make_response(
                render_error(400, _("日期“%(value)s”无法识别：请写作 2026-01-31。", value=raw[:20]))
            )
        )
    if not day_in_range(day):
        abort(make_response(render_error(400, day_range_message())))
    return day


def page_number(value: Any) -> int:
    """Return a page number from 1 to MAX_PAGE (1 for junk)."""
    return min(max(optional_int(value) or 1, 1), MAX_PAGE)


def pagination(page: int, total: int, per_page: int) -> dict[str, Any]:
    """Return what a paged list's template needs: the page, how many, the other query args."""
    return {
        "page": page,
        "pages": max((total + per_page - 1) // per_page, 1),
        "args": {k: v for k, v in request.args.items() if k != "page"},
    }


def choice_id(value: Any) -> int | None:
    """Coerce a select field's value: None for "all", an id, or ValueError (→ form error)."""
    if value in (None, "", "None"):
        return None
    number = optional_int(value)
    if number is None:
        raise ValueError("not an id")
    return number

"""Ids and page numbers from query strings and select fields, and paging, for staff pages."""

from typing import Any

from flask import request

MAX_ID = 2**31 - 1  # larger numbers are no row's id (and would overflow SQLite's integers)
MAX_PAGE = 100_000


def optional_int(value: Any) -> int | None:
    """Return value as a positive int, or None for anything else (blank, junk, huge)."""
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


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

"""Parsing of ids and page numbers from query strings and select fields, shared by staff pages."""

from typing import Any

MAX_ID = 2**31 - 1  # larger numbers are no row's id (and would overflow SQLite's integers)
MAX_PAGE = 100_000


def optional_int(value: Any) -> int | None:
    """Return value as a positive int, or None for anything else (blank, junk, huge)."""
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


def page_number(value: Any) -> int:
    """Return a page number from 1 to MAX_PAGE (1 for junk)."""
    return min(max(optional_int(value) or 1, 1), MAX_PAGE)


def choice_id(value: Any) -> int | None:
    """Coerce a select field's value: None for "all", an id, or ValueError (→ form error)."""
    if value in (None, "", "None"):
        return None
    number = optional_int(value)
    if number is None:
        raise ValueError("not an id")
    return number

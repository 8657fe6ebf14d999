"""Cells for CSV and XLSX exports that spreadsheets will not run as formulas."""

from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice or WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return value, with an apostrophe before text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

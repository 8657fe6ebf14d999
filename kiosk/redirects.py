"""Where a ?next= value may send a browser: only to a path on this site."""

import re
from urllib.parse import urlsplit

# Browsers drop tabs and newlines from URLs and read "\" as "/": "/\t/evil.example" and
# "/\\evil.example" both lead to //evil.example. Werkzeug also refuses a newline in a header.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def is_local_path(target: str | None) -> bool:
    """Return whether target, as given (nothing stripped), is a path on this site.

    It must start with one "/" (not "//" or "/\\"), hold no ASCII control character or backslash,
    and have neither scheme nor host when parsed.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if _UNSAFE.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_path_or(target: str | None, default: str) -> str:
    """Return target if it is a path on this site (is_local_path), else default."""
    return target if target is not None and is_local_path(target) else default

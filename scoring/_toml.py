"""Reading a scheme file: typed access to its TOML tables, and where in the file each key is.

:class:`Table` wraps one parsed table, remembers which keys were read so leftovers can be
refused, and raises :class:`SchemeError` naming the entry. Given a :class:`SourceMap` of the
file's text it also names the line: ``tomllib`` keeps no positions, so the map scans the text for
``[table]`` / ``[[array]]`` headers and ``key =`` lines, following TOML's rules for which array
element a header belongs to. A key the scan cannot place (inside an inline table spread over
several lines, say) is reported at the nearest enclosing entry it did place.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from scoring._numbers import dec

#: A position in parsed TOML: table keys and array indexes from the root.
Location = tuple[str | int, ...]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_TOML_LINE = re.compile(r"at line (\d+)")


class SchemeError(ValueError):
    """An invalid scheme; the message names the bad entry (and the file's line, when known)."""


class SourceMap:
    """The line of each table header and key in a TOML file's text (1-based)."""

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self.lines: dict[Location, int] = {}
        self._scan(text)

    def line(self, at: Location) -> int:
        """Return the line of ``at``, or of its nearest placed parent (1: the top of the file)."""
        while at:
            if at in self.lines:
                return self.lines[at]
            at = at[:-1]
        return 1

    def _scan(self, text: str) -> None:
        arrays: dict[Location, int] = {}  # elements seen so far of each array of tables
        current: Location = ()
        value = _ValueScanner(self.lines)
        for number, raw in enumerate(text.splitlines(), start=1):
            if value.inside:
                value.feed(raw, number)
                continue
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                is_array = stripped.startswith("[[")
                inner = stripped[2:] if is_array else stripped[1:]
                end = inner.find("]]" if is_array else "]")
                parts = _split_key(inner[:end]) if end >= 0 else None
                if not parts:
                    continue
                current = _resolve(parts, arrays, is_array)
                self.lines.setdefault(current, number)
                if is_array:  # the array itself is where its first element starts
                    self.lines.setdefault(current[:-1], number)
                continue
            key, sep, rest = stripped.partition("=")
            parts = _split_key(key)
            if not sep or not parts:
                continue
            for depth in range(1, len(parts) + 1):
                self.lines.setdefault(current + tuple(parts[:depth]), number)
            value.pending = current + tuple(parts)
            value.feed(rest, number)


def _resolve(parts: list[str], arrays: dict[Location, int], is_array: bool) -> Location:
    """Return where a header points: each array on the way means its latest element."""
    at: Location = ()
    for part in parts[:-1]:
        at += (part,)
        if at in arrays:
            at += (arrays[at] - 1,)
    at += (parts[-1],)
    if is_array:
        index = arrays.get(at, 0)
        arrays[at] = index + 1
        at += (index,)
    return at


def _split_key(text: str) -> list[str] | None:
    """Split a dotted TOML key (bare or quoted parts); ``None`` if it is not a key."""
    parts: list[str] = []
    rest = text.strip()
    while True:
        if rest[:1] in ('"', "'"):
            quote = rest[0]
            end = rest.find(quote, 1)
            if end < 0:
                return None
            parts.append(rest[1:end])
            rest = rest[end + 1 :].lstrip()
        else:
            match = _BARE.match(rest)
            if match is None:
                return None
            parts.append(match.group())
            rest = rest[match.end() :].lstrip()
        if not rest:
            return parts
        if rest[0] != ".":
            return None
        rest = rest[1:].lstrip()


class _Frame:
    """An open array or inline table inside a value."""

    def __init__(self, is_array: bool, at: Location) -> None:
        self.is_array = is_array
        self.at = at
        self.count = 0  # array: elements so far
        self.expect = True  # array: the next token starts an element
        self.key = ""  # inline table: the key being read
        self.value_at: Location | None = None  # inline table: set while reading a value


class _ValueScanner:
    """Follows a value across lines, placing the elements of arrays and keys of inline tables."""

    def __init__(self, lines: dict[Location, int]) -> None:
        self.lines = lines
        self.stack: list[_Frame] = []
        self.string: str | None = None  # the delimiter of an open multi-line string
        self.pending: Location = ()  # where the value being read belongs

    @property
    def inside(self) -> bool:
        return bool(self.stack) or self.string is not None

    def feed(self, text: str, line: int) -> None:
        i = 0
        while i < len(text):
            if self.string is not None:
                end = text.find(self.string, i)
                if end < 0:
                    return
                i, self.string = end + 3, None
                continue
            char = text[i]
            if text.startswith(('"""', "'''"), i):
                self._token(char)
                self.string, i = text[i : i + 3], i + 3
                continue
            if char in "\"'":
                end = _string_end(text, i)
                self._token(text[i:end])
                i = end
                continue
            if char == "#":
                return
            top = self.stack[-1] if self.stack else None
            if char in "[{":
                self.stack.append(_Frame(char == "[", self._open(line)))
            elif char in "]}":
                if self.stack:
                    self.stack.pop()
            elif char == "," and top is not None:
                top.expect, top.key, top.value_at = True, "", None
            elif char == "=" and top is not None and not top.is_array and top.value_at is None:
                parts = _split_key(top.key)
                if parts:
                    top.value_at = top.at + tuple(parts)
                    self.lines.setdefault(top.value_at, line)
            elif not char.isspace():
                self._token(char)
            i += 1

    def _token(self, text: str) -> None:
        """Take a piece of a key or of a scalar value."""
        top = self.stack[-1] if self.stack else None
        if top is None:
            return
        if top.is_array and top.expect:
            top.count += 1
            top.expect = False
        elif not top.is_array and top.value_at is None:
            top.key += text

    def _open(self, line: int) -> Location:
        """Return where an array or inline table that opens here belongs."""
        top = self.stack[-1] if self.stack else None
        if top is None:
            return self.pending
        if top.is_array:
            at = (*top.at, top.count)
            top.count += 1
            top.expect = False
            self.lines.setdefault(at, line)
            return at
        return top.value_at if top.value_at is not None else top.at


def _string_end(text: str, start: int) -> int:
    """Return the index after a one-line string starting at ``start``."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return i


def load_text(text: str, name: str) -> tuple[dict[str, Any], SourceMap]:
    """Parse TOML text; raise :class:`SchemeError` naming ``name`` and the line if it is invalid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        where = f"{name} line {found.group(1)}" if found else name
        raise SchemeError(f"{where}: not valid TOML: {error}") from error
    return data, SourceMap(text, name)


def read_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Return a scheme file's text and the name its errors go by (the file name)."""
    with open(path, encoding="utf-8") as handle:
        return handle.read(), os.path.basename(os.fspath(path))


class Table:
    """One TOML table being read; remembers which keys were used so leftovers are rejected.

    ``path`` is how errors name the table (a scheme may rename it, e.g. to a criterion's code);
    ``at`` is where it sits in the parsed data, which the optional ``source`` turns into a line.
    """

    def __init__(
        self,
        data: object,
        path: str,
        *,
        at: Location = (),
        source: SourceMap | None = None,
    ) -> None:
        self.path = path
        self.at = at
        self.source = source
        if not isinstance(data, Mapping):
            raise self.error(None, "must be a table")
        self.data: Mapping[str, Any] = data
        self.used: set[str] = set()

    def where(self, key: str | None) -> str:
        """Return how errors name ``key`` of this table (the table itself for ``None``)."""
        if key is None:
            return self.path or "scheme"
        return f"{self.path}.{key}" if self.path else key

    def line(self, key: str | None = None) -> int | None:
        """Return the file line of ``key`` (or of this table), ``None`` without a source."""
        if self.source is None:
            return None
        return self.source.line(self.at if key is None else (*self.at, key))

    def error(self, key: str | None, message: str, *, line_of: str | None = None) -> SchemeError:
        """Return the error for ``key`` (``None``: the table): "file line N: path: message".

        The line is that of ``line_of`` when given (a rule about the table that one key breaks).
        """
        text = f"{self.where(key)}: {message}"
        if self.source is None:
            return SchemeError(text)
        line = self.line(line_of if line_of is not None else key)
        return SchemeError(f"{self.source.name} line {line}: {text}")

    def _get(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.data:
            raise self.error(key, "missing")
        return self.data[key]

    def has(self, key: str) -> bool:
        """Return whether the table holds ``key`` (reading it later still marks it used)."""
        return key in self.data

    def done(self) -> None:
        """Refuse the first (alphabetically) key that nothing read."""
        for key in sorted(set(self.data) - self.used):
            raise self.error(key, "unknown key")

    def table(self, key: str, *, required: bool = True) -> Table:
        if not required and key not in self.data:
            self.used.add(key)
            return Table({}, self.where(key), at=(*self.at, key), source=self.source)
        return Table(self._get(key), self.where(key), at=(*self.at, key), source=self.source)

    def array(self, key: str, *, required: bool = True) -> list[Table]:
        if not required and key not in self.data:
            self.used.add(key)
            return []
        value = self._get(key)
        if not isinstance(value, list):
            raise self.error(key, "must be an array of tables")
        return [
            Table(item, f"{self.where(key)}[{i}]", at=(*self.at, key, i), source=self.source)
            for i, item in enumerate(value)
        ]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value

    def code(self, key: str) -> str:
        value = self.text(key)
        if not _CODE.match(value):
            raise self.error(key, f"{value!r} must be lower-case ASCII letters, digits and _")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self.error(key, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
        return value

    def boolean(self, key: str, *, default: bool | None = None) -> bool:
        if default is not None and key not in self.data:
            self.used.add(key)
            return default
        value = self._get(key)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def number(
        self,
        key: str,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
    ) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, "must be a number")
        number = dec(value)  # also rejects inf and nan
        too_low = low is not None and (number <= dec(low) if low_open else number < dec(low))
        too_high = high is not None and number > dec(high)
        if too_low or too_high:
            raise self.error(key, range_text(low, high, low_open))
        return float(value)

    def integer(self, key: str, *, low: int, default: int | None = None) -> int:
        if default is not None and key not in self.data:
            self.used.add(key)
            return default
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, "must be a whole number")
        if value < low:
            raise self.error(key, f"must be at least {low}")
        return value

    def strings(self, key: str, *, allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        for item in value:
            if item not in allowed:
                raise self.error(key, f"unknown value {item!r} (allowed: {', '.join(allowed)})")
        return tuple(value)


def range_text(low: float | None, high: float | None, low_open: bool) -> str:
    """Return the rule a number broke: "must be between 0 and 1" and the like."""
    if low is not None and high is not None:
        if low_open:
            return f"must be greater than {low:g} and at most {high:g}"
        return f"must be between {low:g} and {high:g}"
    if low is not None:
        return f"must be greater than {low:g}" if low_open else f"must be at least {low:g}"
    return f"must be at most {high:g}"

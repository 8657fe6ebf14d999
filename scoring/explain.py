"""Explanation phrases: the words of a result's explanation with their values kept apart.

Each explanation line is written as a Phrase: a Chinese template with ``%(name)s`` placeholders
and the values to put in. The line's ``text`` is the phrase rendered as written; a reader's
application may render the same phrase through its own catalog (the templates are its message
ids) to show the explanation in another language. A value is a string shown as written (a
number already formatted, a reason someone typed), a Phrase (a label a catalog may know), or
Phrases: a list joined by a separator a catalog may translate too.

Phrases are stored as plain data (``dataclasses.asdict``, then JSON), so ``render`` works on
that form as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Phrase:
    """A template with ``%(name)s`` placeholders and the values that fill them."""

    template: str
    values: Mapping[str, str | Phrase | Phrases] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """Return the words, each template passed through translate (default: as written)."""
        return render(asdict(self), translate)


@dataclass(frozen=True)
class Phrases:
    """Phrases shown one after another, separated by ``separator``."""

    separator: str
    items: tuple[Phrase, ...]


def render(data: Mapping[str, Any] | str, translate: Callable[[str], str] | None = None) -> str:
    """Render a phrase in its stored form (dicts from ``asdict``/JSON) through translate.

    A translated template that does not fit the values (a placeholder missing from a catalog
    entry, say) falls back to the template as written, so a bad translation never hides a line.
    """
    if isinstance(data, str):
        return data
    if "separator" in data:
        parts = (render(item, translate) for item in data["items"])
        return _translated(data["separator"], translate).join(parts)
    values = {name: render(value, translate) for name, value in data["values"].items()}
    template = _translated(data["template"], translate)
    if not values:
        return template
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return str(data["template"]) % values


def _translated(text: str, translate: Callable[[str], str] | None) -> str:
    return translate(text) if translate is not None else text

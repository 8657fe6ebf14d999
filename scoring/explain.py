"""Explanation phrases: the words of a result's explanation with their values kept apart.

Each explanation line is written as a Phrase: a Chinese template with ``%(name)s`` placeholders
and the values to put in. The line's ``text`` is the phrase rendered as written; a reader's
application may render the same phrase through its own catalog (the templates are its message
ids) to show the explanation in another language. A value is a string shown as written (a
number already formatted, a reason someone typed), a Phrase (a label a catalog may know), or
Phrases: a list joined by a separator a catalog may translate too.

Phrases are stored as plain data by :mod:`scoring.export`, which reads them back as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Phrase:
    """A template with ``%(name)s`` placeholders and the values that fill them."""

    template: str
    values: Mapping[str, str | Phrase | Phrases] = field(default_factory=dict)

    def render(self, translate: Translate | None = None) -> str:
        """Return the words, each template passed through translate (default: as written).

        A translated template that does not fit the values (a placeholder missing from a
        catalog entry, say) falls back to the template as written, so a bad translation never
        hides a line.
        """
        template = _translated(self.template, translate)
        if not self.values:
            return template
        values = {name: _rendered(value, translate) for name, value in self.values.items()}
        try:
            return template % values
        except (KeyError, ValueError, TypeError):
            return self.template % values


@dataclass(frozen=True)
class Phrases:
    """Phrases shown one after another, separated by ``separator``."""

    separator: str
    items: tuple[Phrase, ...]

    def render(self, translate: Translate | None = None) -> str:
        """Return the phrases' words joined by the (translated) separator."""
        parts = (item.render(translate) for item in self.items)
        return _translated(self.separator, translate).join(parts)


def _rendered(value: str | Phrase | Phrases, translate: Translate | None) -> str:
    return value if isinstance(value, str) else value.render(translate)


def _translated(text: str, translate: Translate | None) -> str:
    return translate(text) if translate is not None else text

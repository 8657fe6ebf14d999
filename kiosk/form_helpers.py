"""Small helpers shared by the forms of every blueprint."""

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def as_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Return (value, label) pairs as WTForms SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]

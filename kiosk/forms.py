"""Form fields shared by several blueprints."""

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from wtforms import IntegerField
from wtforms.fields.choices import SelectChoice


def as_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Return (value, label) pairs as WTForms SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class SmallIntegerField(IntegerField):
    """An integer field that refuses numbers longer than 15 digits as "not a valid integer".

    WTForms' NumberRange checks math.isnan(), which raises OverflowError for integers beyond a
    float's range ("9" * 400): a 500 instead of a form error. No form here needs such numbers.
    """

    MAX_DIGITS = 15

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > self.MAX_DIGITS:
            self.data = None
            raise ValueError(_("请输入有效的整数。"))
        super().process_formdata(valuelist)

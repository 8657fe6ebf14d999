"""Form fields shared by several blueprints."""

from typing import Any

from wtforms import IntegerField


class SmallIntegerField(IntegerField):
    """An integer field that refuses numbers longer than 15 digits as "not a valid integer".

    WTForms' NumberRange checks math.isnan(), which raises OverflowError for integers beyond a
    float's range ("9" * 400): a 500 instead of a form error. No form here needs such numbers.
    """

    MAX_DIGITS = 15

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > self.MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)

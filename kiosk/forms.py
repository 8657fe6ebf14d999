"""Form fields shared by several blueprints."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from flask_babel import gettext as _
from wtforms import Field, IntegerField
from wtforms.fields.choices import (  # type: ignore[attr-defined]  # types-WTForms 3.2 predates SelectChoice (3.3)
    SelectChoice as SelectChoice,
)
from wtforms.validators import ValidationError

T = TypeVar("T")

# The days a person may type into a filter or form. Far wider than any hall's data, and far
# enough inside date's 0001..9999 that turning a hall-local day into UTC, or stepping a day
# on, cannot overflow (0001-01-01 in Asia/Shanghai is a year-0 moment in UTC). The board's
# months and the evaluation periods take the same years.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def as_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Return (value, label) pairs as WTForms SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def filled(data: T | None) -> T:
    """Return the data of a required field, read after the form validated.

    WTForms types every field's data as optional (a form not yet submitted has none); a field
    whose InputRequired or DataRequired passed has it. None here means a view read a form it had
    not validated, a bug: it raises rather than passing None on.
    """
    if data is None:
        raise ValueError("a required field has no data: was its form validated?")
    return data


def add_error(field: Field, message: str) -> None:
    """Show message under field, after its form validated (a view's own check failed)."""
    # Validation leaves errors a list; WTForms types it a Sequence (a tuple before validation).
    field.errors = [*field.errors, message]


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


def day_in_range(day: date) -> bool:
    """Return whether day lies from EARLIEST_DAY to LATEST_DAY (both included)."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def day_range_message() -> str:
    """Say which days a filter or form takes."""
    return _(
        "日期应在 %(first)s 至 %(last)s 之间。",
        first=EARLIEST_DAY.isoformat(),
        last=LATEST_DAY.isoformat(),
    )


class DayInRange:
    """Validator for DateField and DateTimeLocalField: a form error outside the days we take."""

    def __call__(self, form: Any, field: Field) -> None:
        value = field.data
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if not day_in_range(day):
            raise ValidationError(day_range_message())

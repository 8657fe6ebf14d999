"""What every rating channel hands to kiosk.services.ratings: a checked tap and its context.

The phone page, the kiosk, the pad, the device API and invitations all build a Tap from what
they received (Tap.of, or Tap.from_form for an HTML form) and wrap it in a Submission; the
level and the idempotency key are checked here and nowhere else.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from kiosk.models import RATING_CHANNELS, Rating, Staff, Window

# ASCII only: re's \d and str.isdigit() accept full-width and Arabic-Indic digits.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)
_LEVEL_PATTERN = re.compile(r"[1-5]", re.ASCII)


class RatingError(ValueError):
    """The submission is invalid; nothing was written. field names what is wrong."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def valid_key(value: object) -> bool:
    """Return whether value is an idempotency key: 8–64 ASCII letters, digits, '-' or '_'."""
    return isinstance(value, str) and KEY_PATTERN.fullmatch(value) is not None


class _FormData(Protocol):
    def getlist(self, key: str) -> Sequence[str]: ...


@dataclass(frozen=True)
class Tap:
    """A resident's rating as a channel received it: level 1–5 and the client's key, checked."""

    level: int
    key: str

    @classmethod
    def of(cls, level: object, key: object) -> "Tap":
        """Return the checked tap, or raise RatingError naming the field that is wrong.

        level: an int 1–5 (not a bool); JSON channels pass what they received.
        """
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise RatingError("level must be an integer from 1 to 5", "level")
        if not isinstance(key, str) or not valid_key(key):
            raise RatingError("key must be 8–64 letters, digits, '-' or '_'", "key")
        return cls(level, key)

    @classmethod
    def from_form(cls, form: _FormData | Mapping[str, Sequence[str]]) -> "Tap":
        """Return the tap of a posted rating form (fields level and key, each exactly once).

        The level is exactly one ASCII digit 1–5: no padding or signs, no full-width or other
        scripts' digits (which int() would accept).
        """
        levels = _values(form, "level")
        keys = _values(form, "key")
        if len(levels) != 1 or not _LEVEL_PATTERN.fullmatch(levels[0]):
            raise RatingError("exactly one level, a digit from 1 to 5, is expected", "level")
        if len(keys) != 1:
            raise RatingError("exactly one key is expected", "key")
        return cls.of(int(levels[0]), keys[0])


def _values(form: _FormData | Mapping[str, Sequence[str]], name: str) -> Sequence[str]:
    if hasattr(form, "getlist"):
        return form.getlist(name)
    return form.get(name, ())


@dataclass(frozen=True)
class DeviceLimit:
    """How many ratings one device may give per window of time before they are a burst."""

    limit: int
    seconds: int


@dataclass(frozen=True)
class Submission:
    """One rating to record: the tap, where and when it was given, and how to screen it.

    tapped_at is when the resident tapped (earlier than the time of recording for an offline
    replay). With replace_within and a device hash, a rating from the same device for the same
    window within that interval is replaced rather than added. served_by names the clerk when
    the service itself says who served (an invitation); otherwise the clerk on duty at
    tapped_at is credited. screen: check it for ballot stuffing (kiosk.services.anti_stuffing),
    which every channel a resident uses does; device_limit None is a phone's limit.
    """

    window: Window
    tap: Tap
    channel: str
    tapped_at: datetime
    device: str | None = None
    device_limit: DeviceLimit | None = None
    staff_session: bool = False
    replace_within: timedelta | None = None
    verified: bool = False
    served_by: Staff | None = None
    screen: bool = False

    def __post_init__(self) -> None:
        if self.channel not in RATING_CHANNELS:
            raise RatingError(f"unknown channel {self.channel!r}", "channel")


@dataclass(frozen=True)
class RatingReceipt:
    """What became of a submission."""

    rating: Rating
    duplicate: bool = False  # the key was seen before: nothing was written
    replaced: bool = False  # an earlier rating from the same phone for this window was replaced

"""Derived counters for the hall board, kept in step by ratings.rating_changed().

The board issue owns this module: it maintains aggregates here so the board's cost grows
with windows and staff, not with ratings. Until then there is nothing derived to update.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.services.ratings import RatingFacts


def apply(before: "RatingFacts | None", after: "RatingFacts | None") -> None:
    """Move a rating's contribution from before to after (either may be None)."""
    return None

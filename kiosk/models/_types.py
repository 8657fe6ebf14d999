"""Column helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time as naive UTC, the form every *_at column stores."""
    return datetime.now(UTC).replace(tzinfo=None)

"""The error every evaluation service raises when a request cannot be carried out.

It has a module of its own because periods, assessments, their import, the ledger and the
period's results all raise it, and none of them should import another just for it.
"""


class EvaluationError(ValueError):
    """The request cannot be carried out; the message is for the user and nothing was written."""


def refuse(reason: str | None) -> None:
    """Raise EvaluationError with ``reason`` if there is one (as not_begun and not_ended give)."""
    if reason is not None:
        raise EvaluationError(reason)

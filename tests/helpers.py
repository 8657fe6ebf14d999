"""Small helpers the tests share: reading hidden form fields from pages."""

import re

from flask.testing import FlaskClient

_HIDDEN = re.compile(r'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """Return name → value of the hidden inputs on a page."""
    fields = {}
    for match in re.finditer(r"<input[^>]*>", html):
        tag = match.group(0)
        if 'type="hidden"' not in tag:
            continue
        found = _HIDDEN.search(tag)
        if found:
            fields[found.group("name")] = found.group("value")
    return fields


def rating_form(client: FlaskClient, token: str) -> dict[str, str]:
    """Open a window's rating page and return its hidden fields (csrf_token, key)."""
    response = client.get(f"/r/{token}")
    assert response.status_code == 200
    return hidden_fields(response.get_data(as_text=True))


def rate(client: FlaskClient, token: str, level: int | str, **overrides: str):  # type: ignore[no-untyped-def]
    """Tap a level on the window's rating page, as a phone would."""
    data = {**rating_form(client, token), "level": str(level), **overrides}
    return client.post(f"/r/{token}", data=data)


def give_rating(  # type: ignore[no-untyped-def]
    window,
    level: int,
    key: str,
    *,
    channel: str,
    now,
    status: str = "counted",
    flags=(),
    **fields,
):
    """Record a rating through kiosk.services.ratings.record_rating, as a channel would.

    fields are the Submission's (tapped_at defaults to now); status and flags other than the
    defaults are then set the way a screening or a supervisor would set them.
    """
    from kiosk.services import ratings
    from kiosk.services.submission import Submission, Tap

    tapped_at = fields.pop("tapped_at", None) or now
    receipt = ratings.record_rating(
        Submission(window, Tap.of(level, key), channel, tapped_at, **fields), now=now
    )
    if status != "counted" or flags:
        for flag in flags or (None,):
            ratings.change_ratings_status([receipt.rating], status, flag=flag)
    return receipt


def add_valid_complaint(hall, staff, at, severity: str = "minor"):  # type: ignore[no-untyped-def]
    """Add a closed complaint about staff, filed at ``at`` and verified as valid."""
    from kiosk.extensions import db
    from kiosk.models import Complaint

    complaint = Complaint(
        hall_id=hall.id,
        staff_id=staff.id,
        is_valid=True,
        severity=severity,
        status="closed",
        created_at=at,
        updated_at=at,
    )
    db.session.add(complaint)
    return complaint

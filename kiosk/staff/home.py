"""The staff home page."""

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk import clock
from kiosk.labels import ROLE_LABELS
from kiosk.services import to_do
from kiosk.staff import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the staff home page: the user's open work, and where to go next."""
    return render_template(
        "staff/index.html",
        user=current_user,
        role_labels=ROLE_LABELS,
        todo=to_do.for_user(current_user, clock.now()),
    )

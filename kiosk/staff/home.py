"""The staff home page."""

from flask import render_template
from flask_login import current_user

from kiosk.labels import ROLE_LABELS
from kiosk.staff import bp


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Show the staff home page for the signed-in user's role."""
    return render_template("staff/index.html", user=current_user, role_labels=ROLE_LABELS)

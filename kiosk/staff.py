"""The staff area (/staff/): every page here needs a signed-in user."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from kiosk.labels import ROLE_LABELS

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_login() -> None:
    """Guard the whole area once: anonymous visitors go to the sign-in page."""


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Show the staff home page for the signed-in user's role."""
    return render_template("staff/index.html", user=current_user, role_labels=ROLE_LABELS)

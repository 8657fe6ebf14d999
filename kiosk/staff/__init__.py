"""The staff area (/staff/): every page here needs a signed-in user.

The blueprint lives here; each part of the area is a module of its own that adds routes to it
(imported at the bottom), with templates under templates/staff/.
"""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_login() -> None:
    """Guard the whole area once: anonymous visitors go to the sign-in page."""


from kiosk.staff import (  # noqa: E402
    complaints,
    dashboard,
    home,
    ratings_review,
)

__all__ = ["bp", "complaints", "dashboard", "home", "ratings_review"]

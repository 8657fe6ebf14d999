"""The staff area (/staff/): every page here needs a signed-in user.

The blueprint lives here; each part of the area is a module of its own that adds routes to it
(imported at the bottom), with templates under templates/staff/.
"""

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_login() -> None:
    """Guard the whole area once: anonymous visitors go to the sign-in page.

    The area is a hall's: district accounts (district admins included) get 403 on every page
    of it, whatever a page's own role check would say.
    """
    if current_user.is_district_user:
        abort(403)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Keep every page and export of the area out of browser and proxy caches.

    They hold residents' phone numbers, complaints and staff scores: a shared hall PC's cache,
    or the back button after sign-out, must not show them to the next person.
    """
    response.headers["Cache-Control"] = "no-store"
    return response


# Each part of the area registers its routes on bp when imported.
from kiosk.staff import (  # noqa: E402
    accounts,
    audit,
    complaints,
    console,
    dashboard,
    devices,
    evaluation,
    evaluation_results,
    home,
    monthly_star,
    people,
    rating_review,
    roster,
    settings,
    windows,
)

__all__ = [
    "accounts",
    "audit",
    "bp",
    "complaints",
    "console",
    "dashboard",
    "devices",
    "evaluation",
    "evaluation_results",
    "home",
    "monthly_star",
    "people",
    "rating_review",
    "roster",
    "settings",
    "windows",
]

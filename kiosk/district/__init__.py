"""The district area (/district/): a street office's (街道) pages about its stations.

Only district accounts come in, each to its own district (kiosk.auth.district_required on every
view). Hall accounts, hall admins included, get 403 on the whole area, checked here once; the
hall staff area refuses district accounts the same way (kiosk.staff).
"""

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

bp = Blueprint("district", __name__, url_prefix="/district")


@bp.before_request
@login_required
def require_district_account() -> None:
    """Guard the whole area once: anonymous visitors sign in, hall accounts get 403."""
    if not current_user.is_district_user:
        abort(403)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Keep the area's pages out of shared caches, as the staff area does."""
    response.headers["Cache-Control"] = "no-store"
    return response


# Each part of the area registers its routes on bp when imported.
from kiosk.district import dashboard, home, stations  # noqa: E402

__all__ = ["bp", "dashboard", "home", "stations"]

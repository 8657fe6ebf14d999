"""The district area (/district/): a street office's (街道) pages about its stations.

Only district accounts come in, each to its own district (kiosk.auth.district_required on every
view). Hall accounts, hall admins included, get 403 on the whole area, checked here once; the
hall staff area refuses district accounts the same way (kiosk.staff). The one exception: a
station's staff account that sits in an assessment group of the station's district (交叉考核)
opens the scoring pages of that district (HALL_MEMBER_ENDPOINTS), and those pages show it only
the rounds it sits in (kiosk.district.round_scoring).
"""

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required

bp = Blueprint("district", __name__, url_prefix="/district")

# The pages a hall account that sits in one of the district's rounds may open.
HALL_MEMBER_ENDPOINTS = frozenset(
    {
        "district.my_rounds",
        "district.score_stations",
        "district.score_station",
        "district.save_scores",
        "district.attach_evidence",
        "district.evidence_file",
    }
)


@bp.before_request
@login_required
def require_district_account() -> None:
    """Guard the whole area once: anonymous visitors sign in, hall accounts get 403.

    Unless the hall account sits in a round of this district and opens a scoring page.
    """
    if current_user.is_district_user:
        return
    slug = (request.view_args or {}).get("slug")
    if request.endpoint in HALL_MEMBER_ENDPOINTS and round_scoring.hall_member_may_enter(slug):
        return
    abort(403)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Keep the area's pages out of shared caches, as the staff area does."""
    response.headers["Cache-Control"] = "no-store"
    return response


# Each part of the area registers its routes on bp when imported.
from kiosk.district import (  # noqa: E402
    dashboard,
    home,
    round_evidence,
    round_scoring,
    rounds,
    stations,
)

__all__ = [
    "HALL_MEMBER_ENDPOINTS",
    "bp",
    "dashboard",
    "home",
    "round_evidence",
    "round_scoring",
    "rounds",
    "stations",
]

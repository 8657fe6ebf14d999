"""The district's home pages: its stations, and a residents' representative's invitations."""

from flask import redirect, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk.auth import district_required, home_for
from kiosk.district import bp
from kiosk.district.rounds import round_labels
from kiosk.labels import ROLE_LABELS
from kiosk.services import districts as districts_service
from kiosk.services import station_rounds


@bp.get("/")
@district_required("district_admin", "district_assessor", "resident_rep")
def entry() -> ResponseReturnValue:
    """Send a district account to its own district's home page."""
    return redirect(home_for(current_user))


@bp.get("/<slug>/")
@district_required("district_admin", "district_assessor")
def index(slug: str) -> ResponseReturnValue:
    """List the district's stations with their windows and staff."""
    district = current_user.district
    return render_template(
        "district/index.html",
        district=district,
        stations=districts_service.stations(district.id),
        role_labels=ROLE_LABELS,
        can_manage=current_user.role == "district_admin",
    )


@bp.get("/<slug>/invitations")
@district_required("resident_rep")
def invitations(slug: str) -> ResponseReturnValue:
    """Show a residents' representative the assessment rounds it is invited to score."""
    district = current_user.district
    return render_template(
        "district/invitations.html",
        district=district,
        memberships=station_rounds.member_rounds(current_user, district.id),
        **round_labels(),
    )

"""The district dashboard: the district's stations side by side over a chosen range."""

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk import clock
from kiosk.auth import district_required
from kiosk.district import bp
from kiosk.labels import DASHBOARD_RANGE_LABELS
from kiosk.services import district_dashboard


@bp.get("/<slug>/dashboard")
@district_required("district_admin", "district_assessor")
def dashboard(slug: str) -> ResponseReturnValue:
    """Show each station's ratings, satisfaction, 差评率, complaints and trend, side by side."""
    key = request.args.get("range") or district_dashboard.DEFAULT_RANGE
    if key not in district_dashboard.RANGES:
        abort(400)
    return render_template(
        "district/dashboard.html",
        dash=district_dashboard.figures(current_user.district, key, clock.now()),
        ranges=[(k, DASHBOARD_RANGE_LABELS[k]) for k in district_dashboard.RANGES],
    )

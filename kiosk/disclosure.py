"""The public results pages under /public: a hall's monthly 评价结果及整改情况公开.

A hall's page is /public/<hall slug>, its finalised evaluations' 考核结果公示 are
/public/<hall slug>/evaluation/<period>; pages that are not one hall's (a district's) get a
path segment of their own here, e.g. /public/district/<slug>.
"""

import re
from datetime import date

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from kiosk import clock
from kiosk.labels import LEVEL_LABELS
from kiosk.models import Hall
from kiosk.services import board, monthly_star, periods, publication
from kiosk.services.evaluation_error import EvaluationError

bp = Blueprint("disclosure", __name__, url_prefix="/public")

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def _hall_or_404(slug: str) -> Hall:
    hall = board.find_hall(slug)
    if hall is None:
        abort(404)
    return hall


def _month_arg() -> date:
    raw = request.args.get("month")
    today = board.local_today(clock.now())
    if raw is None:
        return today.replace(day=1)
    match = MONTH_PATTERN.match(raw)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        abort(400)
    return date(int(match.group(1)), int(match.group(2)), 1)


@bp.get("/<slug>")
def show(slug: str) -> ResponseReturnValue:
    """Show a month's public results: ratings, 差评 and how they were handled, windows ranked."""
    hall = _hall_or_404(slug)
    month = _month_arg()
    result = board.disclosure(hall, month, clock.now())
    published = publication.published_periods(hall)
    stars = [
        (periods.parse_period(record.month), record) for record in monthly_star.published(hall)
    ]
    return render_template(
        "disclosure/show.html",
        result=result,
        levels=LEVEL_LABELS,
        published=published,
        stars=stars,
    )


@bp.get("/<slug>/evaluation/<code>")
def evaluation(slug: str, code: str) -> ResponseReturnValue:
    """Show a finalised period's staff grades (考核结果公示); 404 until it is finalised."""
    hall = _hall_or_404(slug)
    try:
        period = periods.parse_period(code)
    except EvaluationError:
        abort(404)
    published = publication.publication(hall, period)
    if published is None:
        abort(404)
    return render_template("disclosure/evaluation.html", hall=hall, published=published)

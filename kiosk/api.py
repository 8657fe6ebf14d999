"""JSON API (/api/v1): the hall board and the district's station ranking for other tools
(DESIGN §5)."""

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk import clock
from kiosk.services import board, districts, periods, round_results
from kiosk.services.evaluation_error import EvaluationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/board")
def board_standings() -> ResponseReturnValue:
    """Return a hall's staff for a period (default today): ranked, then 评价数不足 (rank null).

    window is the number of the window the person works at today, or null.
    """
    slug = request.args.get("hall", "")
    period = request.args.get("period", "today")
    if not slug or len(slug) > 40:
        abort(400, description="hall: give the hall's slug, e.g. ?hall=xingfuli")
    if period not in board.PERIODS:
        abort(400, description="period: one of " + ", ".join(board.PERIODS))
    hall = board.find_hall(slug)
    if hall is None:
        abort(404)
    result = board.standings(hall, period, clock.now())
    entries = [
        {
            "rank": entry.rank,
            "staff_no": entry.staff_no,
            "name": entry.name,
            "window": entry.window_number,
            "score": entry.index.smoothed,
            "raw_mean": entry.index.raw_mean,
            "ratings": entry.index.count,
        }
        for entry in result.ranked + result.insufficient
    ]
    return jsonify(hall=hall.slug, period=period, entries=entries)


@bp.get("/stations")
def station_ranking() -> ResponseReturnValue:
    """Return a district's stations as its latest finalised round of the period ranked them.

    404 when the district has no finalised round of that period (yet).
    """
    slug = request.args.get("district", "")
    code = request.args.get("period", "")
    if not slug or len(slug) > 40:
        abort(400, description="district: give the district's slug, e.g. ?district=xingfu")
    try:
        period = periods.parse_period(code)
    except EvaluationError:
        abort(400, description="period: a month, quarter or year, e.g. 2026-11, 2026Q4, 2026")
    district = districts.district_by_slug(slug)
    if district is None:
        abort(404, description=f"no district {slug!r}")
    report = round_results.latest_finalised(district, period.code)
    if report is None:
        abort(404, description=f"no finalised round of {period.code} in {slug!r}")
    return jsonify(
        district=district.slug,
        period=period.code,
        scheme={"name": report.result.scheme_name, "version": report.result.scheme_version},
        round={
            "id": report.round.id,
            "title": report.round.title,
            "finalised_at": report.snapshot.finalised_at.isoformat() + "Z"
            if report.snapshot
            else None,
        },
        entries=round_results.ranking(report),
    )

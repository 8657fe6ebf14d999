"""JSON API (/api/v1): the hall board for other tools (DESIGN §5)."""

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk import clock
from kiosk.services import board

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

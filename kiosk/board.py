"""The hall TV board (/board), its polled standings fragment, and its CLI (flask board ...).

The monthly public results at /public/<hall slug> are kiosk.disclosure's.
"""

from datetime import timedelta

import click
from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from kiosk import clock
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.labels import LEVEL_LABELS
from kiosk.models import Hall
from kiosk.services import board, board_cache
from kiosk.services.settings import setting

bp = Blueprint("board", __name__)

VIEW_TITLES = {
    "today": _l("今日服务排名"),
    "month": _l("本月服务排名"),
    "quarter": _l("本季度服务排名"),
    "year": _l("本年度服务排名"),
    "windows": _l("本月窗口排名"),
}


def _hall_or_404(slug: str | None) -> Hall:
    hall = board.find_hall(slug)
    if hall is None:
        abort(404)
    return hall


def _view_arg() -> str | None:
    view = request.args.get("view")
    if view is not None and view not in board.VIEWS:
        abort(400)
    return view


def _fragment_context(hall: Hall, view: str | None, rotate: bool) -> dict[str, object]:
    """Return what board/_standings.html needs, including the URL of its own next poll."""
    now = clock.now()
    poll = int(setting("BOARD_POLL_SECONDS", hall=hall))
    rotate_seconds = int(setting("BOARD_ROTATE_SECONDS", hall=hall))
    shown = view or board.rotation_view(now, rotate_seconds)
    if rotate:
        following = board.rotation_view(now + timedelta(seconds=poll), rotate_seconds)
        next_url = url_for("board.standings", slug=hall.slug, view=following, rotate=1)
    else:
        next_url = url_for("board.standings", slug=hall.slug, view=shown)
    return {
        "snap": board.snapshot(hall, shown, now),
        "view_title": VIEW_TITLES[shown],
        "poll_seconds": poll,
        "next_url": next_url,
        "max_rows": int(setting("BOARD_ROWS")),
        "levels": LEVEL_LABELS,
        "local_now": clock.to_local(now),
        "hall_time": lambda at: clock.to_local(at).strftime("%H:%M"),
        # Per-line labels translated once per reply, not once per line (the board's hot path).
        "line": {
            "window": gettext("%(number)s号窗口"),
            "count": gettext("%(count)s条"),
            "stars": gettext("%(stars)s 星"),
        },
    }


def _render_show(slug: str | None) -> str:
    hall = _hall_or_404(slug)
    view = _view_arg()
    context = _fragment_context(hall, view, rotate=view is None)
    return render_template("board/show.html", hall=hall, **context)


@bp.get("/board")
def show_first() -> ResponseReturnValue:
    """Show the board of the (first) hall, for a TV that only knows the address /board."""
    return _render_show(None)


@bp.get("/board/<slug>")
def show(slug: str) -> ResponseReturnValue:
    """Show the full-screen hall board; ?view= pins one view instead of rotating."""
    return _render_show(slug)


@bp.get("/board/<slug>/standings")
def standings(slug: str) -> ResponseReturnValue:
    """Return the standings fragment, which carries its own next poll."""
    hall = _hall_or_404(slug)
    view = _view_arg()
    rotate = request.args.get("rotate") == "1"
    return render_template(
        "board/_standings.html", hall=hall, **_fragment_context(hall, view, rotate)
    )


@bp.cli.command("rebuild")
@click.option("--hall", "slug", help="Only this hall (its slug); default: every hall.")
def rebuild_command(slug: str | None) -> None:
    """Recount the rating tallies (board, dashboards, evaluation) after a restore or bulk import."""
    intend_write()
    hall_id = None
    if slug is not None:
        hall = board.find_hall(slug)
        if hall is None:
            raise click.ClickException(f"no hall with slug {slug!r}")
        hall_id = hall.id
    rows = board_cache.rebuild(hall_id)
    db.session.commit()
    click.echo(f"rebuilt {rows} tally rows for {slug or 'every hall'}")

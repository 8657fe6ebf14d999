"""flask ratings export: the ratings CSV as a file on the server, for ranges too large to stream."""

import os
from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Hall
from kiosk.services import rating_export
from kiosk.services.rating_review import RatingFilter

ratings_cli = AppGroup("ratings", help="The ratings log.")


def _hall(slug: str) -> Hall:
    hall: Hall | None = db.session.scalar(select(Hall).where(Hall.slug == slug))
    if hall is None:
        raise click.ClickException(f"no hall {slug!r} (see: flask --app kiosk halls list)")
    return hall


@ratings_cli.command("export")
@click.option("--hall", "hall_slug", required=True, help="The hall's slug (halls list).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First local day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, included.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The CSV file to write (replaced only once the export is complete).",
)
def export_command(hall_slug: str, start: datetime | None, end: datetime | None, out: Path) -> None:
    """Write the hall's ratings from --from to --to as the web's CSV, of any size."""
    hall = _hall(hall_slug)
    first: date | None = start.date() if start else None
    last: date | None = end.date() if end else None
    if first and last and first > last:
        raise click.ClickException("--from is after --to")
    filters = RatingFilter(start=first, end=last)
    partial = out.with_name(f".{out.name}.partial")
    # Written beside the target and renamed when whole: an error or Ctrl-C leaves no file at
    # --out that could pass for a complete one.
    try:
        with partial.open("w", encoding="utf-8", newline="") as file:
            for chunk in rating_export.export_csv(hall.id, filters):
                file.write(chunk)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    rows = rating_export.count(hall.id, filters)
    click.echo(f"wrote {out}: {rows} ratings of {hall.slug}")

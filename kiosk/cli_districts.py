"""flask districts: street offices (街道) and the halls they hold as stations."""

import click
from flask import Flask
from flask.cli import AppGroup

from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.models import District
from kiosk.services import districts
from kiosk.services.districts import DistrictError

districts_cli = AppGroup("districts", help="Street offices (街道) and their stations.")


def district_or_fail(slug: str) -> District:
    """Return the district with slug, or stop with a message naming the way to list them."""
    district = districts.district_by_slug(slug)
    if district is None:
        raise click.ClickException(f"no district {slug!r} (see: flask --app kiosk districts list)")
    return district


@districts_cli.command("create")
@click.option("--slug", required=True, help="Short name: 2–40 lowercase letters, digits or '-'.")
@click.option("--name", required=True, help="The street office's name, e.g. 幸福街道办事处.")
def create_district_command(slug: str, name: str) -> None:
    """Create a street office (its stations are attached with districts attach)."""
    intend_write()
    try:
        district = districts.create_district(slug, name)
    except DistrictError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created district {district.slug}: {district.name}")


@districts_cli.command("attach")
@click.option("--district", "district_slug", required=True, help="The district's slug.")
@click.option("--hall", "hall_slug", required=True, help="The hall's slug (see: halls list).")
def attach_hall_command(district_slug: str, hall_slug: str) -> None:
    """Make a hall that belongs to no district a station of the district."""
    intend_write()
    district = district_or_fail(district_slug)
    hall = districts.hall_by_slug(hall_slug)
    if hall is None:
        raise click.ClickException(f"no hall {hall_slug!r} (see: flask --app kiosk halls list)")
    try:
        districts.attach_hall(district, hall)
    except DistrictError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"attached hall {hall.slug} to district {district.slug}")


@districts_cli.command("list")
def list_districts_command() -> None:
    """List the districts and their stations."""
    for district in districts.all_districts():
        stations = ", ".join(hall.slug for hall in district.stations) or "-"
        click.echo(f"{district.slug}\t{district.name}\t{stations}")


def init_districts_cli(app: Flask) -> None:
    """Register the districts commands."""
    app.cli.add_command(districts_cli)

"""flask districts and flask stations: street offices (街道), the halls they hold as stations,
and the stations' ranking from their assessment rounds."""

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import scoring
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.models import District
from kiosk.services import districts, round_results
from kiosk.services.districts import DistrictError
from kiosk.services.evaluation_error import EvaluationError
from kiosk.services.periods import parse_period

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


stations_cli = AppGroup("stations", help="The stations' assessment rounds (站点考核).")


@stations_cli.command("evaluate")
@click.option("--district", "district_slug", required=True, help="The district's slug.")
@click.option("--period", "period_code", required=True, help="2026-11, 2026Q4 or 2026.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def evaluate_stations_command(district_slug: str, period_code: str, as_json: bool) -> None:
    """Print the stations' ranking for a period: its latest finalised round, else the round of
    the period still open (live), every point explained with --json."""
    # A request context so that messages are translated as on the pages.
    with current_app.test_request_context():
        district = district_or_fail(district_slug)
        try:
            period = parse_period(period_code)
        except EvaluationError as error:
            raise click.BadParameter(str(error), param_hint="--period") from None
        report = round_results.period_report(district, period.code)
        if report is None:
            raise click.ClickException(
                f"no round of {period.code} in district {district.slug} "
                "(open one on the district's rounds page)"
            )
        state = "finalised" if report.snapshot else "live"
        if as_json:
            data = {
                "district": district.slug,
                "period": period.code,
                "round": {"id": report.round.id, "title": report.round.title, "state": state},
                **scoring.round_to_dict(report.result),
                "entries": round_results.ranking(report),
            }
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        result = report.result
        click.echo(
            f"{district.name} {period.code} ({state}: {report.round.title}), scheme "
            f"{result.scheme_name} {result.scheme_version}"
        )
        for station in result.results:
            click.echo(
                f"{station.rank:>3}  {station.station_id:<16} {station.name}  "
                f"{station.score:.2f}  {station.grade}  "
                f"+{station.bonus_applied:.2f} −{station.deduction_applied:.2f}"
            )


def init_districts_cli(app: Flask) -> None:
    """Register the districts and stations commands."""
    app.cli.add_command(districts_cli)
    app.cli.add_command(stations_cli)

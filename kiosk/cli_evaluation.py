"""flask evaluate: a period's evaluation results on the command line."""

import json

import click
from flask import current_app
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.labels import flag_label
from kiosk.models import Hall
from kiosk.services.evaluation import period_report, plain_results
from kiosk.services.evaluation_error import EvaluationError
from kiosk.services.periods import parse_period


@click.command("evaluate")
@click.option("--period", "period_code", required=True, help="2026-11, 2026Q4 or 2026.")
@click.option("--hall", "hall_slug", default=None, help="Hall slug (needed with several halls).")
@click.option("--json", "as_json", is_flag=True, help="Print the full results as JSON.")
def evaluate_command(period_code: str, hall_slug: str | None, as_json: bool) -> None:
    """Print a period's evaluation (the finalised snapshot if there is one) with its breakdown."""
    # A request context so that messages and labels are translated as on the pages.
    with current_app.test_request_context():
        _evaluate(period_code, hall_slug, as_json)


def _evaluate(period_code: str, hall_slug: str | None, as_json: bool) -> None:
    try:
        period = parse_period(period_code)
    except EvaluationError as error:
        raise click.BadParameter(str(error), param_hint="--period") from None
    halls = list(db.session.scalars(select(Hall).order_by(Hall.slug)))
    if hall_slug:
        halls = [h for h in halls if h.slug == hall_slug]
        if not halls:
            raise click.ClickException(f"no hall with slug {hall_slug!r}")
    if not halls:
        raise click.ClickException("there is no hall yet (try: flask --app kiosk demo)")
    if len(halls) > 1:
        slugs = ", ".join(h.slug for h in halls)
        raise click.ClickException(f"several halls ({slugs}): choose one with --hall")
    try:
        report = period_report(halls[0], period)
    except EvaluationError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        data = plain_results(report.evaluation)
        data["finalised_at"] = (
            report.snapshot.finalised_at.isoformat() + "Z" if report.snapshot else None
        )
        data["live_differs"] = report.live_differs
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    result = report.result
    state = "finalised" if report.snapshot else "live"
    click.echo(
        f"{period.label} ({period.code}, {state}), scheme "
        f"{result.scheme_name} {result.scheme_version}, hall mean {result.hall_mean:.2f}"
    )
    if report.live_differs:
        click.echo("note: today's data would give different results than the finalised ones")
    for person in report.rows:
        row = person.result
        rank = row.rank if row.rank is not None else "-"
        score = f"{row.score:.2f}" if row.score is not None else "-"
        flags = "、".join(flag_label(f) for f in row.flags)
        click.echo(
            f"{rank:>3}  {person.staff_no:<8} {person.name:<6} {score:>7}  "
            f"{row.grade or '-'}  {flags}"
        )

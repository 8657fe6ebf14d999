"""flask commands: users, demo data, QR export."""

import re
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select

from kiosk import cli_evaluation, cli_ops, clock
from kiosk.cli_complaints import complaints_cli, notify_command
from kiosk.cli_districts import district_or_fail, init_districts_cli
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.models import DISTRICT_ROLES, ROLES, District, Hall, Window
from kiosk.services import qr, rating_log
from kiosk.services.accounts import AccountError, create_user
from kiosk.services.demo import DEMO_SETTINGS, create_demo
from kiosk.services.health import public_url_findings
from kiosk.services.periods import current_period

users_cli = AppGroup("users", help="Manage staff-area accounts.")
qr_cli = AppGroup("qr", help="Window QR codes.")
halls_cli = AppGroup("halls", help="Service halls.")


def _read_password(role: str) -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _hall_for_account(slug: str | None) -> Hall:
    halls = list(db.session.scalars(select(Hall).order_by(Hall.id)))
    if slug:
        for hall in halls:
            if hall.slug == slug:
                return hall
        raise click.ClickException(f"no hall {slug!r} (see: flask --app kiosk halls list)")
    if len(halls) == 1:
        return halls[0]
    if not halls:
        raise click.ClickException(
            "create the hall first: flask --app kiosk halls create SLUG NAME"
        )
    raise click.ClickException("several halls: choose one with --hall SLUG")


def _belonging(
    role: str, hall_slug: str | None, district_slug: str | None
) -> tuple[Hall | None, District | None]:
    """Return the hall or the district the new account belongs to; refuse a wrong pairing."""
    if role in DISTRICT_ROLES:
        if district_slug is None:
            raise click.ClickException(
                f"a {role} account belongs to a district: give --district SLUG "
                "(see: flask --app kiosk districts list)"
            )
        if hall_slug is not None:
            raise click.ClickException(
                f"a {role} account belongs to its district, not to a hall: leave out --hall"
            )
        return None, district_or_fail(district_slug)
    if district_slug is not None:
        raise click.ClickException(
            f"a {role} account works in a hall, not in a district: leave out --district "
            f"(district roles: {', '.join(DISTRICT_ROLES)})"
        )
    return _hall_for_account(hall_slug), None


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--hall", "hall_slug", help="The hall the account works in (default: the only one).")
@click.option(
    "--district", "district_slug", help="The district a district role's account works in."
)
def create_user_command(
    name: str, role: str, hall_slug: str | None, district_slug: str | None
) -> None:
    """Create an account; the password is prompted for, or read from stdin."""
    hall, district = _belonging(role, hall_slug, district_slug)
    password = _read_password(role)
    intend_write()
    try:
        user = create_user(name, role, password, hall=hall, district=district)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    place = hall or district
    click.echo(f"created {role} {user.username} in {place.name if place else ''}")


@halls_cli.command("create")
@click.argument("slug")
@click.argument("name")
def create_hall_command(slug: str, name: str) -> None:
    """Create a service hall (SLUG appears in /board/SLUG and /public/SLUG)."""
    intend_write()
    if not re.fullmatch(r"[a-z0-9-]{2,40}", slug):
        raise click.ClickException("SLUG must be 2–40 lowercase letters, digits or '-'")
    if db.session.scalar(select(Hall.id).where(Hall.slug == slug)) is not None:
        raise click.ClickException(f"hall {slug!r} exists already")
    db.session.add(Hall(slug=slug, name=name.strip()))
    db.session.commit()
    click.echo(f"created hall {slug}: {name}")


@halls_cli.command("list")
def list_halls_command() -> None:
    """List the halls."""
    for hall in db.session.scalars(select(Hall).order_by(Hall.id)):
        click.echo(f"{hall.slug}\t{hall.name}")


@qr_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--hall", "hall_slug", default=None, help="Hall slug (needed with several halls).")
def export_qr_command(directory: Path, hall_slug: str | None) -> None:
    """Write window-<number>.png and .svg for every active window of the hall into DIRECTORY.

    Window numbers are a hall's own, so with several halls one is chosen with --hall.
    """
    if db.session.scalar(select(Hall.id).limit(1)) is None:
        raise click.ClickException("there are no windows yet (try: flask --app kiosk demo)")
    hall = _hall_for_account(hall_slug)
    windows = list(
        db.session.scalars(
            select(Window)
            .where(Window.hall_id == hall.id, Window.active.is_(True))
            .order_by(Window.number)
        )
    )
    if not windows:
        raise click.ClickException("there are no windows yet (try: flask --app kiosk demo)")
    _warn_about_public_url()
    with current_app.test_request_context():
        paths = qr.export_window_codes(windows, directory)
    for path in paths:
        click.echo(str(path))
    click.echo(
        f"{len(paths)} files for {len(windows)} windows, pointing at "
        f"{current_app.config['PUBLIC_URL']}"
    )


def _warn_about_public_url() -> None:
    """Say on stderr when the QR codes would point where residents' phones cannot go."""
    problems = [f for f in public_url_findings() if f.level == "error"]
    if not problems:
        return
    url = current_app.config["PUBLIC_URL"]
    click.echo(
        f"警告：二维码将指向 {url}，居民的手机打不开这个地址"
        "（PUBLIC_URL 仍是默认的本机地址或有误）。请设置 KIOSK_PUBLIC_URL 后重新导出。",
        err=True,
    )
    for finding in problems:
        click.echo(f"warning: {finding.problem}; {finding.remedy}", err=True)


@click.command("demo")
def demo_command() -> None:
    """Create (or complete) the demo hall with staff, duty, accounts and 90 days of ratings."""
    intend_write()
    now = clock.now()
    result = create_demo(now, clock.hall_zone())
    db.session.commit()
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    click.echo(f"{'created' if result.created else 'found'} demo hall: {result.hall.name}")
    if result.ratings:
        click.echo(f"added {result.ratings} ratings and {result.complaints} complaints")
    demo_district = result.district
    if demo_district is not None:
        names = "、".join(hall.name for hall in demo_district.stations)
        click.echo(
            f"demo district: {demo_district.district.name} "
            f"({len(demo_district.stations)} stations: {names})"
        )
        if demo_district.ratings:
            click.echo(
                f"added {demo_district.ratings} ratings and {demo_district.complaints} "
                "complaints at its other stations"
            )
    for username, password in result.passwords.items():
        click.echo(f"account {username}  password {password}  (shown once; store it now)")
    if not result.passwords:
        click.echo(
            "the demo accounts (admin, supervisor, clerk, district, assessor, resident …) exist "
            "already; use 'flask --app kiosk users create' for new ones"
        )
    first = db.session.scalar(
        select(Window).where(Window.hall_id == result.hall.id).order_by(Window.number)
    )
    with current_app.test_request_context():
        rate_url = qr.window_url(first) if first else ""
    hours, poll = DEMO_SETTINGS["OPENING_HOURS"], DEMO_SETTINGS["BOARD_POLL_SECONDS"]
    click.echo(
        f"演示大厅全天开放（{hours}），今明两天每个窗口全天有人在岗，展示屏每 {poll} 秒刷新："
        "任何时刻扫码评价都立即计入当班人员并显示在展示屏上。真实大厅仍按其开放时间，时间外的评价待审核。"
    )
    click.echo(
        f"the demo hall alone is open {hours} with every window staffed all today and tomorrow "
        f"and its board polling every {poll} s, so a tap at any hour counts for the clerk on "
        "duty at once; real halls keep their opening hours (taps outside them are held for review)"
    )
    click.echo("open:")
    click.echo(f"  staff area   {base}/staff/")
    click.echo(f"  rate window 1 {rate_url}")
    click.echo(f"  hall board   {base}/board")
    click.echo(f"  health       {base}/healthz")
    if demo_district is not None:
        _echo_district_pages(base, demo_district.district, now)
    minutes = current_app.config["DEVICE_PAIRING_MINUTES"]
    click.echo(
        f"配对链接（每个只能用一次，{minutes} 分钟内有效；每台平板或浏览器打开一个；"
        "重新运行 demo 可获得新链接）/ pairing links, each once, "
        f"within {minutes} minutes, one per tablet or browser (run demo again for new ones):"
    )
    with current_app.test_request_context():
        for pairing in result.pairings:
            link = base + url_for("kiosk.pair_link", code=pairing.code)
            label = "kiosk" if pairing.window_number is None else f"pad {pairing.window_number}"
            click.echo(f"  {label:<12} {link}")


def _echo_district_pages(base: str, district: District, now: datetime) -> None:
    """Print where the demo district's pages are, last quarter's ranking among them."""
    last_quarter = current_period(now, "quarter").previous().code
    with current_app.test_request_context():
        pages = [
            ("district", url_for("district.index", slug=district.slug)),
            ("  dashboard", url_for("district.dashboard", slug=district.slug)),
            ("  rounds", url_for("district.rounds", slug=district.slug)),
            ("  my rounds", url_for("district.my_rounds", slug=district.slug)),
            (
                "  ranking",
                url_for("api.station_ranking", district=district.slug, period=last_quarter),
            ),
        ]
    for label, path in pages:
        click.echo(f"  {label:<12} {base}{path}")


@click.command("verify-log")
def verify_log_command() -> None:
    """Check the hash-chained rating log and every rating against it; exit 1 on a problem."""
    checked, problems = rating_log.verify()
    for problem in problems:
        click.echo(f"PROBLEM: {problem.message}")
    if problems:
        raise SystemExit(1)
    click.echo(f"rating log intact: {checked} entries, every rating matches its last entry")


def init_cli(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(users_cli)
    app.cli.add_command(qr_cli)
    app.cli.add_command(halls_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(verify_log_command)
    app.cli.add_command(cli_evaluation.evaluate_command)
    cli_ops.init_ops_cli(app)
    init_districts_cli(app)
    app.cli.add_command(complaints_cli)
    app.cli.add_command(notify_command)
    from kiosk.cli_ratings import ratings_cli

    app.cli.add_command(ratings_cli)

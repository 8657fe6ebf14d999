"""flask commands for operations: backup, restore, check."""

from pathlib import Path

import click
from flask import Flask, current_app

from kiosk.extensions import db
from kiosk.services import backup as backups
from kiosk.services.health import check_configuration


def _uri() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N backups.")
def backup_command(directory: Path, keep: int | None) -> None:
    """Write a consistent, timestamped backup into DIRECTORY (safe while the site serves)."""
    try:
        path = backups.backup_database(
            _uri(), directory, pg_bindir=current_app.config.get("PG_BINDIR")
        )
        removed = backups.prune_backups(directory, keep) if keep else []
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {path} ({path.stat().st_size} bytes) from {backups.describe(_uri())}")
    for old in removed:
        click.echo(f"removed old backup {old}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, yes: bool, force: bool) -> None:
    """Restore a backup FILE into the configured (empty) database; stop the service first."""
    uri = _uri()
    try:
        backups.backup_kind(file)
        existing = {name: n for name, n in backups.row_counts(db.engine).items() if n}
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    target = backups.describe(uri)
    if existing and not force:
        raise click.ClickException(
            f"{target} is not empty ({sum(existing.values())} rows in {len(existing)} tables); "
            "restore into an empty database, or pass --force to replace its contents"
        )
    if not yes:
        what = "REPLACE ALL DATA in" if existing else "restore into"
        click.confirm(f"{what} {target} from {file}?", abort=True)
    try:
        result = backups.restore_database(
            uri, file, engine=db.engine, pg_bindir=current_app.config.get("PG_BINDIR")
        )
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"restored {result.rows} rows in {result.tables} tables into {target} "
        f"(migration revision {result.revision})"
    )
    if result.integrity is not None:
        click.echo(f"integrity check: {result.integrity}")
    click.echo("next: flask --app kiosk db upgrade   (brings an older backup up to this code)")


@click.command("check")
def check_command() -> None:
    """Report configuration mistakes, with what to do about each; exit 1 if any is an error."""
    findings = check_configuration()
    for finding in findings:
        click.echo(f"{finding.level.upper():8} {finding.problem}")
        click.echo(f"{'':8} -> {finding.remedy}")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = len(findings) - errors
    if not findings:
        click.echo("ok: no configuration problems found")
    else:
        click.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        raise SystemExit(1)


def init_ops_cli(app: Flask) -> None:
    """Register the operations commands."""
    for command in (backup_command, restore_command, check_command):
        app.cli.add_command(command)

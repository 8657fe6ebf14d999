"""flask commands for the complaint loop: contact erasure and notification delivery."""

import time

import click
from flask.cli import AppGroup

from kiosk import clock
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.services import complaints, notifications

complaints_cli = AppGroup("complaints", help="Complaint handling jobs.")


@complaints_cli.command("erase-contacts")
def erase_contacts_command() -> None:
    """Erase complainants' phone numbers CONTACT_RETENTION_DAYS after their complaint closed."""
    intend_write()
    erased = complaints.erase_contacts(clock.now())
    db.session.commit()
    click.echo(f"erased contact details of {erased} closed complaints")


def deliver_once() -> notifications.DeliveryReport:
    """Send every notification that is due, committing after each so none is sent twice."""
    report = notifications.DeliveryReport()
    intend_write()
    for notification in notifications.due_notifications(clock.now()):
        outcome = notifications.deliver(notification, clock.now())
        db.session.commit()
        setattr(report, outcome, getattr(report, outcome) + 1)
    db.session.commit()
    return report


@click.command("notify")
@click.option(
    "--watch",
    type=click.IntRange(min=1),
    default=None,
    help="Keep running, checking the outbox every this many seconds.",
)
def notify_command(watch: int | None) -> None:
    """Deliver queued 差评 and complaint notifications (webhook, e-mail), with retries."""
    while True:
        report = deliver_once()
        click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        if watch is None:
            return
        time.sleep(watch)

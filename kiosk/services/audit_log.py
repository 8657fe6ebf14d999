"""Reading the audit log, and the guard that keeps it append-only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry

PAGE_SIZE = 50


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # type: ignore[no-untyped-def]
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # type: ignore[no-untyped-def]
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be deleted")


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def hall_actions(hall_id: int | None) -> list[str]:
    """Return the distinct actions logged for the hall, for the filter."""
    query = select(AuditEntry.action).where(AuditEntry.hall_id == hall_id).distinct()
    return sorted(db.session.scalars(query))


def audit_page(
    hall_id: int | None,
    *,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> AuditPage:
    """Return one page of the hall's entries matching the filters.

    since and until are naive UTC; until is exclusive. Pages count from 1 and are clamped.
    """
    where = [AuditEntry.hall_id == hall_id]
    if action:
        where.append(AuditEntry.action == action)
    if since is not None:
        where.append(AuditEntry.created_at >= since)
    if until is not None:
        where.append(AuditEntry.created_at < until)
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(*where)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return AuditPage(entries, page, pages, total)

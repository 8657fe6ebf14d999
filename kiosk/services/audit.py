"""The audit log: appending entries, reading them a page at a time, and refusing every edit.

Entries are only ever added; no code path edits or deletes them, and the model refuses it too.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Mapper

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import AuditEntry, User
from kiosk.security_log import security_event

PAGE_SIZE = 50


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Mapper[AuditEntry], connection: Connection, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Mapper[AuditEntry], connection: Connection, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be deleted")


def record(
    action: str,
    *,
    actor: User | None,
    target_type: str,
    target_id: int | None,
    hall_id: int | None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry (no phone numbers or complaint text in detail)."""
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=target_type,
        target_id=target_id,
        hall_id=hall_id,
        reason=reason,
        detail=detail or {},
        created_at=clock.now(),
    )
    db.session.add(entry)
    # The security log gets what changed and who did it, never the values (nor the reason,
    # which is free text).
    security_event(
        "admin_change",
        action=action,
        actor_id=entry.actor_id,
        target_type=target_type,
        target_id=target_id,
        hall_id=hall_id,
        fields=sorted(entry.detail),
    )
    return entry


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

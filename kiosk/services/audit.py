"""Writing the audit log. Entries are only ever added; no code path edits or deletes them."""

from typing import Any

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import AuditEntry, User
from kiosk.security_log import security_event


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

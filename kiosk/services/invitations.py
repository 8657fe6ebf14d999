"""The window console's services: signing in at a window, and 办结·邀请评价 invitations.

An invitation is a one-time token bound to a window, the clerk who pressed the button and a
time. The window's pad and the short-lived QR it shows both answer the same invitation;
whichever comes first records the one (verified) rating, and the database decides who was
first: a conditional UPDATE … WHERE used_at IS NULL changes the row for one submit only.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update

from kiosk.extensions import db
from kiosk.models import Duty, Rating, ServiceInvitation, Staff, Window
from kiosk.services import ratings
from kiosk.services.settings import setting
from kiosk.services.submission import DeviceLimit, RatingReceipt, Submission, Tap


class InvitationError(ValueError):
    """The invitation cannot be answered or minted; nothing was written."""

    code = "invitation_invalid"


class InvitationUsed(InvitationError):
    code = "invitation_used"


class InvitationExpired(InvitationError):
    code = "invitation_expired"


class NotSignedIn(InvitationError):
    code = "not_signed_in"


def current_signin(staff: Staff, now: datetime) -> Duty | None:
    """Return the clerk's open sign-in duty, if any."""
    return db.session.scalar(
        select(Duty)
        .where(
            Duty.staff_id == staff.id,
            Duty.source == "signin",
            Duty.starts_at <= now,
            Duty.ends_at.is_(None),
        )
        .order_by(Duty.starts_at.desc())
        .limit(1)
    )


def todays_roster(staff: Staff, now: datetime, day_end: datetime) -> Duty | None:
    """Return the clerk's roster duty under way at now, else their next one before day_end."""
    return db.session.scalar(
        select(Duty)
        .where(
            Duty.staff_id == staff.id,
            Duty.source == "roster",
            Duty.starts_at < day_end,
            or_(Duty.ends_at.is_(None), Duty.ends_at > now),
        )
        .order_by(Duty.starts_at)
        .limit(1)
    )


def _end_open_signins(*conditions: ColumnElement[bool], now: datetime) -> None:
    for duty in db.session.scalars(
        select(Duty).where(Duty.source == "signin", Duty.ends_at.is_(None), *conditions)
    ):
        duty.ends_at = max(now, duty.starts_at)


def sign_in(staff: Staff, window: Window, *, now: datetime) -> Duty:
    """Put the clerk on duty at window from now, ending their (and the window's) other sign-ins."""
    if window.hall_id != staff.hall_id or not window.active:
        raise InvitationError("window not in the clerk's hall")
    _end_open_signins(Duty.staff_id == staff.id, now=now)
    _end_open_signins(Duty.window_id == window.id, now=now)
    duty = Duty(staff_id=staff.id, window_id=window.id, starts_at=now, source="signin")
    db.session.add(duty)
    db.session.flush()
    return duty


def sign_out(staff: Staff, *, now: datetime) -> Duty | None:
    """End the clerk's sign-in; return the ended duty (None if they were not signed in)."""
    duty = current_signin(staff, now)
    _end_open_signins(Duty.staff_id == staff.id, now=now)
    db.session.flush()
    return duty


def mint_invitation(staff: Staff, *, now: datetime) -> ServiceInvitation:
    """Mint a one-time invitation for the clerk's current window (办结·邀请评价)."""
    duty = current_signin(staff, now)
    if duty is None:
        raise NotSignedIn("sign in at a window first")
    invitation = ServiceInvitation(
        token=secrets.token_urlsafe(24),
        hall_id=staff.hall_id,
        window_id=duty.window_id,
        staff_id=staff.id,
        created_at=now,
        expires_at=now + timedelta(seconds=setting("INVITATION_TTL_SECONDS")),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def invitation_by_token(token: str) -> ServiceInvitation | None:
    """Return the invitation carrying token (used or not)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(ServiceInvitation).where(ServiceInvitation.token == token))


def open_invitation(window_id: int, now: datetime) -> ServiceInvitation | None:
    """Return the newest unused, unexpired invitation for the window (what the pad shows)."""
    return db.session.scalar(
        select(ServiceInvitation)
        .where(
            ServiceInvitation.window_id == window_id,
            ServiceInvitation.used_at.is_(None),
            ServiceInvitation.expires_at > now,
        )
        .order_by(ServiceInvitation.created_at.desc(), ServiceInvitation.id.desc())
        .limit(1)
    )


def rate_invitation(
    invitation: ServiceInvitation,
    tap: Tap,
    *,
    channel: str,
    now: datetime,
    tapped_at: datetime | None = None,
    device: str | None = None,
    device_limit: DeviceLimit | None = None,
    staff_session: bool = False,
) -> RatingReceipt:
    """Record the one verified rating that answers invitation.

    A replay of the same idempotency key answers with the stored rating. Any other second
    answer raises InvitationUsed; a tap after the invitation expired raises InvitationExpired.
    The rating is checked for stuffing (kiosk.services.anti_stuffing) like any other: a clerk
    rating their own service from a signed-in phone is quarantined, not counted.
    """
    existing = ratings.find_rating_by_key(tap.key)
    if existing is not None:
        return RatingReceipt(existing, duplicate=True)
    tapped_at = tapped_at or now
    if tapped_at > invitation.expires_at:
        raise InvitationExpired("invitation expired")
    claimed = db.session.execute(
        update(ServiceInvitation)
        .where(ServiceInvitation.id == invitation.id, ServiceInvitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult
        # A concurrent double tap with the same key may have been the one that won.
        winner = ratings.find_rating_by_key(tap.key)
        if winner is not None:
            return RatingReceipt(winner, duplicate=True)
        raise InvitationUsed("invitation already answered")
    receipt = ratings.record_rating(
        Submission(
            invitation.window,
            tap,
            channel,
            tapped_at,
            device=device,
            device_limit=device_limit,
            staff_session=staff_session,
            verified=True,
            served_by=invitation.staff,
            screen=True,
        ),
        now=now,
    )
    if not receipt.duplicate:
        db.session.execute(
            update(ServiceInvitation)
            .where(ServiceInvitation.id == invitation.id)
            .values(rating_id=receipt.rating.id)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(invitation)
    return receipt


def console_counts(staff: Staff, day_start: datetime, day_end: datetime) -> dict[str, int]:
    """Return today's invitations minted and answered, and ratings credited, for the clerk."""
    invited = db.session.scalar(
        select(func.count(ServiceInvitation.id)).where(
            ServiceInvitation.staff_id == staff.id,
            ServiceInvitation.created_at >= day_start,
            ServiceInvitation.created_at < day_end,
        )
    )
    answered = db.session.scalar(
        select(func.count(ServiceInvitation.id)).where(
            ServiceInvitation.staff_id == staff.id,
            ServiceInvitation.created_at >= day_start,
            ServiceInvitation.created_at < day_end,
            ServiceInvitation.used_at.is_not(None),
        )
    )
    rated = db.session.scalar(
        select(func.count(Rating.id)).where(
            Rating.staff_id == staff.id,
            Rating.created_at >= day_start,
            Rating.created_at < day_end,
            Rating.status != "excluded",
        )
    )
    return {"invited": invited or 0, "answered": answered or 0, "rated": rated or 0}


def latest_invitation(staff: Staff) -> ServiceInvitation | None:
    """Return the clerk's most recent invitation."""
    return db.session.scalar(
        select(ServiceInvitation)
        .where(ServiceInvitation.staff_id == staff.id)
        .order_by(ServiceInvitation.created_at.desc(), ServiceInvitation.id.desc())
        .limit(1)
    )

"""JSON API for paired kiosks and pads: ratings (live and offline replay), complaints, exit PIN.

CSRF: this blueprint is exempt from the form-token check on purpose. A kiosk page stays open
for days, and a token that expires would cost the next resident their rating. Instead:

* the device is authenticated by its credential, sent either as ``Authorization: Bearer`` (never
  sent by a browser on its own, so not forgeable cross-site) or as the httpOnly cookie set at
  pairing, which is SameSite=Strict: browsers do not attach it to any request another site
  starts, whether a form post, an image or a fetch;
* every POST must carry ``Content-Type: application/json``. A cross-site HTML form cannot send
  that type, and a cross-site fetch with it needs a CORS preflight, which this API never grants.

Either defence alone stops a forged submission; together they do not depend on the page's age.
Every error is a 4xx JSON object ``{"error": code, "detail": text, "status": n}``; nothing is
written when a request is refused.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import URLSafeTimedSerializer

from kiosk import clock
from kiosk.device_auth import request_device
from kiosk.extensions import csrf, db
from kiosk.models import REASON_TAGS, Device, ServiceInvitation, Window
from kiosk.security import has_nul
from kiosk.services import devices, invitations, ratings
from kiosk.services.settings import setting
from kiosk.services.submission import RatingError, Tap, valid_key

bp = Blueprint("device_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_BODY_BYTES = 8 * 1024
EXIT_TICKET_SALT = "device-exit"
EXIT_TICKET_SECONDS = 120


class ApiError(Exception):
    """A refused request: HTTP status, a stable machine code and a sentence for people."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    """Answer a refused request with its JSON error; nothing it did is kept."""
    db.session.rollback()
    return jsonify(error=error.code, detail=error.detail, status=error.status), error.status


def fail(status: int, code: str, detail: str) -> NoReturn:
    raise ApiError(status, code, detail)


def _device() -> Device:
    device = request_device()
    if device is None:
        fail(401, "device_not_paired", _("本设备未配对或已被撤销，请联系管理员重新配对。"))
    return device


def _body() -> dict[str, Any]:
    if not request.is_json:
        fail(415, "json_required", "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        fail(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested deeper than the parser's stack: not an object
        data = None
    if not isinstance(data, dict):
        fail(400, "invalid_json", "body must be a JSON object")
    if has_nul(data):
        fail(400, "invalid_json", "strings must not contain NUL characters")
    return data


def _instant(data: dict[str, Any], name: str) -> datetime | None:
    """Parse an ISO 8601 time with an offset ("…Z" or "+08:00") into naive UTC."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        fail(400, f"invalid_{name}", f"{name} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(400, f"invalid_{name}", f"{name} must be an ISO 8601 string")
    if moment.tzinfo is None:
        fail(400, f"invalid_{name}", f"{name} needs a time zone offset, e.g. Z")
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        fail(400, f"invalid_{name}", f"{name} is out of range")


def tap_time(data: dict[str, Any], now: datetime) -> datetime:
    """Return when the resident tapped, on the server's clock.

    With sent_at (the device's clock when it sent the request) the tap's age is measured on
    the device alone, so a tablet whose clock is wrong still records the right time.
    """
    tapped = _instant(data, "tapped_at")
    sent = _instant(data, "sent_at")
    if tapped is None:
        return now
    max_age = timedelta(hours=setting("RATING_REPLAY_MAX_HOURS"))
    if sent is not None:
        if sent < tapped:
            fail(422, "invalid_tapped_at", "tapped_at is later than sent_at")
        if sent - tapped > max_age:  # checked first: now minus centuries is no date at all
            fail(422, "tapped_at_too_old", f"taps older than {max_age} are not accepted")
        tapped = now - (sent - tapped)
    if tapped > now + timedelta(seconds=setting("DEVICE_CLOCK_SKEW_SECONDS")):
        fail(422, "tapped_at_in_future", "tapped_at is in the future")
    tapped = min(tapped, now)
    if now - tapped > max_age:
        fail(422, "tapped_at_too_old", f"taps older than {max_age} are not accepted")
    return tapped


def _window(device: Device, data: dict[str, Any]) -> Window:
    window_id = data.get("window_id")
    if window_id is not None and (isinstance(window_id, bool) or not isinstance(window_id, int)):
        fail(400, "invalid_window_id", "window_id must be an integer")
    if device.kind == "pad":
        window = device.window
        if window is None or (window_id is not None and window_id != window.id):
            fail(422, "wrong_window", "a pad rates only its own window")
        return window
    if window_id is None:
        fail(400, "window_required", "window_id is required")
    if not 1 <= window_id < 2**31:  # beyond any id, and beyond what SQLite can bind (2**63)
        fail(404, "unknown_window", "no such window in this device's hall")
    window = db.session.get(Window, window_id)
    if window is None or window.hall_id != device.hall_id or not window.active:
        fail(404, "unknown_window", "no such window in this device's hall")
    return window


def _invitation(device: Device, data: dict[str, Any]) -> ServiceInvitation | None:
    token = data.get("invitation")
    if device.kind != "pad":
        if token is not None:
            fail(422, "invitation_not_for_kiosk", "only pads answer invitations")
        return None
    if not isinstance(token, str) or not token:
        fail(422, "invitation_required", "a pad rates only an invited service")
    invitation = invitations.invitation_by_token(token)
    if invitation is None or invitation.window_id != device.window_id:
        fail(404, "unknown_invitation", "no such invitation for this pad's window")
    return invitation


@bp.post("/ratings")
def create_rating() -> ResponseReturnValue:
    """Record a tap from a paired device; a replayed key answers 200 and records nothing."""
    device = _device()
    data = _body()
    now = clock.now()
    try:
        tap = Tap.of(data.get("level"), data.get("key"))
    except RatingError as error:
        fail(400, f"invalid_{error.field}", str(error))
    window = _window(device, data)
    tapped_at = tap_time(data, now)
    invitation = _invitation(device, data)
    try:
        receipt = devices.submit_device_rating(
            device,
            tap,
            window=window,
            now=now,
            tapped_at=tapped_at,
            invitation=invitation,
            staff_session=current_user.is_authenticated,
        )
    except invitations.InvitationExpired:
        fail(410, "invitation_expired", _("本次评价邀请已过期。"))
    except invitations.InvitationUsed:
        fail(409, "invitation_used", _("本次服务已经评价过了。"))
    except RatingError as error:
        fail(400, "invalid_rating", str(error))
    db.session.commit()
    if receipt.duplicate:
        return jsonify(status="duplicate", key=tap.key), 200
    rating = receipt.rating
    return jsonify(
        status="stored",
        key=tap.key,
        level=rating.level,
        window_id=rating.window_id,
        verified=rating.verified,
        counted=rating.status == "counted",
        created_at=rating.created_at.isoformat() + "Z",
    ), 201


@bp.post("/ratings/<key>/complaint")
def create_complaint(key: str) -> ResponseReturnValue:
    """Attach a resident's complaint to a bad rating this device recorded."""
    device = _device()
    data = _body()
    rating = ratings.find_rating_by_key(key) if valid_key(key) else None
    if rating is None or rating.device_hash != devices.rating_device_hash(device):
        fail(404, "unknown_rating", "no rating with this key from this device")
    if not rating.is_bad:
        fail(409, "not_a_bad_rating", "complaints follow a 差评 (level 1 or 2)")
    reasons = data.get("reasons", [])
    if not isinstance(reasons, list) or not all(tag in REASON_TAGS for tag in reasons):
        fail(400, "invalid_reasons", f"reasons must be a list of {', '.join(REASON_TAGS)}")
    text, phone = data.get("text", ""), data.get("phone")
    if not isinstance(text, str) or (phone is not None and not isinstance(phone, str)):
        fail(400, "invalid_complaint", "text and phone must be strings")
    try:
        _complaint, created = ratings.file_complaint(
            rating, reason_tags=reasons, text=text, phone=phone, now=clock.now()
        )
    except RatingError as error:
        fail(400, "invalid_complaint", str(error))
    db.session.commit()
    return jsonify(status="filed" if created else "duplicate", key=key), 201 if created else 200


def exit_serializer() -> URLSafeTimedSerializer:
    """Sign the short-lived tickets that open a device's staff menu after a correct PIN."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=EXIT_TICKET_SALT)


@bp.post("/device/unlock")
def unlock_device() -> ResponseReturnValue:
    """Check the staff exit PIN; on success answer with the staff menu's one-time address."""
    device = _device()
    data = _body()
    pin = data.get("pin")
    if not isinstance(pin, str) or len(pin) > 8:
        fail(400, "invalid_pin", "pin must be a string of digits")
    if not device.exit_pin_hash:
        fail(403, "no_pin_set", _("本设备尚未设置退出密码，请在管理后台设置。"))
    result = devices.check_exit_pin(device, pin, now=clock.now())
    db.session.commit()
    if not result.ok:
        if result.locked_until is not None:
            fail(429, "pin_locked", _("密码错误次数过多，请稍后再试。"))
        fail(403, "wrong_pin", _("密码不正确。"))
    ticket = exit_serializer().dumps(device.id)
    return jsonify(status="ok", next=url_for("kiosk.service", ticket=ticket))

"""The hall kiosk (/kiosk), the window pad (/pad), pairing, and the phone page of an invitation.

The device pages are one full page each; their JavaScript switches screens and sends taps to
kiosk.device_api, queueing them on the device while the network is down. GET routes here
need no CSRF token; the only form posts (pairing, unpairing) are made by a person with a
freshly rendered page in front of them.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from kiosk import clock
from kiosk.device_api import EXIT_TICKET_SECONDS, exit_serializer
from kiosk.device_auth import clear_credential_cookie, request_device, set_credential_cookie
from kiosk.device_cookie import device_cookie_hash
from kiosk.extensions import db
from kiosk.forms import add_error, filled
from kiosk.labels import LEVEL_LABELS, REASON_LABELS
from kiosk.models import REASON_TAGS, Device, ServiceInvitation
from kiosk.public import RatingForm, fresh_rating_form, posted_tap
from kiosk.services import devices, invitations, qr
from kiosk.services.duty import staff_on_duty
from kiosk.services.settings import setting

bp = Blueprint("kiosk", __name__)

# Common phrases for the on-screen keyboard: the kiosk has no Chinese input method, so
# residents compose a complaint from these, plus letters and digits.
PHRASES = (
    _l("等候时间太长"),
    _l("工作人员态度不好"),
    _l("材料要求没有一次说清"),
    _l("让我来回跑了好几次"),
    _l("办理速度太慢"),
    _l("系统或设备故障"),
    _l("环境卫生不好"),
    _l("希望尽快联系我"),
)


class PairForm(FlaskForm):
    code = StringField(_l("配对码"), validators=[InputRequired(_l("请输入配对码")), Length(max=40)])


class UnpairForm(FlaskForm):
    ticket = HiddenField(validators=[InputRequired()])


def _shell(page: str) -> Response:
    """Mark a device app page so the offline service worker keeps a copy of it."""
    response = make_response(page)
    response.headers["X-Device-Shell"] = "1"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _render_pairing(
    kind: str, form: PairForm, status: int = 200, auto: bool = False
) -> tuple[str, int]:
    return render_template("kiosk/pair.html", form=form, kind=kind, auto=auto), status


def _device_of_kind(kind: str) -> Device:
    device = request_device()
    if device is None or device.kind != kind:
        abort(401)
    return device


def _device_config(device: Device) -> dict[str, object]:
    return {
        "thanks_reset": device.thanks_reset_seconds,
        "idle_reset": device.idle_reset_seconds,
        "cooldown": device.cooldown_seconds,
    }


@bp.get("/kiosk")
def kiosk() -> ResponseReturnValue:
    """Show the kiosk app to a paired kiosk, else the pairing screen."""
    device = request_device()
    if device is None:
        return _render_pairing("kiosk", PairForm(formdata=None))
    if device.kind != "kiosk":
        return redirect(url_for("kiosk.pad"))
    cards = devices.window_cards(device.hall_id, clock.now())
    return _shell(
        render_template(
            "kiosk/kiosk.html",
            device=device,
            cards=cards,
            config=_device_config(device),
            levels=LEVEL_LABELS,
            reasons=[(tag, REASON_LABELS[tag]) for tag in REASON_TAGS],
            phrases=PHRASES,
        )
    )


@bp.get("/kiosk/windows")
def kiosk_windows() -> ResponseReturnValue:
    """Return the kiosk's window cards (who is on duty changes during the day)."""
    device = _device_of_kind("kiosk")
    cards = devices.window_cards(device.hall_id, clock.now())
    return render_template("kiosk/_windows.html", cards=cards)


@bp.get("/pad")
def pad() -> ResponseReturnValue:
    """Show the pad app to a paired pad, else the pairing screen."""
    device = request_device()
    if device is None:
        return _render_pairing("pad", PairForm(formdata=None))
    if device.kind != "pad" or device.window is None:
        return redirect(url_for("kiosk.kiosk"))
    return _shell(
        render_template(
            "kiosk/pad.html",
            device=device,
            window=device.window,
            staff=staff_on_duty(device.window.id, clock.now()),
            config=_device_config(device),
            poll_seconds=setting("PAD_POLL_SECONDS"),
            levels=LEVEL_LABELS,
            reasons=[(tag, REASON_LABELS[tag]) for tag in REASON_TAGS],
            phrases=PHRASES,
        )
    )


@bp.get("/pad/state")
def pad_state() -> ResponseReturnValue:
    """Tell the pad who is on duty and whether a service invitation is waiting for a rating."""
    device = _device_of_kind("pad")
    now = clock.now()
    if device.window_id is None:  # cannot happen: a database check gives every pad a window
        abort(409)
    staff = staff_on_duty(device.window_id, now)
    invitation = invitations.open_invitation(device.window_id, now)
    state: dict[str, object] = {
        "staff": {"name": staff.name, "staff_no": staff.staff_no} if staff else None,
        "invitation": None,
    }
    if invitation is not None:
        state["invitation"] = {
            "token": invitation.token,
            "expires_in": int((invitation.expires_at - now).total_seconds()),
            "qr": url_for("kiosk.pad_qr", token=invitation.token),
        }
    response = jsonify(state)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pad/qr/<token>.svg")
def pad_qr(token: str) -> ResponseReturnValue:
    """Draw the short-lived QR code of an open invitation for the pad's window."""
    device = _device_of_kind("pad")
    invitation = invitations.invitation_by_token(token)
    if invitation is None or invitation.window_id != device.window_id:
        abort(404)
    url = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("kiosk.invite", token=token)
    response = make_response(qr.qr_svg(url))
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/kiosk/pair", methods=["GET", "POST"])
def pair() -> ResponseReturnValue:
    """Pair this browser with a kiosk or pad by the one-time code from the staff area."""
    kind = "pad" if request.args.get("kind") == "pad" else "kiosk"
    form = PairForm()
    if not form.validate_on_submit():
        return _render_pairing(kind, form, 400 if form.is_submitted() else 200)
    paired = devices.pair_device(filled(form.code.data), now=clock.now())
    if paired is None:
        add_error(form.code, _l("配对码无效或已过期，请向管理员获取新的配对码。"))
        return _render_pairing(kind, form, 400)
    device, credential = paired
    db.session.commit()
    target = url_for("kiosk.pad" if device.kind == "pad" else "kiosk.kiosk")
    return set_credential_cookie(redirect(target, code=303), credential)


@bp.get("/kiosk/pair/<code>")
def pair_link(code: str) -> ResponseReturnValue:
    """Show the pairing screen with a pairing link's code filled in, sent by the page itself.

    The GET pairs nothing (link previews and prefetchers open links too); the page's script
    submits the CSRF-protected form once, as a tap on 配对 would, and the code then works as a
    typed one does: once, until it expires.
    """
    device = devices.device_awaiting_pairing(code, now=clock.now())
    kind = device.kind if device is not None else "kiosk"
    form = PairForm(formdata=None, code=devices.format_code(devices.normalise_code(code)[:40]))
    if device is None:
        form.code.errors = [_("配对码无效或已过期，请向管理员获取新的配对码。")]
        return _render_pairing(kind, form, 404)
    return _render_pairing(kind, form, auto=True)


def _ticket_device(ticket: str) -> Device:
    device = request_device()
    try:
        device_id = exit_serializer().loads(ticket, max_age=EXIT_TICKET_SECONDS)
    except (BadSignature, SignatureExpired):
        abort(403)
    if device is None or device.id != device_id:
        abort(403)
    return device


@bp.get("/kiosk/service")
def service() -> ResponseReturnValue:
    """Show the staff menu of a device after the exit PIN was entered correctly."""
    ticket = request.args.get("ticket", "")
    device = _ticket_device(ticket)
    home = url_for("kiosk.pad" if device.kind == "pad" else "kiosk.kiosk")
    return render_template(
        "kiosk/service.html", device=device, home=home, form=UnpairForm(ticket=ticket)
    )


@bp.post("/kiosk/unpair")
def unpair() -> ResponseReturnValue:
    """Unpair this browser: revoke the device's credential and forget the cookie."""
    form = UnpairForm()
    if not form.validate():
        abort(400)
    device = _ticket_device(filled(form.ticket.data))
    devices.revoke_device(device, now=clock.now())
    db.session.commit()
    return clear_credential_cookie(redirect(url_for("kiosk.kiosk"), code=303))


@bp.get("/device-sw.js")
def service_worker() -> ResponseReturnValue:
    """Serve the devices' offline service worker from the site root (its scope is /)."""
    static = current_app.static_folder or ""
    response = send_from_directory(static, "js/device-sw.js", max_age=0)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response


# --- the phone page behind the pad's short-lived QR code ---------------------------------


def _invitation_or_404(token: str) -> ServiceInvitation:
    invitation = invitations.invitation_by_token(token)
    if invitation is None or not invitation.window.active:
        abort(404)
    return invitation


def _render_invite(
    invitation: ServiceInvitation, form: RatingForm, status: int = 200, notice: str | None = None
) -> tuple[str, int]:
    now = clock.now()
    if invitation.used_at is not None:
        return render_template("kiosk/invite_closed.html", window=invitation.window, used=True), (
            409 if request.method == "POST" else 200
        )
    if invitation.expires_at <= now:
        return render_template(
            "kiosk/invite_closed.html", window=invitation.window, used=False
        ), 410
    page = render_template(
        "public/rate.html",
        window=invitation.window,
        staff=invitation.staff,
        form=form,
        levels=LEVEL_LABELS,
        action=url_for("kiosk.submit_invite", token=invitation.token),
        hint=_("本二维码只对本次服务有效，评价一次即失效。"),
        notice=notice,
    )
    return page, status


@bp.get("/i/<token>")
def invite(token: str) -> ResponseReturnValue:
    """Show the five rating buttons for one invited service (一次一评)."""
    invitation = _invitation_or_404(token)
    return _render_invite(invitation, fresh_rating_form())


@bp.post("/i/<token>")
def submit_invite(token: str) -> ResponseReturnValue:
    """Record the one verified rating of an invited service from a phone."""
    invitation = _invitation_or_404(token)
    tap = posted_tap(lambda form, status, notice: _render_invite(invitation, form, status, notice))
    try:
        receipt = invitations.rate_invitation(
            invitation,
            tap,
            channel="qr",
            now=clock.now(),
            device=device_cookie_hash(),
            staff_session=current_user.is_authenticated,
        )
    except invitations.InvitationError:
        db.session.rollback()
        db.session.refresh(invitation)
        return _render_invite(invitation, fresh_rating_form(tap.key), 409)
    db.session.commit()
    if receipt.rating.window_id != invitation.window_id:
        abort(409)
    return redirect(
        url_for(
            "public.thanks", token=invitation.window.qr_token, key=receipt.rating.idempotency_key
        ),
        code=303,
    )

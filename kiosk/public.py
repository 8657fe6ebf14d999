"""Phone rating by a window's QR code: one tap, then an optional complaint after a 差评."""

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk import clock
from kiosk.extensions import db
from kiosk.forms import SmallIntegerField
from kiosk.labels import LEVEL_LABELS, REASON_LABELS
from kiosk.models import REASON_TAGS, Window
from kiosk.services import intake, ratings
from kiosk.services.duty import staff_on_duty
from kiosk.services.privacy import device_hash
from kiosk.services.windows import retired_window

bp = Blueprint("public", __name__, url_prefix="/r")


@bp.before_app_request
def _start_intake_sweeper() -> None:
    # Each worker process sweeps for taps left waiting (kiosk.services.intake).
    intake.start_sweeper(current_app._get_current_object())  # type: ignore[attr-defined]


class RatingForm(FlaskForm):
    level = SmallIntegerField(validators=[InputRequired(_l("请选择一个评价")), NumberRange(1, 5)])
    key = HiddenField(validators=[InputRequired(), Regexp(ratings.KEY_PATTERN.pattern)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ComplaintForm(FlaskForm):
    reasons = MultiCheckboxField(
        _l("哪里让您不满意？（可多选）"),
        choices=[SelectChoice(tag, REASON_LABELS[tag]) for tag in REASON_TAGS],
    )
    text = TextAreaField(
        _l("具体情况（选填，最多500字）"),
        validators=[Optional(), Length(max=ratings.COMPLAINT_TEXT_MAX)],
    )
    phone = StringField(
        _l("回访电话（选填）"),
        validators=[Optional(), Regexp(r"^1[3-9]\d{9}$", message=_l("请输入11位手机号码"))],
    )


def _window_or_404(token: str) -> Window:
    window = ratings.window_by_token(token)
    if window is None:
        replaced = retired_window(token)
        if replaced is not None:  # an old printed code: say where to scan instead (410 Gone)
            abort(make_response(render_template("public/retired.html", window=replaced), 410))
        abort(404)
    return window


def _serializer() -> URLSafeSerializer:
    # One per app and secret (it is asked on every tap).
    key = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get("kiosk_device_cookie")
    if cached is None or cached[0] != key:
        cached = current_app.extensions["kiosk_device_cookie"] = (
            key,
            URLSafeSerializer(key, salt="device-cookie"),
        )
    return cached[1]


def device_cookie_id() -> str | None:
    """Return the random id in this browser's device cookie (None: no valid cookie)."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def device_cookie_hash() -> str | None:
    """Return the keyed hash of this browser's device cookie, as stored on its ratings."""
    device = device_cookie_id()
    return device_hash(current_app.config["SECRET_KEY"], device) if device else None


def set_device_cookie(response, device_id: str):  # type: ignore[no-untyped-def]
    """Give the browser its device cookie (a random id, signed; httpOnly)."""
    response.set_cookie(
        current_app.config["DEVICE_COOKIE_NAME"],
        _serializer().dumps(device_id),
        max_age=current_app.config["DEVICE_COOKIE_MAX_AGE"],
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


def _with_device_cookie(response):  # type: ignore[no-untyped-def]
    if device_cookie_id() is None:
        set_device_cookie(response, uuid.uuid4().hex)
    return response


def _render_rate(window: Window, form: RatingForm, status: int = 200, notice: str | None = None):  # type: ignore[no-untyped-def]
    staff = staff_on_duty(window.id, clock.now())
    page = render_template(
        "public/rate.html",
        window=window,
        staff=staff,
        form=form,
        levels=LEVEL_LABELS,
        notice=notice,
    )
    return _with_device_cookie(make_response(page, status))


@bp.get("/<token>")
def rate(token: str):  # type: ignore[no-untyped-def]
    """Show the five rating buttons for a window."""
    window = _window_or_404(token)
    return _render_rate(window, RatingForm(formdata=None, key=uuid.uuid4().hex))


_LEVELS = {str(level): level for level in range(1, 6)}


def _tap(token: str) -> tuple[int, str]:
    """Return (level, key) of the posted rating form, or abort with the form and its errors."""
    # The usual tap, checked directly (it is the hot path); anything else goes through
    # RatingForm, which says what is wrong. CSRFProtect has checked every POST already.
    level, key = _LEVELS.get(request.form.get("level", "")), request.form.get("key", "")
    if level is not None and ratings.KEY_PATTERN.match(key):
        return level, key
    form = RatingForm(meta={"csrf": False})
    if form.validate():
        return form.level.data, form.key.data
    if not form.key.data or form.key.errors:
        form.key.data = uuid.uuid4().hex
    abort(_render_rate(_window_or_404(token), form, 400))


@bp.post("/<token>")
def submit_rating(token: str):  # type: ignore[no-untyped-def]
    """Store a tap and show the thank-you page; the rating is recorded from it (services.intake)."""
    level, key = _tap(token)
    now = clock.now()
    accepted = intake.accept(
        token,
        level,
        key,
        device=device_cookie_hash(),
        staff_session=current_user.is_authenticated,
        now=now,
    )
    if not accepted and not intake.known_key(key):
        _window_or_404(token)  # no active window with this token: 404, or 410 for an old code
    due = accepted and intake.drain_due(now)
    db.session.commit()
    if due:
        intake.record_waiting(only_due=True)
    return redirect(url_for("public.thanks", token=token, key=key), code=303)


def expired_form_response():  # type: ignore[no-untyped-def]
    """Answer a rating or complaint form whose CSRF token is missing or expired.

    Nothing is written; the resident gets a fresh form and a one-line explanation, so a page
    left open on a phone costs one extra tap, never the rating.
    """
    from kiosk.errors import render_error

    window = ratings.window_by_token((request.view_args or {}).get("token", ""))
    if window is None:
        return render_error(404)
    form = RatingForm(formdata=None, key=request.form.get("key") or uuid.uuid4().hex)
    if not ratings.KEY_PATTERN.match(form.key.data):
        form.key.data = uuid.uuid4().hex
    return _render_rate(window, form, 400, notice=_l("页面已过期，请再点一次您的评价。"))


def _rating_for(window: Window, key: str):  # type: ignore[no-untyped-def]
    rating = None
    if ratings.KEY_PATTERN.match(key):
        rating = ratings.find_rating_by_key(key)
        if rating is None and intake.ensure_recorded(key):  # the tap is still queued
            rating = ratings.find_rating_by_key(key)
    if rating is None or rating.window_id != window.id:
        abort(404)
    return rating


@bp.get("/<token>/thanks/<key>")
def thanks(token: str, key: str):  # type: ignore[no-untyped-def]
    """Thank the resident; after a 差评, offer the complaint form."""
    window = _window_or_404(token)
    rating = _rating_for(window, key)
    form = ComplaintForm(formdata=None)
    return render_template(
        "public/thanks.html",
        window=window,
        rating=rating,
        form=form,
        levels=LEVEL_LABELS,
        # This tap replaced the same phone's earlier rating of the window (kept as a revision).
        replaced=rating.idempotency_key == key and ratings.has_revisions(rating),
    )


@bp.post("/<token>/thanks/<key>")
def submit_complaint(token: str, key: str):  # type: ignore[no-untyped-def]
    """Store the complaint that follows a bad rating."""
    window = _window_or_404(token)
    rating = _rating_for(window, key)
    if not rating.is_bad:
        abort(400)
    form = ComplaintForm()
    if not form.validate():
        page = render_template(
            "public/thanks.html", window=window, rating=rating, form=form, levels=LEVEL_LABELS
        )
        return page, 400
    ratings.file_complaint(
        rating,
        reason_tags=form.reasons.data or [],
        text=form.text.data or "",
        phone=form.phone.data,
        now=clock.now(),
    )
    db.session.commit()
    return redirect(url_for("public.thanks", token=token, key=key), code=303)

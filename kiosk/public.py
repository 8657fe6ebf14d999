"""Phone rating by a window's QR code: one tap, then an optional complaint after a 差评."""

import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk import clock
from kiosk.device_cookie import device_cookie_hash, with_device_cookie
from kiosk.errors import backend_unavailable, handle_unavailable, render_error, retry_after
from kiosk.extensions import db
from kiosk.forms import SelectChoice
from kiosk.labels import LEVEL_LABELS, REASON_LABELS
from kiosk.models import REASON_TAGS, Rating, Window
from kiosk.security_log import security_event
from kiosk.services import ratings
from kiosk.services.duty import staff_on_duty
from kiosk.services.settings import resident_notice
from kiosk.services.submission import RatingError, Submission, Tap, valid_key
from kiosk.services.windows import retired_window

bp = Blueprint("public", __name__, url_prefix="/r")


class RatingForm(FlaskForm):
    """The five-button rating form: its CSRF token and idempotency key (level: the button).

    What is posted is checked by Tap.from_form, the one check every channel shares.
    """

    key = HiddenField()


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


def fresh_rating_form(key: object = None) -> RatingForm:
    """Return an unposted rating form carrying key, or a new key if key is not a valid one."""
    return RatingForm(formdata=None, key=key if valid_key(key) else uuid.uuid4().hex)


def _render_rate(
    window: Window, form: RatingForm, status: int = 200, notice: str | None = None
) -> Response:
    staff = staff_on_duty(window.id, clock.now())
    page = render_template(
        "public/rate.html",
        window=window,
        staff=staff,
        form=form,
        levels=LEVEL_LABELS,
        notice=notice,
    )
    return with_device_cookie(make_response(page, status))


@bp.get("/<token>")
def rate(token: str) -> ResponseReturnValue:
    """Show the five rating buttons for a window."""
    window = _window_or_404(token)
    return _render_rate(window, fresh_rating_form())


def posted_tap(render: Callable[[RatingForm, int, str | None], ResponseReturnValue]) -> Tap:
    """Return the posted rating form's tap, or abort with render(form, 400, notice) of a fresh form.

    The key of a valid level is kept, so a corrected tap is still the same submission.
    """
    try:
        return Tap.from_form(request.form)
    except RatingError as error:
        notice = _l("请选择一个评价") if error.field == "level" else None
        abort(make_response(render(fresh_rating_form(request.form.get("key")), 400, notice)))


@bp.post("/<token>")
def submit_rating(token: str) -> ResponseReturnValue:
    """Record the tap as a rating, then show the thank-you page (303)."""
    window = _window_or_404(token)
    tap = posted_tap(lambda form, status, notice: _render_rate(window, form, status, notice))
    now = clock.now()
    minutes = current_app.config["SAME_DEVICE_INTERVAL_MINUTES"]
    ratings.record_rating(
        Submission(
            window,
            tap,
            "qr",
            now,
            device=device_cookie_hash(),
            staff_session=current_user.is_authenticated,
            replace_within=timedelta(minutes=minutes) if minutes else None,
            screen=True,
        ),
        now=now,
    )
    db.session.commit()
    return redirect(url_for("public.thanks", token=token, key=tap.key), code=303)


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> ResponseReturnValue:
    """Answer a rating or complaint form whose CSRF token is missing or expired.

    Nothing is written; the resident gets a fresh form and a one-line explanation, so a page
    left open on a phone costs one extra tap, never the rating.
    """
    security_event(
        "csrf_failed", warning=True, endpoint=request.endpoint, reason=str(error.description)
    )
    window = ratings.window_by_token((request.view_args or {}).get("token", ""))
    if window is None:
        return render_error(404)
    form = fresh_rating_form(request.form.get("key"))
    return _render_rate(window, form, 400, notice=_l("页面已过期，请再点一次您的评价。"))


@bp.errorhandler(DBAPIError)
def database_unavailable(error: DBAPIError) -> ResponseReturnValue:
    """Offer a tap the database could not take a retry of the same submission (503).

    The page needs no database: it posts the same level and key again, so a retry can never
    record the rating twice. Other database errors are errors (kiosk.errors).
    """
    if not backend_unavailable(error) or request.endpoint != "public.submit_rating":
        return handle_unavailable(error)
    db.session.rollback()
    try:
        tap = Tap.from_form(request.form)
    except RatingError:
        return retry_after(render_error(503))
    attempt = request.form.get("attempt", "0")
    page = render_template(
        "public/retry.html",
        form=fresh_rating_form(tap.key),
        tap=tap,
        levels=LEVEL_LABELS,
        attempt=int(attempt) if attempt.isascii() and attempt.isdigit() and len(attempt) < 3 else 5,
    )
    return retry_after(make_response(page, 503))


def _rating_for(window: Window, key: str) -> tuple[Rating, bool]:
    """Return the key's rating at window and whether its tap replaced one (404 if none)."""
    found = ratings.rating_for_thanks(key) if valid_key(key) else None
    if found is None or found[0].window_id != window.id:
        abort(404)
    return found


@bp.get("/<token>/thanks/<key>")
def thanks(token: str, key: str) -> ResponseReturnValue:
    """Thank the resident; after a 差评, offer the complaint form."""
    window = _window_or_404(token)
    rating, replaced = _rating_for(window, key)
    form = ComplaintForm(formdata=None)
    return render_template(
        "public/thanks.html",
        window=window,
        rating=rating,
        form=form,
        levels=LEVEL_LABELS,
        # This tap replaced the same phone's earlier rating of the window (kept as a revision).
        replaced=replaced,
        notice=resident_notice(window.hall),
    )


@bp.post("/<token>/thanks/<key>")
def submit_complaint(token: str, key: str) -> ResponseReturnValue:
    """Store the complaint that follows a bad rating."""
    window = _window_or_404(token)
    rating, _replaced = _rating_for(window, key)
    if not rating.is_bad:
        abort(400)
    form = ComplaintForm()
    if not form.validate():
        page = render_template(
            "public/thanks.html",
            window=window,
            rating=rating,
            form=form,
            levels=LEVEL_LABELS,
            notice=resident_notice(window.hall),
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

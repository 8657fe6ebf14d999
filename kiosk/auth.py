"""Signing in and out of the staff area, and the role checks that guard it."""

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from kiosk import clock
from kiosk.device_cookie import ResponseT, device_cookie_id, set_device_cookie
from kiosk.extensions import db, login_manager
from kiosk.forms import add_error, filled
from kiosk.models import DISTRICT_ROLES, User
from kiosk.redirects import local_path_or
from kiosk.security_log import security_event
from kiosk.services import anti_stuffing, sign_in_limits
from kiosk.services.privacy import device_hash

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[InputRequired(), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[InputRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """CSRF-only form for the sign-out button."""


def init_login(app: Flask) -> None:
    """Bind Flask-Login: where to send anonymous users and how to load a user."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    # Flask-Login's session protection only marks a session "non-fresh" when the IP or browser
    # changes ("basic"; "strong" would drop it, and phones hop between networks), and nothing
    # here asks for freshness. It would also rewrite every resident's session cookie on their
    # first rating POST. What ends staff sessions for real: the per-user session token checked
    # by load_user (renewed at sign-in, cleared at sign-out) and the idle and absolute timeouts.
    login_manager.session_protection = None
    app.before_request(enforce_session_timeouts)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the active user whose current session token matches the cookie's."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def home_for(user: User) -> str:
    """Return the page a signed-in user starts from: their district's area or the staff area."""
    if user.is_district_user and user.district is not None:
        if user.role == "resident_rep":
            return url_for("district.invitations", slug=user.district.slug)
        return url_for("district.index", slug=user.district.slug)
    return url_for("staff.index")


def safe_next(target: str | None, user: User | None = None) -> str:
    """Return target if it is a path on this site, else the user's home page."""
    return local_path_or(target, home_for(user) if user is not None else url_for("staff.index"))


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to signed-in users holding one of roles (hall admins pass any
    hall role's check; no district account passes, see User.has_role)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def district_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to signed-in district accounts whose role is one of roles.

    Hall accounts, hall admins included, get 403: district roles are held by name only. A view
    with a slug URL parameter shows one district: another district's pages are 404 to its
    users, as another hall's objects are to a hall's.
    """
    unknown = set(roles) - set(DISTRICT_ROLES)
    if unknown:  # a hall role here would be a bug: it could never pass
        raise ValueError(f"not district roles: {', '.join(sorted(unknown))}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            district = current_user.district
            if current_user.role not in roles or district is None:
                abort(403)
            if "slug" in kwargs and kwargs["slug"] != district.slug:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def enforce_session_timeouts() -> None:
    """End a signed-in session that was idle too long or began too long ago."""
    if not current_user.is_authenticated:
        return
    now = _epoch(clock.session_now())
    config = current_app.config
    started = session.get("auth_at", 0)
    seen = session.get("seen_at", started)
    if (
        now - seen > config["SESSION_IDLE_MINUTES"] * 60
        or now - started > config["SESSION_MAX_HOURS"] * 3600
    ):
        logout_user()
        session.clear()
        flash(_l("登录已超时，请重新登录。"))
        return
    session["seen_at"] = now


def _throttled(username: str) -> bool:
    return sign_in_limits.throttled(username, request.remote_addr or "", clock.now())


def _count_failure(username: str, user: User | None) -> None:
    sign_in_limits.count_failure(username, request.remote_addr or "", clock.now())
    # The typed name is not logged (people type passwords into it); a known account's id is.
    security_event("login_failed", warning=True, user_id=user.id if user else None)


def _remember_staff_device(response: ResponseT) -> ResponseT:
    """Mark this browser's device cookie (given one if it has none) as a staff device.

    Ratings from it are then flagged "staff_device" for a while after the session ends
    (kiosk.services.anti_stuffing), as are ratings sent with a live staff session.
    """
    device = device_cookie_id()
    if device is None:
        device = secrets.token_hex(16)
        set_device_cookie(response, device)
    anti_stuffing.mark_staff_device(
        device_hash(current_app.config["SECRET_KEY"], device), clock.now()
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        if _throttled(filled(form.username.data)):
            security_event("login_throttled", warning=True)
            abort(429)
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None or not user.active or not user.check_password(filled(form.password.data)):
            # One message for unknown users and wrong passwords: no hint which it was.
            _count_failure(filled(form.username.data), user)
            db.session.commit()
            add_error(form.password, _l("用户名或密码不正确。"))
            return render_template("auth/login.html", form=form), 400
        session.clear()  # a fresh session at every sign-in, nothing carried over
        login_user(user)
        session["auth_at"] = session["seen_at"] = _epoch(clock.session_now())
        user.last_login_at = clock.now()
        response = _remember_staff_device(redirect(safe_next(request.args.get("next"), user)))
        db.session.commit()
        security_event("login", user_id=user.id, role=user.role)
        return response
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: forget the session here and make any copy of its cookie worthless."""
    form = LogoutForm()
    if not form.validate():
        abort(400)
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
        security_event("logout", user_id=current_user.id)
    logout_user()
    session.clear()
    flash(_l("已退出登录。"))
    return redirect(url_for("auth.login"))

"""Signing in and out of the staff area, and the role checks that guard it."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from kiosk import clock
from kiosk.extensions import db, login_manager
from kiosk.models import User

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
    login_manager.session_protection = "strong"
    app.jinja_env.globals["LogoutForm"] = LogoutForm


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the active user with this id."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the staff home page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.index")


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to signed-in users holding one of roles (admins always pass)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Sign in with username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None or not user.active or not user.check_password(form.password.data):
            # One message for unknown users and wrong passwords: no hint which it was.
            form.password.errors.append(_l("用户名或密码不正确。"))
            return render_template("auth/login.html", form=form), 400
        session.clear()  # a fresh session at every sign-in
        login_user(user)
        user.last_login_at = clock.now()
        db.session.commit()
        return redirect(safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """Sign out and forget the session."""
    form = LogoutForm()
    if not form.validate():
        abort(400)
    logout_user()
    session.clear()
    flash(_l("已退出登录。"))
    return redirect(url_for("auth.login"))

"""Hall management: staff-area accounts and their roles (admins only).

Only hall accounts and hall roles: district accounts are made with `flask users create
--district` and never appear, nor can be given, here.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from kiosk.auth import roles_required
from kiosk.errors import render_error
from kiosk.extensions import db
from kiosk.forms import SelectChoice, add_error, filled
from kiosk.labels import ROLE_LABELS
from kiosk.models import HALL_ROLES, Staff, User
from kiosk.services import accounts as accounts_service
from kiosk.services import people as people_service
from kiosk.services.accounts import AccountError, check_password_strength, minimum_length
from kiosk.staff import bp

NO_STAFF = 0


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, str(ROLE_LABELS[role])) for role in HALL_ROLES]


def _password_problem(password: str, role: str, username: str) -> str | None:
    """Return why the password breaks the policy in kiosk.services.accounts, in Chinese."""
    if len(password) < minimum_length(role):
        return _("密码至少需要%(n)s个字符。", n=minimum_length(role))
    try:
        check_password_strength(password, role, username)
    except AccountError:
        return _("密码太常见或太容易猜到，请换一个。")
    return None


class RoleForm(FlaskForm):
    """The only fields an admin sets on an account besides its name and password."""

    role = SelectField(_l("角色"), choices=_role_choices, validators=[InputRequired()])
    staff_id = SelectField(_l("关联人员（窗口人员必填）"), coerce=int, default=NO_STAFF)

    def fill_choices(self, hall_id: int | None) -> None:
        self.staff_id.choices = [SelectChoice(NO_STAFF, _("不关联"))] + [
            SelectChoice(s.id, f"{s.staff_no} {s.name}") for s in people_service.hall_staff(hall_id)
        ]

    def validate_staff_id(self, field: Field) -> None:
        if self.role.data == "staff" and field.data == NO_STAFF:
            raise ValidationError(_l("窗口人员账户需要关联一名人员。"))


class NewUserForm(RoleForm):
    username = StringField(
        _l("用户名"),
        validators=[
            InputRequired(_l("请填写用户名")),
            Length(max=60),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("用户名只能包含字母、数字和 . _ -")),
        ],
    )
    password = PasswordField(
        _l("密码"), validators=[InputRequired(_l("请填写密码")), Length(max=200)]
    )
    confirm = PasswordField(
        _l("再次输入密码"), validators=[EqualTo("password", message=_l("两次输入的密码不一致"))]
    )

    def validate_username(self, field: Field) -> None:
        if accounts_service.username_taken(field.data or ""):
            raise ValidationError(_l("这个用户名已被使用。"))

    def validate_password(self, field: Field) -> None:
        problem = _password_problem(field.data or "", self.role.data, self.username.data or "")
        if problem:
            raise ValidationError(problem)


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("新密码"), validators=[InputRequired(_l("请填写密码")), Length(max=200)]
    )
    confirm = PasswordField(
        _l("再次输入密码"), validators=[EqualTo("password", message=_l("两次输入的密码不一致"))]
    )


class ActionForm(FlaskForm):
    """CSRF-only form for one-click buttons."""


def _hall_id() -> int:
    hall_id: int | None = current_user.hall_id
    if hall_id is None:
        abort(403)
    return hall_id


def _user_or_404(user_id: int) -> User:
    user = accounts_service.hall_user(current_user.hall_id, user_id)
    if user is None:
        abort(404)
    return user


def _linked_staff(hall_id: int, staff_id: int) -> Staff | None:
    if staff_id == NO_STAFF:
        return None
    staff = people_service.hall_member(hall_id, staff_id)
    if staff is None:
        abort(400)
    return staff


@bp.get("/users")
@roles_required("admin")
def users() -> ResponseReturnValue:
    """List the hall's accounts."""
    return render_template(
        "staff/users/list.html",
        users=accounts_service.hall_users(current_user.hall_id),
        role_labels=ROLE_LABELS,
        action_form=ActionForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def create_account() -> ResponseReturnValue:
    """Create an account with a role and, for window staff, the staff member it belongs to."""
    hall_id = _hall_id()
    form = NewUserForm()
    form.fill_choices(hall_id)
    if form.validate_on_submit():
        try:
            user = accounts_service.add_user(
                hall_id,
                username=filled(form.username.data),
                role=form.role.data,
                password=filled(form.password.data),
                staff=_linked_staff(hall_id, form.staff_id.data),
                actor=current_user,
            )
        except AccountError:  # a race with another admin for the same name
            add_error(form.username, _l("无法创建这个账户，请换一个用户名。"))
        else:
            db.session.commit()
            flash(_("已创建账户 %(name)s。", name=user.username))
            return redirect(url_for("staff.users"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "staff/users/new.html", form=form, min_admin=minimum_length("admin")
    ), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_account(user_id: int) -> ResponseReturnValue:
    """Change an account's role and linked staff member."""
    user = _user_or_404(user_id)
    hall_id = _hall_id()
    form = RoleForm(data={"role": user.role, "staff_id": user.staff_id or NO_STAFF})
    form.fill_choices(hall_id)
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != "admin":
            add_error(form.role, _l("不能取消自己的管理员角色。"))
        else:
            accounts_service.change_role(
                user,
                role=form.role.data,
                staff=_linked_staff(hall_id, form.staff_id.data),
                actor=current_user,
            )
            db.session.commit()
            flash(_("已保存账户 %(name)s。", name=user.username))
            return redirect(url_for("staff.users"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "staff/users/edit.html",
        form=form,
        user=user,
        password_form=PasswordForm(formdata=None),
        action_form=ActionForm(),
    ), status


@bp.post("/users/<int:user_id>/password")
@roles_required("admin")
def reset_account_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for an account (for a clerk who forgot theirs)."""
    user = _user_or_404(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        problem = _password_problem(filled(form.password.data), user.role, user.username)
        if problem:
            add_error(form.password, problem)
        else:
            accounts_service.reset_password(user, filled(form.password.data), actor=current_user)
            db.session.commit()
            flash(_("已重设 %(name)s 的密码。", name=user.username))
            return redirect(url_for("staff.users"))
    role_form = RoleForm(
        formdata=None, data={"role": user.role, "staff_id": user.staff_id or NO_STAFF}
    )
    role_form.fill_choices(user.hall_id)
    return render_template(
        "staff/users/edit.html",
        form=role_form,
        user=user,
        password_form=form,
        action_form=ActionForm(),
    ), 400


@bp.post("/users/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate_account(user_id: int) -> ResponseReturnValue:
    """Stop an account from signing in (never one's own)."""
    user = _user_or_404(user_id)
    if not ActionForm().validate():
        abort(400)
    if user.id == current_user.id:
        return render_error(400, _("不能停用自己的账户。"))
    accounts_service.set_user_active(user, False, actor=current_user)
    db.session.commit()
    flash(_("账户 %(name)s 已停用。", name=user.username))
    return redirect(url_for("staff.users"))


@bp.post("/users/<int:user_id>/reactivate")
@roles_required("admin")
def reactivate_account(user_id: int) -> ResponseReturnValue:
    """Let a deactivated account sign in again."""
    user = _user_or_404(user_id)
    if not ActionForm().validate():
        abort(400)
    accounts_service.set_user_active(user, True, actor=current_user)
    db.session.commit()
    flash(_("账户 %(name)s 已启用。", name=user.username))
    return redirect(url_for("staff.users"))

"""Organiser accounts: log in and out, change the password, API token, user administration."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from ..i18n import safe_next
from ..services import accounts
from .forms import LoginForm, PasswordForm, TokenForm, UserForm

bp = Blueprint("auth", __name__)

ACCOUNT_ERRORS = {
    "bad_email": _l("Enter a valid email address."),
    "email_taken": _l("An account already exists with this email address."),
    "password_too_short": _l("The password needs at least 12 characters."),
    "wrong_password": _l("The current password is not right."),
    "bad_role": _l("Unknown role."),
}


def account_error(code: str) -> str:
    return str(ACCOUNT_ERRORS[code])


def admin_required(view):
    """An administrator's page: others get 404 (the page does not exist for them)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Organisers' log in."""
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.list_campaigns"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = accounts.authenticate(
            form.email.data, form.password.data, request.remote_addr or "", current_app.secret_key
        )
        if result.user is not None:
            login_user(result.user)
            target = safe_next(request.args.get("next"))
            return redirect(url_for("campaigns.list_campaigns") if target == "/" else target)
        if result.outcome == "throttled":
            flash(_("Too many failed attempts: wait 15 minutes before trying again."), "error")
            status = 429
        else:
            flash(_("Unknown email address or wrong password."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/deconnexion")
@login_required
def logout():
    """Log out."""
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("respondent.home"))


@bp.route("/compte", methods=["GET", "POST"])
@login_required
def settings():
    """The organiser's account: password and personal API token."""
    password_form = PasswordForm(prefix="password")
    token_form = TokenForm(prefix="token")
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password" and password_form.validate_on_submit():
            try:
                accounts.change_password(
                    current_user, password_form.current.data, password_form.new.data
                )
            except accounts.AccountError as error:
                password_form.current.errors.append(account_error(error.code))
            else:
                flash(_("Your password is changed."), "success")
                return redirect(url_for(".settings"))
        elif action in ("token", "revoke") and token_form.validate_on_submit():
            if action == "token":
                new_token = accounts.create_api_token(current_user)
            else:
                accounts.revoke_api_token(current_user)
                flash(_("Your API token is revoked."), "success")
                return redirect(url_for(".settings"))
        elif action not in ("password", "token", "revoke"):
            abort(400)
    status = 422 if password_form.errors else 200
    return render_template(
        "auth/settings.html",
        password_form=password_form,
        token_form=token_form,
        new_token=new_token,
    ), status


@bp.route("/admin/utilisateurs", methods=["GET", "POST"])
@admin_required
def users():
    """Administrators: the accounts, and creating one (with a generated password)."""
    form = UserForm()
    created = None
    if form.validate_on_submit():
        password = accounts.generate_password()
        try:
            user = accounts.create_user(form.email.data, password, form.role.data, form.name.data)
        except accounts.AccountError as error:
            form.email.errors.append(account_error(error.code))
        else:
            created = (user, password)
    status = 422 if form.errors else 200
    return render_template(
        "auth/users.html", form=form, users=accounts.all_users(), created=created
    ), status


@bp.post("/admin/utilisateurs/<int:user_id>/<any(activer, desactiver):action>")
@admin_required
def set_active(user_id: int, action: str):
    """Administrators: deactivate or reactivate an account."""
    from ..extensions import db
    from ..models import User

    if not TokenForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id)
    if user is None or user.id == current_user.id:
        abort(404)
    accounts.set_active(user, action == "activer")
    return redirect(url_for(".users"))

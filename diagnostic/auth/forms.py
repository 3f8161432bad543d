"""Forms of the organiser accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(), Length(max=320),
        # No NUL byte: PostgreSQL cannot even look it up.
        Regexp(r"^[^\x00]*$", message=_l("This email address is not valid."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change the password"))


class TokenForm(FlaskForm):
    """Create (or replace) or revoke the personal API token."""


class UserForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(),
            Length(max=320),
            Regexp(r"[^@\s]+@[^@\s]+\.[^@\s]+", message=_l("Enter an email address.")),
        ],
    )
    name = StringField(_l("Name (optional)"), validators=[Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("organiser", _l("Organiser")),
            SelectChoice("admin", _l("Administrator")),
        ],
    )
    submit = SubmitField(_l("Create the account"))

"""Organiser accounts and the record of login attempts (for throttling)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

ROLES = ("organiser", "admin")


class User(UserMixin, db.Model):
    """An organiser (a council, a facilitator) or an administrator. Respondents have no account."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased e-mail address, the login.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    #: Werkzeug hash (scrypt) of the password; the password itself is never kept.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: organiser | admin
    role: Mapped[str] = mapped_column(String(16), default="organiser")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: SHA-256 of the personal API token (the token is shown once, never kept).
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_token_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot log in
        return self.active


class LoginAttempt(db.Model):
    """A login attempt, to slow down password guessing per account and per address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    #: SHA-256 of the client address with the secret key: enough to count, not to identify.
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

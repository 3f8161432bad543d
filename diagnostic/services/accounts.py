"""Organiser accounts: creation, password checks with throttling, personal API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, LoginAttempt, User, utcnow

#: Shortest password accepted (OWASP ASVS 2.1.1).
MIN_PASSWORD_LENGTH = 12
#: Failed logins within the window after which an account, or an address, must wait.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: A hash to compare against when the account does not exist, so that timing tells nothing.
_DUMMY_HASH = generate_password_hash("not a password")


class AccountError(ValueError):
    """A refused account operation; `code` says which rule (for a translated message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(email: str, password: str, role: str = "organiser",
                name: str | None = None) -> User:
    email = normalise_email(email)
    if not EMAIL.fullmatch(email) or len(email) > 320:
        raise AccountError("bad_email")
    if role not in ROLES:
        raise AccountError("bad_role")
    check_new_password(password)
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError("email_taken")
    user = User(email=email, name=(name or "").strip() or None, role=role,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    return user


def address_hash(address: str, secret: str) -> str:
    """The client address keyed with the application's secret: countable, not reversible."""
    return hmac.new(secret.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    #: ok | invalid | throttled
    outcome: str


def _recent_failures(*condition) -> int:
    since = utcnow() - THROTTLE_WINDOW
    return db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, *condition)) or 0


def authenticate(email: str, password: str, address: str, secret: str) -> LoginResult:
    """Check a login, refusing it while the account or the address has failed too often."""
    email = normalise_email(email)[:320]
    keyed = address_hash(address, secret)
    if (_recent_failures(LoginAttempt.email == email) >= MAX_FAILURES_PER_ACCOUNT
            or _recent_failures(LoginAttempt.address_hash == keyed) >= MAX_FAILURES_PER_ADDRESS):
        return LoginResult(None, "throttled")
    user = db.session.scalar(select(User).where(User.email == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    succeeded = bool(user is not None and valid and user.active)
    db.session.add(LoginAttempt(email=email, address_hash=keyed, succeeded=succeeded))
    db.session.commit()
    return LoginResult(user if succeeded else None, "ok" if succeeded else "invalid")


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError("wrong_password")
    check_new_password(new)
    user.password_hash = generate_password_hash(new)
    db.session.commit()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User) -> str:
    """A new personal API token (replacing any previous one); returned once, kept hashed."""
    token = secrets.token_urlsafe(32)
    user.api_token_hash = _token_hash(token)
    user.api_token_created_at = utcnow()
    db.session.commit()
    return token


def revoke_api_token(user: User) -> None:
    user.api_token_hash = None
    user.api_token_created_at = None
    db.session.commit()


def user_for_api_token(token: str) -> User | None:
    if not token or len(token) > 128:
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == _token_hash(token)))
    return user if user is not None and user.active else None


def set_active(user: User, active: bool) -> None:
    user.active = active
    db.session.commit()


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))

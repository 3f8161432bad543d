from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from ..models import User
from .views import bp


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the page is served over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to reach this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(
        lambda user_id: db.session.get(User, int(user_id)) if user_id.isdigit() else None
    )
    app.session_interface = SessionInterface()
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]

"""Language: French by default, English complete; an explicit choice is remembered in a cookie."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, redirect, request
from flask_babel import get_locale

from .extensions import babel

LANGUAGE_COOKIE = "lang"
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=languages[0])


def current_language() -> str:
    """The language of the current request ("fr" or "en")."""
    if "language" not in g:
        g.language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return g.language


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site, a scheme, control characters
    that would break the Location header, an overlong value) gives the home page."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or len(target) > 2000 or any(ord(char) < 32 or ord(char) == 127 for char in target)):
        return "/"
    return target


@bp.route("/langue/<language>")
def switch_language(language: str):
    """Remember the chosen language and go back to the page the visitor was on."""
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def language_context():
        return {"language": current_language(), "current_path": current_path}

    @app.template_filter("tr")
    def translate_label(label) -> str:
        """A questionnaire text (fr + en) in the page's language."""
        return label.text(current_language()) if label is not None else ""


def current_path() -> str:
    """The path and query of the current page, to come back to after switching language."""
    query = request.query_string.decode("utf-8", "replace")
    return request.path + ("?" + query if query else "")

"""Error pages: a readable page in the visitor's language, JSON `{"error", "details"}` on the API.

No stack trace, SQL or internal detail ever reaches the visitor.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("Access refused"),
    404: _l("Page not found"),
    405: _l("Action not allowed here"),
    410: _l("No longer available"),
    413: _l("Too much data sent"),
    415: _l("Unsupported format"),
    422: _l("Some answers need checking"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("Service temporarily unavailable"),
}
MESSAGES = {
    400: _l("The form or link sent is not valid. Go back, check it and try again."),
    403: _l("You do not have access to this page."),
    404: _l(
        "This address does not exist or is no longer valid. If you followed your private "
        "link, check that it was copied in full."
    ),
    405: _l("This page cannot be used this way."),
    410: _l("This content is no longer available."),
    413: _l("What was sent is larger than the 1 MB accepted. Shorten it and try again."),
    415: _l("This format is not accepted."),
    429: _l("Too many requests in a short time. Wait a moment and try again."),
    500: _l(
        "An unexpected error occurred. Your answers already saved are kept. Try again in a moment."
    ),
    503: _l("The service is busy. Your answers already saved are kept. Try again in a moment."),
}
CSRF_MESSAGE = _l(
    "This form has expired or was not sent from this site. Reload the page and try again."
)


def wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, error: str, details=None):
    response = jsonify({"error": error, "details": details if details is not None else {}})
    response.status_code = status
    return response


def _handle_http(error: HTTPException):
    status = error.code or 500
    if wants_json():
        details = getattr(error, "details", None)
        return json_error(status, error.description or error.name, details)
    message = MESSAGES.get(status, error.description)
    if isinstance(error, CSRFError):
        message = CSRF_MESSAGE
    elif getattr(error, "show_description", False):
        message = error.description
    title = TITLES.get(status, error.name)
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    # Covers InternalServerError too: Flask logs an unhandled exception with its trace, then
    # hands this handler a plain 500.
    app.register_error_handler(HTTPException, _handle_http)

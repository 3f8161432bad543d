"""Response headers that keep private links private and pages from being misread."""

from __future__ import annotations

from flask import Flask, Response, request

#: Pages whose address holds a private token, or live figures: never cached.
PRIVATE_PREFIXES = ("/r/", "/a/", "/ateliers/")


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # A private link never leaves the site in a Referer header.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)

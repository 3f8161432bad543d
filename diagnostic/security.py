"""Response headers that keep private links private and pages from being misread or framed;
limits on what a form may send; a reverse proxy's X-Forwarded-* headers, when told to trust them."""

from __future__ import annotations

import io

from flask import Flask, Request, Response, request, session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.middleware.proxy_fix import ProxyFix

#: Pages whose address holds a private token, live figures, and everything behind the organisers'
#: login: never cached. Any other page served to a logged-in organiser is not cached either.
PRIVATE_PREFIXES = (
    "/r/",
    "/a/",
    "/ateliers",
    "/campagnes",
    "/compte",
    "/admin",
    "/connexion",
    "/deconnexion",
    "/api/v1/campaigns",
    "/api/v1/results",
)

#: Scripts and styles from the site's own files only (no inline script, style or handler),
#: images from the site or data: URIs, no plug-in, never framed, forms posted to the site only.
DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(**changes: str) -> str:
    return "; ".join(f"{name} {value}" for name, value in {**DIRECTIVES, **changes}.items())


CONTENT_SECURITY_POLICY = policy()
#: Opened on their own, matplotlib's SVG charts style their shapes inline (black shapes on black
#: otherwise): inline styles, still no script. (PDFs are downloaded, never shown as a page.)
POLICIES = {"image/svg+xml": policy(**{"style-src": "'self' 'unsafe-inline'"})}
#: A year; only sent over HTTPS (a browser ignores it over HTTP).
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def is_private() -> bool:
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    # Flask-Login keeps the organiser's id in the session.
    return request.endpoint != "static" and "_user_id" in session


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", POLICIES.get(response.mimetype, CONTENT_SECURITY_POLICY)
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # A private link never leaves the site in a Referer header.
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if is_private():
        headers["Cache-Control"] = "no-store"
    return response


class FormParser(FormDataParser):
    """Werkzeug counts the parts of multipart forms only: count the fields of urlencoded forms
    too, so that MAX_FORM_PARTS bounds every form."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()  # already limited to MAX_CONTENT_LENGTH
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class LimitedRequest(Request):
    form_data_parser_class = FormParser


def init_app(app: Flask) -> None:
    app.request_class = LimitedRequest
    app.after_request(_headers)
    proxies = app.config.get("PROXY_FIX") or 0
    if proxies:
        # Behind `proxies` reverse proxies: the client's address (login throttling), the scheme
        # (HTTPS: Secure cookie, HSTS), host, port and prefix come from their X-Forwarded-*.
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )

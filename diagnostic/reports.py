"""PDF documents made with WeasyPrint from the same templates as the pages."""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path

from flask import current_app, render_template, request

# The pages' stylesheet has screen-only rules WeasyPrint reports one by one: only errors matter.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def data_uri(svg: bytes) -> str:
    """An SVG image inlined in the document."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _fetcher(static_url: str, static_dir: Path):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        """Serve the application's own static files from disk, and inline data. Nothing else is
        fetched: a PDF must not make the server call itself, nor reach anywhere else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if not url.startswith(static_url):
                raise ValueError(f"not fetched: {url}")
            path = (static_dir / url[len(static_url) :].split("?")[0].split("#")[0]).resolve()
            if static_dir not in path.parents or not path.is_file():
                raise ValueError(f"not found: {url}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return StaticFetcher()


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_template(template, **context)
    fetcher = _fetcher(
        request.url_root.rstrip("/") + "/static/", Path(current_app.static_folder).resolve()
    )
    return HTML(string=html, base_url=request.url_root, url_fetcher=fetcher).write_pdf()

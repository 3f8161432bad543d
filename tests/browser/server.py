"""Serve the application on a free local port from a thread, for browser tests and screenshots."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import make_app


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@contextlib.contextmanager
def live_app(directory: Path) -> Iterator[str]:
    """The application on SQLite in `directory`, with every territory loaded; yields its URL."""
    from diagnostic.cli import init_db

    app = make_app(
        f"sqlite:///{directory / 'live.sqlite3'}", directory / "instance", SERVER_NAME=None
    )
    with app.app_context():
        init_db()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)

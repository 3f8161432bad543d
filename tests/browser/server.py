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


#: Synthetic responses seeded in the live application, so that benchmarks show.
DEMO_RESPONSES = 1500
#: The organiser account of the live application.
ORGANISER = ("organisatrice@example.org", "une phrase de passe bien longue")
#: Its campaign on the Métropole de Lyon, with synthetic responses through its links.
DEMO_CAMPAIGN = "Diagnostic de la Métropole de Lyon"
DEMO_CAMPAIGN_RESPONSES = 400


@contextlib.contextmanager
def live_app(directory: Path, demo_responses: int = DEMO_RESPONSES, **config) -> Iterator[str]:
    """The application on SQLite in `directory`, with every territory loaded and demo
    responses; yields its URL. `config` overrides settings (MIN_GROUP_SIZE…)."""
    from diagnostic.cli import init_db
    from diagnostic.services.accounts import create_user
    from diagnostic.services.campaigns import create_campaign
    from diagnostic.services.demo import seed_demo
    from diagnostic.services.territories import get_territory

    app = make_app(
        f"sqlite:///{directory / 'live.sqlite3'}",
        directory / "instance",
        SERVER_NAME=None,
        **config,
    )
    with app.app_context():
        init_db()
        seed_demo(demo_responses, seed=1)
        organiser = create_user(*ORGANISER, role="organiser", name="Organisatrice")
        campaign = create_campaign(
            organiser,
            DEMO_CAMPAIGN,
            get_territory("epci:200046977"),
            {actor: actor for actor in ("citoyen", "entreprise", "association", "elu")},
        )
        seed_demo(DEMO_CAMPAIGN_RESPONSES, seed=2, campaign_id=campaign.id)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)

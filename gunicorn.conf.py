"""gunicorn settings for `make serve` (see docs/production.md).

    gunicorn --config gunicorn.conf.py [APP]      # APP defaults to diagnostic:create_app()

HOST (127.0.0.1) and PORT (5000) say where to listen, WORKERS how many worker processes
(2 per CPU core by default); DATABASE_URL, SECRET_KEY… configure the application as for
`flask run`. Other gunicorn options go on the command line or in GUNICORN_CMD_ARGS.

The master process brings the database up to date once, before any worker starts — the same
migrations and reference data as `flask --app diagnostic init-db` — so that workers never create
tables and several of them can start together on an empty database.
"""

from __future__ import annotations

import os

from diagnostic.config import positive_int


def cpu_cores() -> int:
    """The cores this process may run on (a container's share, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "diagnostic:create_app()"
bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{positive_int('PORT', 5000)}"]
workers = positive_int("WORKERS", 2 * cpu_cores())
# The errors (and tracebacks) go to standard error; `make serve` adds the access log.
errorlog = "-"
# Recent gunicorn opens a control socket for `gunicornc` at one path per user, which every
# gunicorn of that user would share: off (delete this line and give `--control-socket PATH`).
control_socket_disable = True


def on_starting(server) -> None:
    """Migrate the schema and load the reference data, in the master, before the workers."""
    from diagnostic.cli import init_db
    from diagnostic.extensions import db

    app = server.app.load_wsgiapp()  # the application gunicorn serves, with its settings
    with app.app_context():
        counts = init_db()
        db.session.remove()
        # Forked workers must not share the master's connections: they open their own.
        db.engine.dispose()
    server.log.info(
        "Database schema up to date%s",
        "; loaded " + ", ".join(f"{count} {name}" for name, count in counts.items())
        if counts
        else "",
    )

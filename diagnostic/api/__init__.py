from flask import Flask

from ..extensions import csrf
from . import maps  # noqa: F401  (registers the map routes on bp)
from .views import bp


def init_app(app: Flask) -> None:
    # The API takes JSON without cookies: nothing for a cross-site form to ride on.
    csrf.exempt(bp)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]

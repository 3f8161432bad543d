"""Maps of the fragility index, as SVG: `GET /api/v1/maps/<level>.svg?domain=<domain>`."""

from __future__ import annotations

from flask import Response, abort, request

from .. import maps
from ..explorer.display import MEAN, map_svg
from ..registry import catalog
from .views import InvalidRequest, bp

#: The levels as the URL writes them.
MAP_LEVELS = {"regions": "region", "departements": "departement"}


@bp.get("/maps/<level>.svg")
def get_map(level: str):
    """The map of France by region or department coloured by the fragility index of a domain
    (or the mean over the domains), each territory a link to its profile, as SVG."""
    if level not in MAP_LEVELS:
        abort(404, description="Unknown map: regions.svg or departements.svg")
    level = MAP_LEVELS[level]
    domains = list(catalog().vocabulary.domains)
    domain = request.args.get("domain", MEAN)
    if domain not in (*domains, MEAN):
        raise InvalidRequest(
            "Unknown domain", {"domain": "one of " + ", ".join([*domains, MEAN])}
        )
    current = request.args.get("current") or None
    if current is not None and current not in maps.feature_codes(level):
        raise InvalidRequest(
            "Unknown territory",
            {"current": f"the INSEE code of a {level} on the map, such as "
                        f"{'84' if level == 'region' else '69'}"},
        )
    response = Response(map_svg(level, domain, current), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    # The words follow the visitor's language (cookie, else Accept-Language).
    response.vary.update(("Cookie", "Accept-Language"))
    return response

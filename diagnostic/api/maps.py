"""Maps of the fragility index, as SVG: `GET /api/v1/maps/<level>.svg?domain=<domain>`."""

from __future__ import annotations

import threading
from collections import OrderedDict

from babel.numbers import get_decimal_symbol
from flask import Response, abort, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import maps
from ..i18n import current_language
from ..registry import catalog
from ..services.maps import MEAN, level_fragility, reference_state
from .views import InvalidRequest, bp

#: The levels as the URL writes them.
MAP_LEVELS = {"regions": "region", "departements": "departement"}
#: Rendered maps kept per worker (a map takes a tenth of a second or two to draw).
CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _labels(level: str, domain: str) -> maps.MapLabels:
    if domain == MEAN:
        subject = _("mean over the 16 domains (those with data)")
    else:
        subject = catalog().vocabulary.domains[domain].text(current_language())
    title = (
        _("Fragility index by region: %(domain)s", domain=subject)
        if level == "region"
        else _("Fragility index by department: %(domain)s", domain=subject)
    )
    return maps.MapLabels(
        title=title,
        legend_title=_("Fragility index (100 = France)"),
        no_data=_("data not available"),
        less_fragile=_("less fragile than France"),
        more_fragile=_("more fragile than France"),
        territory_title=_("%(name)s: %(value)s", name="{name}", value="{value}"),
        decimal_mark=get_decimal_symbol(get_locale()),
        paris_caption=_("Paris and its inner suburbs"),
    )


def _href(level: str):
    """Links to the territory profiles (the explorer's pages)."""
    if "explorer.profile" in current_app.view_functions:
        return lambda code: url_for("explorer.profile", key=f"{level}:{code}")
    return lambda code: f"{request.script_root}/territoires/{level}:{code}"


def _render(level: str, domain: str, current: str | None) -> bytes:
    fragility = level_fragility(level, list(catalog().vocabulary.domains))
    key = (reference_state(), level, domain, current, current_language(), request.script_root)
    cache: OrderedDict = current_app.extensions.setdefault("fragility_maps", OrderedDict())
    with _CACHE_LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    svg = maps.choropleth(
        level,
        fragility.values(domain),
        href=_href(level),
        labels=_labels(level, domain),
        names=fragility.names,
        current=current,
    )
    with _CACHE_LOCK:
        cache[key] = svg
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return svg


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
    response = Response(_render(level, domain, current), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    # The words follow the visitor's language (cookie, else Accept-Language).
    response.vary.update(("Cookie", "Accept-Language"))
    return response

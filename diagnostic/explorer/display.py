"""The maps of the explorer's pages: drawn by `diagnostic.maps` (the same words as the map API),
put inline — their territories are links, dead in an `<img>` — and kept per worker while the
reference data and the language stay the same."""

from __future__ import annotations

import threading
from collections import OrderedDict

from babel.numbers import get_decimal_symbol
from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .. import maps
from ..i18n import current_language
from ..registry import catalog
from ..services.maps import MEAN, level_fragility, reference_state

#: Rendered maps kept per worker (drawing one takes a tenth of a second or two).
CACHE_SIZE = 64
_LOCK = threading.Lock()

__all__ = ["MEAN", "class_label", "domain_subject", "map_of", "map_svg", "map_values"]


def map_values(level: str, domain: str) -> dict[str, float | None]:
    """The index of `domain` (or the mean over the domains) of every territory of a level."""
    return level_fragility(level, list(catalog().vocabulary.domains)).values(domain)


def domain_subject(domain: str) -> str:
    if domain == MEAN:
        return _("mean over the 16 domains (those with data)")
    return catalog().vocabulary.domains[domain].text(current_language())


def _labels(level: str, domain: str) -> maps.MapLabels:
    subject = domain_subject(domain)
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


def map_svg(level: str, domain: str, current: str | None = None) -> bytes:
    """The choropleth of a level for a domain (or the mean), each territory linked to its
    profile, `current` outlined: an SVG document, kept per worker (the explorer's pages and the
    map API draw the same maps)."""
    if current is not None and current not in maps.feature_codes(level):
        current = None
    key = (reference_state(), level, domain, current, current_language(), request.script_root)
    cache: OrderedDict = current_app.extensions.setdefault("fragility_maps", OrderedDict())
    with _LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    svg = maps.choropleth(
        level,
        map_values(level, domain),
        href=lambda code: url_for("explorer.profile", key=f"{level}:{code}"),
        labels=_labels(level, domain),
        names=level_fragility(level, list(catalog().vocabulary.domains)).names,
        current=current,
    )
    with _LOCK:
        cache[key] = svg
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return svg


def map_of(level: str, domain: str, current: str | None = None) -> Markup:
    """The map of `map_svg`, to put inline in a page: its territories are links, dead in an
    `<img>`. Safe: the map escapes the names and titles it writes."""
    return Markup(maps.html_fragment(map_svg(level, domain, current)))


def class_label(index: float | None) -> str:
    """The legend class of an index, in words: « 90 to 100 · less fragile than France »."""
    name = maps.fragility_class(index)
    if name is None:
        return _("data not available")
    lower, upper = maps.class_range(name)
    side = (_("less fragile than France") if name in maps.LESS_FRAGILE
            else _("more fragile than France"))
    if lower is None:
        span = _("below %(upper)d", upper=upper)
    elif upper is None:
        span = _("%(lower)d or more", lower=lower)
    else:
        span = _("%(lower)d to %(upper)d", lower=lower, upper=upper)
    return f"{span} · {side}"

"""The explorer's charts, worded in the page's language, drawn from the protected figures."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from .. import charts
from ..registry import catalog
from ..services.explorer import Compared, Profile


def _domain_labels(language: str) -> dict[str, str]:
    return {domain: label.text(language) for domain, label in catalog().vocabulary.domains.items()}


def comparison(compared: Sequence[Compared], language: str) -> bytes:
    labels = _domain_labels(language)
    return charts.fragility_indices(
        list(labels.values()),
        [(item.territory.name, [item.fragility[domain].index for domain in labels])
         for item in compared],
        title=_("Fragility index by domain (100 = France)"),
        france_label=_("France = 100"),
        not_available=_("not available"),
    )


def render(name: str, page: Profile, language: str) -> bytes:
    """`indices`: the territory's index of each domain; `regards`: each actor type's mean
    rating of each domain (protected cells hatched) beside the index."""
    if name == "indices":
        return comparison([Compared(page.territory, page.fragility)], language)
    view = page.perceived
    vocabulary = catalog().vocabulary
    return charts.perception_heatmap(
        [vocabulary.domains[row.domain].text(language) for row in view.domains],
        [vocabulary.actor_plurals[actor].text(language) for actor in view.actors],
        [[charts.HeatCell(row.groups[actor].mean.value,
                          row.groups[actor].mean.suppressed or actor in view.left_out)
          for actor in view.actors] for row in view.domains],
        [row.index for row in view.domains],
        suppressed_label=_("< %(n)d", n=view.min_size),
        index_title=_("Index"),
    )

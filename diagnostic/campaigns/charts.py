"""The dashboard's charts, worded in the page's language, drawn from the protected summary."""

from __future__ import annotations

from flask_babel import gettext as _

from scoring import AXES

from .. import charts
from ..registry import catalog
from ..services.campaigns import CampaignSummary


def _actor_labels(summary: CampaignSummary, language: str) -> dict[str, str]:
    vocabulary = catalog().vocabulary
    return {actor: vocabulary.actor_plurals[actor].text(language) for actor in summary.responses}


def render(name: str, summary: CampaignSummary, language: str) -> bytes:
    vocabulary = catalog().vocabulary
    actors = _actor_labels(summary, language)
    if name == "participation":
        return charts.participation_timeline(
            summary.timeline, actors, _("Responses received, day after day")
        )
    if name == "regards":
        columns = [*actors.values(), _("All")]
        cells = [
            [
                charts.HeatCell(row.groups[actor].mean.value, row.groups[actor].mean.suppressed)
                for actor in actors
            ]
            + [charts.HeatCell(row.total.mean.value, row.total.mean.suppressed)]
            for row in summary.domains
        ]
        return charts.perception_heatmap(
            [vocabulary.domains[row.domain].text(language) for row in summary.domains],
            columns,
            cells,
            [row.index for row in summary.domains],
            suppressed_label=_("< %(n)d", n=summary.min_size),
            index_title=_("Index"),
        )
    panels = {}
    for axis in AXES:
        ranges = []
        for actor, label in actors.items():
            profile = summary.profiles[actor][axis]
            references = summary.references.get(actor, {}).get(axis, {})
            region, country = references.get("region"), references.get("pays")
            ranges.append(
                charts.Range(
                    label,
                    actor,
                    profile.median,
                    profile.q1,
                    profile.q3,
                    (
                        region.median if region is not None and not region.suppressed else None,
                        country.median if country is not None and not country.suppressed else None,
                    ),
                    suppressed=profile.suppressed,
                )
            )
        panels[axis] = ranges
    return charts.impact_ranges(
        panels,
        {axis: vocabulary.axes[axis].text(language) for axis in AXES},
        (_("regional median"), _("national median")),
        suppressed_label=_("fewer than %(n)d", n=summary.min_size),
    )

"""The charts of a results page, worded in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _

from scoring import AXES

from .. import charts
from ..registry import catalog
from ..services.results import ResultsView
from ..templating import class_labels


def radar(view: ResultsView, language: str) -> bytes:
    vocabulary = catalog().vocabulary
    references = []
    region_medians = {
        axis: view.benchmarks[axis].region.median
        for axis in AXES
        if view.benchmarks[axis].region is not None and not view.benchmarks[axis].region.suppressed
    }
    if region_medians and view.region is not None:
        references.append((_("Median, %(region)s", region=view.region.name), region_medians))
    national_medians = {
        axis: view.benchmarks[axis].national.median
        for axis in AXES
        if not view.benchmarks[axis].national.suppressed
    }
    if national_medians:
        references.append((_("Median, France"), national_medians))
    return charts.impact_radar(
        {axis: view.scores[axis].score for axis in AXES},
        {axis: label.text(language) for axis, label in vocabulary.axes.items()},
        no_data_label=_("insufficient data"),
        references=references,
        own_label=_("You"),
    )


def domains(view: ResultsView, language: str) -> bytes:
    vocabulary = catalog().vocabulary
    rows = [
        charts.DomainRow(
            vocabulary.domains[item.domain].text(language),
            item.perceived,
            item.index,
            item.classification,
        )
        for item in view.domains
    ]
    return charts.domain_comparison(
        rows,
        (_("Your rating (0 to 10)"), _("Fragility index (100 = France)")),
        not_available=_("not available"),
        class_labels=class_labels(),
    )

"""The territory explorer: the map of France by region or department, a territory's profile
(structure, fragility index, what respondents perceive there), the comparison of a few
territories, and the way from a profile into a self-diagnosis."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from ..charts import fragility_indices_size
from ..i18n import current_language
from ..registry import catalog
from ..services import explorer, reference, territories
from ..templating import class_labels, local
from . import charts as charts_for
from .display import MEAN, class_label, domain_subject, map_of, map_values

bp = Blueprint("explorer", __name__)


def _territory(key: str):
    """The territory of a page: a region, department, EPCI or commune (404 otherwise)."""
    territory = territories.get_territory(key)
    if territory is None or territory.level == "pays":
        abort(404)
    return territory


def _compared():
    """The territories of `t=`, and None; or none and why they cannot be compared."""
    try:
        return explorer.compared_territories(request.args.getlist("t")), None
    except explorer.ComparisonError as error:
        return [], error


@bp.get("/territoires")
def index():
    """The map of the fragility index by region or department, for a domain or the mean of the
    16, with every territory's value in a table; and a search for any territory."""
    level = request.args.get("niveau") or "region"
    domain = request.args.get("domaine") or MEAN
    domains = catalog().vocabulary.domains
    if level not in explorer.COMPARED_LEVELS or (domain != MEAN and domain not in domains):
        abort(400)
    query = (request.args.get("q") or "").strip()[:100]
    matches = territories.search_territories(query, territories.LEVELS[1:]) if query else []
    if len(matches) == 1:
        return redirect(url_for(".profile", key=matches[0].key))
    values = map_values(level, domain)
    return render_template(
        "explorer/index.html",
        level=level,
        domain=domain,
        subject=domain_subject(domain),
        query=query,
        matches=matches,
        rows=explorer.level_rows(level, values),
        map_svg=map_of(level, domain),
        mean=MEAN,
        vocabulary=catalog().vocabulary,
        class_label=class_label,
    )


@bp.get("/territoires/<key>")
def profile(key: str):
    """A territory's page: where it lies, its structure, its fragility index and what the
    application's respondents perceive there, each figure with its source."""
    territory = _territory(key)
    page = explorer.profile(territory, catalog(), current_app.config["MIN_GROUP_SIZE"])
    map_svg = None
    if territory.level in explorer.COMPARED_LEVELS:
        map_svg = map_of(territory.level, MEAN, current=territory.code)
    return render_template(
        "explorer/profile.html",
        page=page,
        map_svg=map_svg,
        vocabulary=catalog().vocabulary,
        questionnaires=catalog().latest("full"),
        indicators=reference.indicator_labels(),
        class_labels=class_labels(),
        min_group_size=current_app.config["MIN_GROUP_SIZE"],
        chart_size=fragility_indices_size(len(catalog().vocabulary.domains), 1),
    )


@bp.get("/territoires/<key>/<any(indices, regards):name>.svg")
def profile_chart(key: str, name: str):
    """A chart of a region's or department's page, as SVG: its fragility index against France
    (`indices`), or the ratings of each actor type beside it (`regards`)."""
    territory = _territory(key)
    if territory.level not in explorer.PERCEIVED_LEVELS:
        abort(404)
    page = explorer.profile(territory, catalog(), current_app.config["MIN_GROUP_SIZE"])
    if page.counting and name == "regards":
        abort(503)  # being counted (see the page)
    return Response(charts_for.render(name, page, current_language()), mimetype="image/svg+xml")


@bp.get("/territoires/<key>/diagnostic")
def start_diagnostic(key: str):
    """« Faire le diagnostic de mon organisation sur ce territoire »: the self-diagnosis of the
    actor type chosen, with the territory filled in."""
    territory = _territory(key)
    actor = request.args.get("acteur") or ""
    questionnaire = next((q for q in catalog().latest("full") if q.actor == actor), None)
    if questionnaire is None:
        abort(400)
    return redirect(url_for("respondent.start", questionnaire_id=questionnaire.id,
                            territoire=territory.key))


@bp.get("/territoires/comparer")
def compare():
    """Up to four regions or departments side by side, with a search to add one."""
    chosen, error = _compared()
    keys = [territory.key for territory in chosen]
    query = (request.args.get("q") or "").strip()[:100]
    matches = []
    if query and error is None:
        matches = [match for match in territories.search_territories(
            query, explorer.COMPARED_LEVELS) if match.key not in keys]
        if len(matches) == 1 and len(keys) < explorer.MAX_COMPARED:
            return redirect(url_for(".compare", t=[*keys, matches[0].key]))
    elif "q" in request.args and error is None:
        # The form sent with a suggestion picked (or nothing typed): the comparison's own address.
        return redirect(url_for(".compare", t=keys))
    compared = explorer.comparison(chosen, list(catalog().vocabulary.domains))
    return render_template(
        "explorer/compare.html",
        compared=compared,
        keys=keys,
        query=query,
        matches=matches,
        error=error,
        max_compared=explorer.MAX_COMPARED,
        indicators=reference.indicator_labels(),
        vocabulary=catalog().vocabulary,
        chart_size=fragility_indices_size(len(catalog().vocabulary.domains), len(compared)),
    ), 400 if error else 200


@bp.get("/territoires/comparer.svg")
def compare_chart():
    """The indices of the compared territories side by side, as SVG."""
    chosen, error = _compared()
    if error is not None or not chosen:
        abort(400)
    compared = explorer.comparison(chosen, list(catalog().vocabulary.domains))
    return Response(charts_for.comparison(compared, current_language()),
                    mimetype="image/svg+xml")


@bp.get("/territoires/comparer.csv")
def compare_csv():
    """The figures of the comparison, with their units, years and sources, as CSV."""
    chosen, error = _compared()
    if error is not None or not chosen:
        abort(400)
    compared = explorer.comparison(chosen, list(catalog().vocabulary.domains))
    labels = reference.indicator_labels()
    rows = explorer.comparison_rows(
        compared,
        {domain: label.text(current_language())
         for domain, label in catalog().vocabulary.domains.items()},
        lambda key: local(labels[key], "label") if key in labels else key,
    )
    name = "-".join(territory.key.replace(":", "-") for territory in chosen)
    return Response(
        explorer.comparison_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="comparaison-{name}.csv"'},
    )

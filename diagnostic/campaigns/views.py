"""Campaigns: organisers create them, share one link per actor type, read the dashboard, export;
respondents join through the public links."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from .. import reports
from ..forms import SubmissionForm
from ..i18n import current_language
from ..models import utcnow
from ..registry import catalog
from ..services import campaigns, exports, privacy, reference, responses, territories
from . import charts as charts_for
from .forms import campaign_form

bp = Blueprint("campaigns", __name__)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _campaign(public_id: str):
    """The campaign if the logged-in organiser may see it; 404 otherwise (never 403: its
    existence is not disclosed)."""
    campaign = campaigns.campaign_for(current_user, public_id)
    if campaign is None:
        abort(404)
    return campaign


def _filters(campaign) -> tuple[campaigns.Filters, list[territories.Match]]:
    """The dashboard's filters from the query string; unknown values are a 400."""
    actor = request.args.get("acteur") or None
    if actor is not None and actor not in {link.actor for link in campaign.links}:
        abort(400)
    scope = territories.get_territory(campaign.territory)
    place = None
    choices: list[territories.Match] = []
    key = request.args.get("lieu") or None
    query = (request.args.get("lieu_q") or "").strip()[:100]
    if query:
        choices = territories.search_territories(
            query, ("commune", "epci", "departement"), within=scope
        )
        if len(choices) == 1:
            key = choices[0].key
            choices = []
    if key:
        place = territories.get_territory(key)
        if place is None or place.key == scope.key or not campaigns.contains(scope, place):
            abort(400)
    return campaigns.Filters(actor=actor, territory=place), choices


@bp.get("/campagnes")
@login_required
def list_campaigns():
    """The organiser's campaigns (all of them for an administrator)."""
    items = campaigns.campaigns_of(current_user)
    return render_template(
        "campaigns/list.html",
        campaigns=items,
        counts={c.id: campaigns.response_counts(c) for c in items},
        territories={c.id: territories.get_territory(c.territory) for c in items},
    )


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
@login_required
def new_campaign():
    """Create a campaign: its territory, title, period, actor types and questionnaires."""
    form = campaign_form(catalog(), current_language())
    status = 200
    if request.method == "POST":
        if form.validate():
            chosen = form.chosen()
            if not chosen:
                form.form_errors.append(_("Choose at least one actor type."))
            else:
                territory = territories.get_territory(form.territory.data)
                campaign = campaigns.create_campaign(
                    current_user,
                    form.title.data,
                    territory,
                    chosen,
                    form.starts_on.data,
                    form.ends_on.data,
                )
                flash(_("Campaign created: share its links."), "success")
                return redirect(url_for(".links", public_id=campaign.public_id))
        status = 400 if form.csrf_token.errors else 422
    return render_template("campaigns/form.html", form=form), status


@bp.get("/campagnes/<public_id>")
@login_required
def dashboard(public_id: str):
    """The campaign's dashboard: participation, regards croisés, impacts, alliances."""
    campaign = _campaign(public_id)
    filters, choices = _filters(campaign)
    summary = campaigns.summary(
        campaign, filters, catalog(), current_app.config["MIN_GROUP_SIZE"], with_comments=True
    )
    return render_template(
        "campaigns/dashboard.html",
        summary=summary,
        choices=choices,
        vocabulary=catalog().vocabulary,
        action_form=ActionForm(),
        chart_args=_chart_args(filters),
        national=campaigns.national_figures(campaign),
    )


def _chart_args(filters: campaigns.Filters) -> dict[str, str]:
    args = {}
    if filters.actor:
        args["acteur"] = filters.actor
    if filters.territory is not None:
        args["lieu"] = filters.territory.key
    return args


@bp.get("/campagnes/<public_id>/<any(participation, regards, impacts):name>.svg")
@login_required
def chart(public_id: str, name: str):
    """A chart of the dashboard, as SVG, for the same filters."""
    campaign = _campaign(public_id)
    filters, _choices = _filters(campaign)
    summary = campaigns.summary(campaign, filters, catalog(), current_app.config["MIN_GROUP_SIZE"])
    return Response(charts_for.render(name, summary, current_language()), mimetype="image/svg+xml")


@bp.get("/campagnes/<public_id>/liens")
@login_required
def links(public_id: str):
    """The public link and QR code of each actor type."""
    campaign = _campaign(public_id)
    return render_template(
        "campaigns/links.html",
        campaign=campaign,
        territory=territories.get_territory(campaign.territory),
        vocabulary=catalog().vocabulary,
        catalog=catalog(),
        action_form=ActionForm(),
    )


@bp.get("/campagnes/<public_id>/qr/<actor>.<any(svg, png):kind>")
@login_required
def qr_code(public_id: str, actor: str, kind: str):
    """The QR code of an actor type's public link."""
    campaign = _campaign(public_id)
    link = next((link for link in campaign.links if link.actor == actor), None)
    if link is None:
        abort(404)
    buffer = io.BytesIO()
    code = segno.make(url_for(".join", slug=link.slug, _external=True), error="m")
    if kind == "svg":
        code.save(
            buffer,
            kind="svg",
            scale=6,
            border=2,
            dark="#1d2433",
            xmldecl=True,
            title=_(
                "QR code of the link for %(actor)s",
                actor=catalog().vocabulary.actor_plurals[actor].text(current_language()),
            ),
        )
        return Response(buffer.getvalue(), mimetype="image/svg+xml")
    code.save(buffer, kind="png", scale=10, border=2)
    return Response(
        buffer.getvalue(),
        mimetype="image/png",
        headers={
            "Content-Disposition": f'attachment; filename="qr-{campaign.public_id}-{actor}.png"'
        },
    )


@bp.post("/campagnes/<public_id>/<any(ouvrir, fermer):action>")
@login_required
def set_status(public_id: str, action: str):
    """Open or close a campaign to new answers."""
    campaign = _campaign(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    campaigns.set_open(campaign, action == "ouvrir")
    flash(
        _("The campaign is open to answers.")
        if campaign.is_open
        else _("The campaign is closed: its links no longer take answers."),
        "success",
    )
    return redirect(url_for(".dashboard", public_id=public_id))


@bp.post("/campagnes/<public_id>/supprimer")
@login_required
def delete(public_id: str):
    """Delete the campaign and all its responses: the button asks to confirm (saying how many
    responses go), the confirmation deletes them (the reference groups follow)."""
    campaign = _campaign(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirmer") != "oui":
        return render_template("campaigns/delete.html", campaign=campaign, action_form=form,
                               count=privacy.campaign_count(campaign),
                               territory=territories.get_territory(campaign.territory))
    title = campaign.title
    removed = privacy.delete_campaign(campaign)
    flash(ngettext("The campaign « %(title)s » and its %(num)d response were deleted.",
                   "The campaign « %(title)s » and its %(num)d responses were deleted.",
                   removed, title=title), "success")
    return redirect(url_for(".list_campaigns"), 303)


@bp.get("/campagnes/<public_id>/export.<any(csv, xlsx):kind>")
@login_required
def export(public_id: str, kind: str):
    """The campaign's answers, one row per response, with a codebook (no token, no address)."""
    campaign = _campaign(public_id)
    table = exports.campaign_table(campaign, catalog(), current_app.config["MIN_GROUP_SIZE"])
    name = f"campagne-{campaign.public_id}"
    if kind == "csv":
        return Response(
            exports.to_csv(table),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        exports.to_xlsx(table),
        headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
        },
    )


@bp.get("/campagnes/<public_id>/rapport.pdf")
@login_required
def report(public_id: str):
    """The campaign report, in the spirit of the Observatoire's regional reports."""
    campaign = _campaign(public_id)
    summary = campaigns.summary(
        campaign, campaigns.Filters(), catalog(), current_app.config["MIN_GROUP_SIZE"]
    )
    language = current_language()
    context = {
        "summary": summary,
        "vocabulary": catalog().vocabulary,
        "national": campaigns.national_figures(campaign),
        "profile": reference.territory_profile(summary.territory),
        "charts": {
            name: reports.data_uri(charts_for.render(name, summary, language))
            for name in ("participation", "regards", "impacts")
        },
        "now": utcnow(),
    }
    pdf = reports.render_pdf("campaigns/report_pdf.html", context)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="rapport-{campaign.public_id}.pdf"'},
    )


# --------------------------------------------------------------------------- respondents


@bp.route("/c/<slug>", methods=["GET", "POST"])
def join(slug: str):
    """A campaign's public link: presents it and starts a response attached to it."""
    link = campaigns.link_by_slug(slug)
    if link is None:
        abort(404)
    campaign = link.campaign
    territory = territories.get_territory(campaign.territory)
    if not campaign.is_open:
        return render_template("campaigns/closed.html", campaign=campaign, territory=territory), 410
    questionnaire = catalog().get(link.questionnaire_id)
    if questionnaire is None:
        abort(410)
    form = SubmissionForm()
    if form.validate_on_submit():
        prefilled = territory if territory.level == "commune" else None
        # Sent twice (double tap, back button): the response the first one started.
        _response, token = responses.start_response(
            questionnaire, current_language(), campaign.id, prefilled,
            token=form.token(current_app.secret_key, f"campaign:{link.slug}"),
        )
        return redirect(url_for("respondent.section", token=token, number=1))
    return render_template(
        "campaigns/join.html",
        campaign=campaign,
        territory=territory,
        questionnaire=questionnaire,
        form=form.with_new_key(),
        link=link,
    )

"""The respondent journey: home, questionnaire page by page, pause and resume, results."""

from __future__ import annotations

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
from flask_wtf import FlaskForm

from questionnaires import Questionnaire, next_section_index, shown_questions

from .. import reports
from ..database import DatabaseBusy, retrying
from ..forms import SubmissionForm, build_section_form, field_name
from ..i18n import current_language
from ..models import Response as ResponseRecord
from ..models import Territory
from ..registry import catalog
from ..services import campaigns, privacy, reference, responses, results, territories
from ..templating import class_labels
from . import charts as charts_for

bp = Blueprint("respondent", __name__)

ACTIONS = ("next", "previous", "pause", "search")


class StartForm(SubmissionForm):
    """Starting a questionnaire: nothing to fill in, the CSRF token and the idempotency key."""


class RedoForm(FlaskForm):
    """Starting the self-diagnosis again from the results page."""


class DeleteForm(FlaskForm):
    """Deleting one's answers: the CSRF token (and `confirmer=oui` once confirmed)."""


def _load(token: str) -> tuple[ResponseRecord, Questionnaire]:
    """The response of a private token and the questionnaire version it was answered with."""
    response = responses.find_response(token)
    if response is None:
        abort(404)
    questionnaire = catalog().get(response.questionnaire_id, response.questionnaire_version)
    if questionnaire is None:
        abort(410)
    return response, questionnaire


def _territory_lookups(response: ResponseRecord, hint: Territory | None = None):
    """How the territory question finds and checks a commune: anywhere, or inside the territory
    of the campaign the response came through. A `hint` (the territory whose profile the
    respondent came from) only narrows the search: any commune is still accepted. Returns
    (find, describe, search args, scope)."""
    scope = None
    if response.campaign is not None:
        scope = territories.get_territory(response.campaign.territory)
    searched = scope or hint

    def find(query: str) -> list[territories.Match]:
        return territories.search_territories(query, ("commune",), within=searched)

    def describe(key: str) -> territories.Match | None:
        territory = territories.get_territory(key)
        if territory is None or (scope is not None and not campaigns.within(scope, territory)):
            return None
        return territories.as_match(territory)

    return find, describe, ({"within": searched.key} if searched is not None else {}), scope


#: Levels of a `territoire=` hint that narrow the search for the respondent's commune.
HINT_LEVELS = ("epci", "departement", "region")


def _territory_hint(key: str | None) -> Territory | None:
    """The territory a questionnaire was started from (`?territoire=level:code`, from a territory
    profile): a commune, or an EPCI, department or region to choose the commune in. Anything
    else is ignored."""
    territory = territories.get_territory(key) if key else None
    if territory is None or territory.level not in ("commune", *HINT_LEVELS):
        return None
    return territory


@bp.get("/")
def home():
    """Home page: the four self-diagnoses."""
    return render_template("respondent/home.html", questionnaires=catalog().latest("full"))


@bp.get("/methode")
def method():
    """How scores, levels and coverage are computed, in plain words."""
    return render_template(
        "respondent/method.html", min_group_size=current_app.config["MIN_GROUP_SIZE"]
    )


@bp.route("/diagnostic/<questionnaire_id>", methods=["GET", "POST"])
def start(questionnaire_id: str):
    """Presentation of a self-diagnosis; posting the form starts a new response."""
    questionnaire = catalog().get(questionnaire_id)
    if questionnaire is None or questionnaire.kind != "full":
        abort(404)
    form = StartForm()
    hint = _territory_hint(request.args.get("territoire"))
    if form.validate_on_submit():
        commune = hint if hint is not None and hint.level == "commune" else None
        # Sent twice (double tap, back button): the response the first one started.
        _response, token = responses.start_response(
            questionnaire, current_language(), territory=commune,
            token=form.token(current_app.secret_key, f"start:{questionnaire.id}"))
        # A wider territory: the first step searches its communes.
        args = {"territoire": hint.key} if hint is not None and commune is None else {}
        return redirect(url_for(".section", token=token, number=1, **args))
    return render_template("respondent/start.html", questionnaire=questionnaire,
                           form=form.with_new_key(), hint=hint)


@bp.get("/r/<token>")
def resume(token: str):
    """The private link: reopen the questionnaire where it was left, or the results."""
    response, questionnaire = _load(token)
    if response.completed:
        return redirect(url_for(".results_page", token=token))
    number = min(response.current_section, len(questionnaire.sections) - 1) + 1
    return redirect(url_for(".section", token=token, number=number))


@bp.route("/r/<token>/etape/<int:number>", methods=["GET", "POST"])
def section(token: str, number: int):
    """One section of the questionnaire; its answers are saved when the respondent moves on."""
    response, questionnaire = _load(token)
    if response.completed:
        return redirect(url_for(".results_page", token=token))
    if not 1 <= number <= len(questionnaire.sections):
        abort(404)
    index = number - 1
    current = questionnaire.sections[index]
    stored = response.answer_map()
    questions = shown_questions(questionnaire, current, stored)
    if not questions:
        target = next_section_index(questionnaire, stored, index, 1)
        if target is None:
            return _finish(token, response, questionnaire, stored)
        return redirect(url_for(".section", token=token, number=target + 1))
    if response.campaign is not None and not response.campaign.is_open:
        return render_template("campaigns/closed.html", campaign=response.campaign,
                               territory=territories.get_territory(response.campaign.territory)
                               ), 410
    hint = _territory_hint(request.args.get("territoire"))
    if hint is not None and (hint.level == "commune"
                             or not any(q.type == "territory" for q in questions)):
        hint = None
    find, describe, search_args, scope = _territory_lookups(response, hint)
    form_class = build_section_form(questions, current_language(), find, describe, search_args)
    form = form_class(data={field_name(key): value for key, value in stored.items()})
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        if action not in ACTIONS:
            abort(400)
        form.enforce_required = action in ("next", "search")
        busy = False
        if form.validate() and action != "search":
            try:
                return _save_and_move(token, response, questionnaire, index, form, action)
            except DatabaseBusy:
                # The answers sent are shown again, with a « réessayer » message.
                busy = True
        if busy:
            status = 503
        elif form.csrf_token.errors:
            status = 400
        elif form.errors and action != "search":
            status = 422
    return render_template(
        "respondent/section.html",
        questionnaire=questionnaire,
        section=current,
        number=number,
        total=len(questionnaire.sections),
        form=form,
        token=token,
        status=status,
        resume_url=url_for(".resume", token=token, _external=True),
        has_previous=next_section_index(questionnaire, stored, index, -1) is not None,
        campaign_scope=scope,
        hint=hint if scope is None else None,
    ), status


def _save_and_move(
    token: str,
    response: ResponseRecord,
    questionnaire: Questionnaire,
    index: int,
    form,
    action: str,
):
    current = questionnaire.sections[index]
    answers = form.answers()
    asked = {question.id for question in current.questions}
    merged = {key: value for key, value in response.answer_map().items() if key not in asked}
    merged.update(answers)
    step = -1 if action == "previous" else 1
    target = index if action == "pause" else next_section_index(questionnaire, merged, index, step)
    territory = None
    question = questionnaire.territory_question
    if question is not None and isinstance(answers.get(question.id), str):
        territory = territories.get_territory(answers[question.id])
    resume_at = index if target is None else target
    try:
        responses.save_section(response, questionnaire, current, answers, territory, resume_at,
                               current_app.config["SUBMISSIONS_PER_MINUTE"])
    except responses.TooManySubmissions:
        # Beyond the submissions a private token may send in a minute: nothing stored.
        abort(429)
    if action == "pause":
        return redirect(url_for(".pause", token=token))
    if target is None:
        if step < 0:
            return redirect(url_for(".section", token=token, number=index + 1))
        return _finish(token, response, questionnaire, merged)
    return redirect(url_for(".section", token=token, number=target + 1))


def _finish(token: str, response: ResponseRecord, questionnaire: Questionnaire, answers: dict):
    missing = responses.first_missing_required(questionnaire, answers)
    if missing is not None:
        flash(
            _(
                "One question still needs an answer before you can see your results: %(q)s",
                q=missing.label.text(current_language()),
            ),
            "error",
        )
        number = questionnaire.section_index(missing.section) + 1
        return redirect(url_for(".section", token=token, number=number))
    retrying(responses.complete_response)(response, questionnaire)
    return redirect(url_for(".results_page", token=token))


@bp.get("/r/<token>/pause")
def pause(token: str):
    """Answers saved: the private link to come back later."""
    response, questionnaire = _load(token)
    return render_template(
        "respondent/pause.html",
        questionnaire=questionnaire,
        response=response,
        token=token,
        resume_url=url_for(".resume", token=token, _external=True),
        delete_form=DeleteForm(),
    )


def _results(token: str):
    """The results view of a completed response (404 for an unfinished one)."""
    response, questionnaire = _load(token)
    if not response.completed:
        abort(404)
    return results.results_view(
        response, questionnaire, catalog(), current_app.config["MIN_GROUP_SIZE"]
    )


@bp.get("/r/<token>/resultats")
def results_page(token: str):
    """The results of a completed response: where it stands, against whom, what to do next."""
    response, _questionnaire = _load(token)
    if not response.completed:
        return redirect(url_for(".resume", token=token))
    return render_template("respondent/results.html", **_results_context(token))


def _results_context(token: str) -> dict:
    view = _results(token)
    return {
        "view": view,
        "token": token,
        "vocabulary": catalog().vocabulary,
        "levels": catalog().levels,
        "min_group_size": current_app.config["MIN_GROUP_SIZE"],
        "results_url": url_for(".results_page", token=token, _external=True),
        "indicators": reference.indicator_labels(),
        "class_labels": class_labels(),
        "chart_src": {
            "radar": url_for(".profile_chart", token=token),
            "domains": url_for(".domains_chart", token=token),
        },
        "redo_form": RedoForm(),
        "delete_form": DeleteForm(),
        "pdf": False,
    }


@bp.get("/r/<token>/resultats.pdf")
def results_pdf(token: str):
    """The same results as a PDF document."""
    context = _results_context(token)
    language = current_language()
    context["pdf"] = True
    context["chart_src"] = {
        "radar": reports.data_uri(charts_for.radar(context["view"], language)),
        "domains": reports.data_uri(charts_for.domains(context["view"], language)),
    }
    pdf = reports.render_pdf("respondent/results_pdf.html", context)
    filename = f"autodiagnostic-{context['view'].questionnaire.id}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/r/<token>/profil.svg")
def profile_chart(token: str):
    """The radar of the three impacts, with the regional and national medians, as SVG."""
    return Response(charts_for.radar(_results(token), current_language()), mimetype="image/svg+xml")


@bp.get("/r/<token>/domaines.svg")
def domains_chart(token: str):
    """The 16 domains, perceived against objective fragility, as SVG."""
    return Response(
        charts_for.domains(_results(token), current_language()), mimetype="image/svg+xml"
    )


@bp.post("/r/<token>/refaire")
def redo(token: str):
    """Start a new self-diagnosis linked to this one, to measure the progress made."""
    response, _questionnaire = _load(token)
    if not response.completed or not RedoForm().validate_on_submit():
        abort(400)
    questionnaire = catalog().get(response.questionnaire_id)
    _new, new_token = responses.redo_response(response, questionnaire, current_language())
    return redirect(url_for(".section", token=new_token, number=1))


@bp.post("/r/<token>/supprimer")
def delete(token: str):
    """Delete one's own answers: the button asks to confirm, the confirmation deletes the
    response, its answers and scores for good (the aggregates follow); the link then leads
    nowhere (404)."""
    response = responses.find_response(token)
    if response is None:
        abort(404)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirmer") != "oui":
        return render_template(
            "respondent/delete.html",
            questionnaire=catalog().get(response.questionnaire_id, response.questionnaire_version),
            response=response,
            token=token,
            form=form,
            back=url_for(".results_page" if response.completed else ".pause", token=token),
        )
    privacy.delete_response(response, catalog())
    return redirect(url_for(".deleted"), 303)


@bp.get("/reponses-supprimees")
def deleted():
    """Said once the answers are deleted."""
    return render_template("respondent/deleted.html")


def init_app(app) -> None:
    from ..extensions import csrf

    # The section form checks its own CSRF token, so that an expired token shows the page
    # again with the answers kept instead of an error page.
    csrf.exempt(section)
    app.register_blueprint(bp)

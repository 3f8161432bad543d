"""Live workshops: the facilitator sets one up, runs it from a panel and a projector view;
participants join with a code on their phones (`/a/<code>`), without an account."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
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
from ..forms import SubmissionForm, build_section_form
from ..i18n import current_language
from ..models import utcnow
from ..registry import catalog
from ..services import campaigns, exports, privacy, responses, territories, workshops
from .forms import workshop_form

bp = Blueprint("workshops", __name__)

#: The participant's token is also kept in this cookie (one per workshop code), for a day.
COOKIE_PREFIX = "atelier_"
COOKIE_AGE = 24 * 3600
ACTIONS = {
    "ouvrir": "open",
    "suspendre": "paused",
    "fermer": "closed",
}


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _workshop(public_id: str):
    """The workshop if the logged-in organiser may run it; 404 otherwise."""
    workshop = workshops.workshop_for(current_user, public_id)
    if workshop is None:
        abort(404)
    return workshop


def _questionnaire(workshop):
    try:
        return workshops.questionnaire_of(workshop, catalog())
    except workshops.WorkshopError:
        abort(410)


def _min_size() -> int:
    return current_app.config["MIN_GROUP_SIZE"]


def _join_url(workshop) -> str:
    return url_for(".participate", code=workshop.code, _external=True)


# --------------------------------------------------------------------------- the facilitator


@bp.get("/ateliers")
@login_required
def list_workshops():
    items = workshops.workshops_of(current_user)
    return render_template(
        "workshops/list.html",
        workshops=items,
        territories={w.id: territories.get_territory(w.territory) for w in items},
    )


@bp.route("/ateliers/nouveau", methods=["GET", "POST"])
@login_required
def new_workshop():
    form = workshop_form(catalog(), current_language(),
                         request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            questionnaire = catalog().get(form.questionnaire.data)
            if questionnaire is None:
                abort(400)
            sections = form.chosen_sections() if questionnaire.kind == "full" else None
            workshop = workshops.create_workshop(
                current_user, form.title.data, territories.get_territory(form.territory.data),
                questionnaire, sections, form.step_mode.data, form.shared_devices.data)
            flash(_("Workshop created: project its code and open the answers."), "success")
            return redirect(url_for(".panel", public_id=workshop.public_id))
        status = 400 if form.csrf_token.errors else 422
    return render_template("workshops/form.html", form=form), status


def _panel_context(workshop) -> dict:
    questionnaire = _questionnaire(workshop)
    view = workshops.live_view(workshop, questionnaire, catalog(), _min_size())
    return {
        "workshop": workshop,
        "questionnaire": questionnaire,
        "territory": territories.get_territory(workshop.territory),
        "questions": workshops.questions_of(workshop, questionnaire),
        "answered": workshops.answered_counts(workshop),
        "view": view,
        "join_url": _join_url(workshop),
        "vocabulary": catalog().vocabulary,
        "min_size": _min_size(),
    }


@bp.get("/ateliers/<public_id>")
@login_required
def panel(public_id: str):
    """The facilitator's panel: controls, participants, answers per question (never whose)."""
    workshop = _workshop(public_id)
    context = _panel_context(workshop)
    return render_template(
        "workshops/panel.html",
        action_form=ActionForm(),
        campaigns=workshops.attachable_campaigns(workshop, current_user),
        **context,
    )


@bp.post("/ateliers/<public_id>/<any(ouvrir, suspendre, fermer):action>")
@login_required
def set_status(public_id: str, action: str):
    workshop = _workshop(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if workshop.is_closed:
        flash(_("This workshop is closed."), "error")
        return redirect(url_for(".panel", public_id=public_id)), 303
    workshops.set_status(workshop, ACTIONS[action], _questionnaire(workshop))
    flash({"open": _("Answering is open."), "paused": _("Answering is paused."),
           "closed": _("The workshop is closed: its code no longer takes answers.")}
          [workshop.status], "success")
    return redirect(url_for(".panel", public_id=public_id)), 303


@bp.post("/ateliers/<public_id>/<any(reveler, masquer):action>")
@login_required
def reveal(public_id: str, action: str):
    workshop = _workshop(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    workshops.set_revealed(workshop, action == "reveler")
    flash(_("Results are shown on the projector once enough people have answered.")
          if workshop.revealed else _("Results are hidden on the projector."), "success")
    return redirect(url_for(".panel", public_id=public_id)), 303


@bp.post("/ateliers/<public_id>/question")
@login_required
def question(public_id: str):
    """Move the room's question: next, previous, or the one chosen."""
    workshop = _workshop(public_id)
    if not ActionForm().validate_on_submit() or workshop.is_closed:
        abort(400)
    questionnaire = _questionnaire(workshop)
    move = request.form.get("move")
    if move in ("next", "previous"):
        workshops.move(workshop, questionnaire, 1 if move == "next" else -1)
    else:
        try:
            workshops.show_question(workshop, questionnaire, request.form.get("question", ""))
        except workshops.WorkshopError:
            abort(400)
    return redirect(url_for(".panel", public_id=public_id) + "#question"), 303


@bp.get("/ateliers/<public_id>/projection")
@login_required
def projector(public_id: str):
    """The projector view: large type, the join code and QR, live figures once revealed."""
    workshop = _workshop(public_id)
    return render_template("workshops/projector.html", **_panel_context(workshop))


@bp.get("/ateliers/<public_id>/projection/direct")
@login_required
def projector_live(public_id: str):
    """The live part of the projector view, fetched every 2 s by the page."""
    workshop = _workshop(public_id)
    return render_template("workshops/_live.html", **_panel_context(workshop))


@bp.get("/ateliers/<public_id>/qr.<any(svg, png):kind>")
@login_required
def qr_code(public_id: str, kind: str):
    workshop = _workshop(public_id)
    buffer = io.BytesIO()
    code = segno.make(_join_url(workshop), error="m")
    if kind == "svg":
        code.save(buffer, kind="svg", scale=8, border=2, dark="#1d2433", xmldecl=True,
                  title=_("QR code to join the workshop"))
        return Response(buffer.getvalue(), mimetype="image/svg+xml")
    code.save(buffer, kind="png", scale=12, border=2)
    return Response(buffer.getvalue(), mimetype="image/png", headers={
        "Content-Disposition": f'attachment; filename="atelier-{workshop.code}.png"'})


@bp.get("/ateliers/<public_id>/export.<any(csv, xlsx):kind>")
@login_required
def export(public_id: str, kind: str):
    """The participants' answers, one row per participant, protected like campaign exports."""
    workshop = _workshop(public_id)
    questionnaire = _questionnaire(workshop)
    table = exports.workshop_table(
        workshop, workshops.questions_of(workshop, questionnaire), _min_size())
    name = f"atelier-{workshop.code}"
    if kind == "csv":
        return Response(exports.to_csv(table), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(exports.to_xlsx(table), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@bp.get("/ateliers/<public_id>/synthese")
@login_required
def summary(public_id: str):
    """A printable one-page summary of the workshop (figures as protected as on the projector,
    shown whether or not they were revealed)."""
    workshop = _workshop(public_id)
    context = _panel_context(workshop)
    questionnaire = context["questionnaire"]
    context["figures"] = workshops.live_view(
        workshop, questionnaire, catalog(), _min_size(), reveal=True).figures
    context["now"] = utcnow()
    if request.args.get("format") == "pdf":
        pdf = reports.render_pdf("workshops/summary.html", {**context, "pdf": True})
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="atelier-{workshop.code}.pdf"'})
    return render_template("workshops/summary.html", **context)


@bp.post("/ateliers/<public_id>/rattacher")
@login_required
def attach(public_id: str):
    """Attach the closed workshop's answers to one of the organiser's campaigns."""
    workshop = _workshop(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    campaign = campaigns.campaign_for(current_user, request.form.get("campaign", "")[:16])
    if campaign is None:
        abort(400)
    try:
        count = workshops.attach(workshop, campaign, catalog())
    except workshops.WorkshopError as error:
        flash({"open": _("Close the workshop before attaching its answers."),
               "attached": _("This workshop's answers are already attached to a campaign."),
               "territory": _("The campaign must be about the workshop's territory."),
               "actors": _("The campaign addresses none of the actor types of the workshop's "
                           "participants.")}
              .get(error.code, _("The answers could not be attached.")), "error")
        return redirect(url_for(".panel", public_id=public_id)), 303
    flash(_("%(count)d answers added to the campaign « %(title)s ».", count=count,
            title=campaign.title), "success")
    return redirect(url_for(".panel", public_id=public_id)), 303


@bp.post("/ateliers/<public_id>/supprimer")
@login_required
def delete(public_id: str):
    """Delete the workshop and all its participants' answers: the button asks to confirm
    (saying how many go), the confirmation deletes them (campaign counts and reference groups
    follow)."""
    workshop = _workshop(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirmer") != "oui":
        return render_template("workshops/delete.html", workshop=workshop, action_form=form,
                               count=privacy.workshop_count(workshop),
                               territory=territories.get_territory(workshop.territory))
    title = workshop.title
    removed = privacy.delete_workshop(workshop, catalog())
    flash(ngettext("The workshop « %(title)s » and the answers of its %(num)d participant "
                   "were deleted.",
                   "The workshop « %(title)s » and the answers of its %(num)d participants "
                   "were deleted.", removed, title=title), "success")
    return redirect(url_for(".list_workshops"), 303)


# --------------------------------------------------------------------------- participants


@bp.get("/a")
def enter_code():
    """Type the workshop's code (also a form on the home page)."""
    typed = (request.args.get("code") or "").strip()[:20]
    if typed:
        workshop = workshops.by_code(typed)
        if workshop is not None:
            return redirect(url_for(".participate", code=workshop.code))
        return render_template("workshops/code.html", typed=typed, unknown=True), 404
    return render_template("workshops/code.html", typed="", unknown=False)


def _participant_workshop(code: str):
    """The workshop of a code; 404 unknown, 410 « atelier terminé » once closed (never data)."""
    workshop = workshops.by_code(code)
    if workshop is None or workshop.code != code:
        abort(make_response(render_template("workshops/code.html", typed=code, unknown=True), 404))
    if workshop.is_closed:
        abort(make_response(render_template("workshops/ended.html"), 410))
    return workshop


def _cookie(code: str) -> str:
    return COOKIE_PREFIX + code


def _with_cookie(response, code: str, token: str):
    response.set_cookie(_cookie(code), token, max_age=COOKIE_AGE, path=f"/a/{code}",
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.route("/a/<code>", methods=["GET", "POST"])
def participate(code: str):
    """The join page: a participant who has already joined (cookie) goes back to their place;
    a new one joins with one tap."""
    found = workshops.by_code(code) if request.method == "GET" else None
    if found is not None and found.code != code:
        # Typed in lower case or with a dash: the workshop's own address.
        return redirect(url_for(".participate", code=found.code))
    workshop = _participant_workshop(code)
    token = request.cookies.get(_cookie(code), "")
    if request.method == "GET" and token and workshops.participant(workshop, token):
        return redirect(url_for(".ask", code=code, token=token))
    form = SubmissionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if token and workshops.participant(workshop, token):
            # Already in (a second tap, another tab): never a second participant.
            return redirect(url_for(".ask", code=code, token=token), 303)
        _response, token = workshops.join(
            workshop, _questionnaire(workshop), current_language(),
            form.token(current_app.secret_key, f"workshop:{workshop.code}"))
        return _with_cookie(redirect(url_for(".ask", code=code, token=token), 303), code, token)
    return render_template("workshops/join.html", workshop=workshop, form=form.with_new_key(),
                           territory=territories.get_territory(workshop.territory))


def _participant(code: str, token: str):
    workshop = _participant_workshop(code)
    response = workshops.participant(workshop, token)
    if response is None:
        abort(404)
    return workshop, response, _questionnaire(workshop)


@bp.get("/a/<code>/p/<token>")
def ask(code: str, token: str):
    """Where the participant is: the question to answer now, the waiting page, or thanks."""
    workshop, response, questionnaire = _participant(code, token)
    if not workshop.is_open:
        return _with_cookie(make_response(render_template(
            "workshops/wait.html", workshop=workshop, token=token, paused=True)), code, token)
    question = workshops.next_question(workshop, questionnaire, response)
    if question is None:
        return _with_cookie(make_response(render_template(
            "workshops/wait.html", workshop=workshop, token=token, paused=False,
            action_form=ActionForm())), code, token)
    return _with_cookie(redirect(url_for(".answer", code=code, token=token,
                                         question_id=question.id)), code, token)


def _question_form(question):
    form_class = build_section_form([question], current_language(), lambda q: [],
                                    lambda key: None)
    return form_class


@bp.route("/a/<code>/p/<token>/q/<question_id>", methods=["GET", "POST"])
def answer(code: str, token: str, question_id: str):
    """One question on one screen; its answer is saved as soon as it is sent."""
    workshop, response, questionnaire = _participant(code, token)
    questions = workshops.questions_of(workshop, questionnaire)
    question = next((q for q in questions if q.id == question_id), None)
    if question is None:
        abort(404)
    answers = response.answer_map()
    shown = workshops.applicable(questionnaire, questions, answers)
    actor_question = questionnaire.actor_question
    allowed = question in shown and (
        not workshop.step_mode or question.id in (workshop.current_question, actor_question))
    if not workshop.is_open or not allowed:
        return redirect(url_for(".ask", code=code, token=token), 303)
    form_class = _question_form(question)
    stored = {f"item_{key}": value for key, value in answers.items() if key == question.id}
    form = form_class(data=stored)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        if action not in ("next", "skip"):
            abort(400)
        skip = action == "skip" and question.id != actor_question
        form.enforce_required = not skip and question.id == actor_question
        if form.validate():
            given = {} if skip else form.answers()
            # Paused or closed meanwhile: the participant is shown why, nothing is stored.
            try:
                workshops.save_answer(workshop, questionnaire, response, question,
                                      given.get(question.id), skipped=question.id not in given,
                                      limit=current_app.config["SUBMISSIONS_PER_MINUTE"])
            except workshops.WorkshopError:
                return redirect(url_for(".ask", code=code, token=token), 303)
            except responses.TooManySubmissions:
                abort(429)
            # Straight to the next question (one hop less for hundreds of phones); the
            # waiting or thank-you page otherwise.
            following = workshops.next_question(workshop, questionnaire, response)
            if following is None:
                return redirect(url_for(".ask", code=code, token=token), 303)
            return redirect(url_for(".answer", code=code, token=token,
                                    question_id=following.id), 303)
        status = 400 if form.csrf_token.errors else 422
    position = questions.index(question) + 1
    return render_template(
        "workshops/question.html", workshop=workshop, questionnaire=questionnaire,
        question=question, form=form, token=token, status=status, position=position,
        total=len(questions), skippable=question.id != actor_question,
    ), status


@bp.post("/a/<code>/p/<token>/revoir")
def review(code: str, token: str):
    """Go back over one's answers from the first question (free mode)."""
    workshop, response, questionnaire = _participant(code, token)
    if not ActionForm().validate_on_submit():
        abort(400)
    questions = workshops.questions_of(workshop, questionnaire)
    if questions and not workshop.step_mode:
        workshops.review(response, questions[0], workshop, questionnaire)
    return redirect(url_for(".ask", code=code, token=token), 303)


@bp.post("/a/<code>/p/<token>/suivant")
def next_participant(code: str, token: str):
    """A shared phone: the next participant starts afresh on it."""
    workshop, _response, questionnaire = _participant(code, token)
    if not ActionForm().validate_on_submit() or not workshop.shared_devices:
        abort(400)
    _new, new_token = workshops.join(workshop, questionnaire, current_language())
    return _with_cookie(redirect(url_for(".ask", code=code, token=new_token), 303),
                        code, new_token)


@bp.get("/a/<code>/etat.json")
def state(code: str):
    """What phones poll: the status and the room's question (nothing about answers; once
    closed, only that it is over)."""
    workshop = workshops.by_code(code)
    if workshop is None or workshop.code != code:
        abort(404)
    return jsonify({
        "status": workshop.status,
        "question": workshop.current_question
        if workshop.step_mode and not workshop.is_closed else None,
    })

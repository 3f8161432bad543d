"""Live workshops: join codes, participants answering question by question, the facilitator's
controls, the live figures, and what is left afterwards (exports, attaching to a campaign).

Participants are responses with `workshop_id` set: the private token of the response is the
participant's token (kept in a cookie and in the URL). Their position in the workshop's list of
questions is `current_section`. Everything is read from the database at each request, so any
worker can serve any phone or the projector.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from questionnaires import AnswerValue, Catalog, Question, Questionnaire
from questionnaires.answers import applicable_questions
from scoring.live import LiveFigures, live_figures

from ..database import retrying
from ..extensions import db
from ..models import Answer, Campaign, Response, Territory, User, Workshop, utcnow
from . import campaigns, responses, territories

#: Join codes: capitals and digits that cannot be taken one for another (no 0/O, 1/I/L, 2/Z,
#: 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
STATUSES = ("open", "paused", "closed")


class WorkshopError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str | None:
    """The code as stored, from what a participant typed (case, spaces and dashes ignored);
    None when it cannot be a code."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def create_workshop(owner: User, title: str, territory: Territory, questionnaire: Questionnaire,
                    sections: Sequence[str] | None = None, step_mode: bool = False,
                    shared_devices: bool = False) -> Workshop:
    """A new open workshop with a code never given before (codes of closed workshops stay
    taken: the unique constraint keeps them)."""
    chosen = None
    if sections is not None:
        known = [section.id for section in questionnaire.sections]
        if not sections or any(section not in known for section in sections):
            raise WorkshopError("sections")
        chosen = [section for section in known if section in sections]
    for _attempt in range(20):
        workshop = Workshop(
            public_id=secrets.token_hex(8), code=new_code(), owner_id=owner.id, title=title,
            territory=territory.key, questionnaire_id=questionnaire.id,
            questionnaire_version=questionnaire.version, sections=chosen,
            step_mode=step_mode, shared_devices=shared_devices)
        db.session.add(workshop)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        if step_mode:
            first = questions_of(workshop, questionnaire)
            workshop.current_question = first[0].id if first else None
            db.session.commit()
        return workshop
    raise WorkshopError("code")


def workshops_of(user: User) -> list[Workshop]:
    query = select(Workshop).order_by(Workshop.created_at.desc())
    if not user.is_admin:
        query = query.where(Workshop.owner_id == user.id)
    return list(db.session.scalars(query))


def workshop_for(user: User, public_id: str) -> Workshop | None:
    """The workshop if the user may run it (owner or administrator), else None."""
    if not public_id or len(public_id) > 16:
        return None
    workshop = db.session.scalar(select(Workshop).where(Workshop.public_id == public_id))
    if workshop is None or not (user.is_admin or workshop.owner_id == user.id):
        return None
    return workshop


def by_code(typed: str) -> Workshop | None:
    code = normalise_code(typed or "")
    if code is None:
        return None
    return db.session.scalar(select(Workshop).where(Workshop.code == code))


def questionnaire_of(workshop: Workshop, catalog: Catalog) -> Questionnaire:
    questionnaire = catalog.get(workshop.questionnaire_id, workshop.questionnaire_version)
    if questionnaire is None:
        raise WorkshopError("questionnaire")
    return questionnaire


def questions_of(workshop: Workshop, questionnaire: Questionnaire) -> list[Question]:
    """The questions asked in the workshop, in order: those of its sections, but the territory
    (it is the workshop's)."""
    chosen = workshop.sections
    return [question for section in questionnaire.sections
            if chosen is None or section.id in chosen
            for question in section.questions if question.type != "territory"]


# --------------------------------------------------------------------------- participants


def join(workshop: Workshop, questionnaire: Questionnaire, language: str,
         token: str | None = None) -> tuple[Response, str]:
    """A new participant: a response of the workshop, in its territory, in one transaction;
    returns it with its token (given once, never stored). With `token` (`responses.token_for`
    of the join form's idempotency key), joining twice gives the same participant."""
    if token is not None:
        existing = participant(workshop, token)
        if existing is not None:
            return existing, token
    territory = territories.get_territory(workshop.territory)
    return responses.start_response(questionnaire, language, None, territory, token=token,
                                    workshop_id=workshop.id)


def participant(workshop: Workshop, token: str) -> Response | None:
    """The participant of a token in this workshop; None for any other token."""
    response = responses.find_response(token)
    if response is None or response.workshop_id != workshop.id:
        return None
    return response


def applicable(questionnaire: Questionnaire, questions: Sequence[Question],
               answers: dict) -> list[Question]:
    """The workshop's questions that apply given the answers so far (`show_if`)."""
    ids = applicable_questions(questionnaire, answers)
    return [question for question in questions if question.id in ids]


def next_question(workshop: Workshop, questionnaire: Questionnaire,
                  response: Response) -> Question | None:
    """What the participant is asked now: the room's question in step-by-step mode (once they
    said who they are), else the first applicable question from their position; None when they
    are done (or waiting for the room's next question)."""
    questions = questions_of(workshop, questionnaire)
    answers = response.answer_map()
    shown = applicable(questionnaire, questions, answers)
    actor_question = questionnaire.actor_question
    if actor_question and actor_question not in answers:
        found = next((q for q in shown if q.id == actor_question), None)
        if found is not None:
            return found
    if workshop.step_mode:
        return next((q for q in shown if q.id == workshop.current_question
                     and q.id not in answers), None)
    position = response.current_section
    for question in shown:
        if questions.index(question) >= position:
            return question
    return None


@retrying
def save_answer(workshop: Workshop, questionnaire: Questionnaire, response: Response,
                question: Question, value: AnswerValue | object, skipped: bool = False,
                limit: int | None = None) -> None:
    """Store one answer (or a skip), as it is given, and move the participant on; `limit`: see
    `responses.count_submission`."""
    if not workshop.is_open:
        raise WorkshopError(workshop.status)
    if response.status != "in_progress":
        raise WorkshopError("completed")
    if limit is not None:
        responses.count_submission(response, limit)
    try:
        _store_answer(workshop, questionnaire, response, question, value, skipped)
    except IntegrityError:
        # Sent twice at once (a double tap): the other request stored the answer first; this
        # one, with the answers read again, updates it.
        db.session.rollback()
        _store_answer(workshop, questionnaire, response, question, value, skipped)


def _store_answer(workshop: Workshop, questionnaire: Questionnaire, response: Response,
                  question: Question, value: AnswerValue | object, skipped: bool) -> None:
    existing = next((a for a in response.answers if a.question_id == question.id), None)
    if not skipped:
        if existing is not None:
            existing.value = value
        else:
            response.answers.append(Answer(question_id=question.id, value=value))
        actor = questionnaire.actor_of({question.id: value})
        if actor is not None:
            response.actor = actor
    questions = questions_of(workshop, questionnaire)
    if question in questions:
        response.current_section = max(response.current_section, questions.index(question) + 1)
    response.updated_at = utcnow()
    db.session.commit()


def review(response: Response, question: Question, workshop: Workshop,
           questionnaire: Questionnaire) -> None:
    """Go back to a question (free mode): the participant is asked again from there."""
    questions = questions_of(workshop, questionnaire)
    if question in questions:
        response.current_section = questions.index(question)
        db.session.commit()


# --------------------------------------------------------------------------- the facilitator


def set_status(workshop: Workshop, status: str, questionnaire: Questionnaire) -> None:
    if status not in STATUSES or workshop.is_closed:
        raise WorkshopError("status")
    if status == "closed":
        close(workshop, questionnaire)
        return
    workshop.status = status
    db.session.commit()


def set_revealed(workshop: Workshop, revealed: bool) -> None:
    workshop.revealed = revealed
    db.session.commit()


def move(workshop: Workshop, questionnaire: Questionnaire, step: int) -> Question | None:
    """Move the room's question by `step` (±1) through the workshop's questions."""
    questions = questions_of(workshop, questionnaire)
    if not questions:
        return None
    ids = [question.id for question in questions]
    position = ids.index(workshop.current_question) if workshop.current_question in ids else -1
    position = min(max(position + step, 0), len(ids) - 1)
    workshop.current_question = ids[position]
    db.session.commit()
    return questions[position]


def show_question(workshop: Workshop, questionnaire: Questionnaire, question_id: str) -> None:
    """The room's question (and the projector's histogram) is now `question_id`."""
    if question_id not in {q.id for q in questions_of(workshop, questionnaire)}:
        raise WorkshopError("question")
    workshop.current_question = question_id
    db.session.commit()


def close(workshop: Workshop, questionnaire: Questionnaire) -> int:
    """Close the workshop for good: every participant who said who they are and answered at
    least one question is completed (scored, counted); the others are dropped (joining is not
    answering). Returns the participants completed."""
    completed = 0
    given = {questionnaire.actor_question, getattr(questionnaire.territory_question, "id", None)}
    pending = db.session.scalars(select(Response).where(
        Response.workshop_id == workshop.id, Response.status == "in_progress")).all()
    for response in pending:
        answered = any(answer.question_id not in given for answer in response.answers)
        if response.actor is None or not answered:
            db.session.delete(response)
            continue
        responses.complete_response(response, questionnaire)
        completed += 1
    workshop.status = "closed"
    workshop.closed_at = utcnow()
    db.session.commit()
    return completed


def answered_counts(workshop: Workshop) -> dict[str, int]:
    """How many participants answered each question (never who answered what)."""
    rows = db.session.execute(
        select(Answer.question_id, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.workshop_id == workshop.id)
        .group_by(Answer.question_id)).all()
    return {question_id: int(count) for question_id, count in rows}


def participant_answers(workshop: Workshop) -> list[tuple[str, dict]]:
    """(actor type, answers) of every participant who said who they are: one query."""
    rows = db.session.execute(
        select(Response.id, Response.actor, Answer.question_id, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.workshop_id == workshop.id, Response.actor.is_not(None))
        .order_by(Response.id)).all()
    people: dict[int, tuple[str, dict]] = {}
    for response_id, actor, question_id, value in rows:
        people.setdefault(response_id, (actor, {}))[1][question_id] = value
    return list(people.values())


@dataclass(frozen=True)
class LiveView:
    """What the projector shows: participants always; figures only once revealed and once
    `min_size` participants have answered."""

    participants: dict[str, int]
    answering: int
    revealed: bool
    enough: bool
    figures: LiveFigures | None

    @property
    def total(self) -> int:
        return sum(self.participants.values())

    @property
    def shown(self) -> bool:
        return self.figures is not None


def live_view(workshop: Workshop, questionnaire: Questionnaire, catalog: Catalog,
              min_size: int, reveal: bool = False) -> LiveView:
    """The room as the projector shows it (`reveal`: as if the facilitator had revealed it)."""
    actors = actors_of(questionnaire, catalog)
    people = participant_answers(workshop)
    histogram = workshop.current_question
    question = questionnaire.question(histogram) if histogram else None
    if question is None or question.type != "scale":
        histogram = None
    figures = live_figures(questionnaire, people, actors, list(catalog.vocabulary.domains),
                           min_size, utcnow().date(), histogram)
    enough = figures.answering >= min_size
    return LiveView(
        participants=figures.participants,
        answering=figures.answering,
        revealed=workshop.revealed,
        enough=enough,
        figures=figures if (workshop.revealed or reveal) and enough else None,
    )


def actors_of(questionnaire: Questionnaire, catalog: Catalog) -> list[str]:
    """The actor types a participant may be: all of them for a questionnaire for everyone."""
    if questionnaire.actor in catalog.vocabulary.actors:
        return [questionnaire.actor]
    return list(catalog.vocabulary.actors)


def scale_questions(workshop: Workshop, questionnaire: Questionnaire) -> list[Question]:
    return [q for q in questions_of(workshop, questionnaire) if q.type == "scale"]


# --------------------------------------------------------------------------- afterwards


def attachable_campaigns(workshop: Workshop, user: User) -> list[Campaign]:
    """The user's campaigns of the workshop's territory that address one of the actor types of
    its participants."""
    actors = set(db.session.scalars(select(Response.actor).distinct().where(
        Response.workshop_id == workshop.id, Response.actor.is_not(None))))
    return [campaign for campaign in campaigns.campaigns_of(user)
            if campaign.territory == workshop.territory
            and actors & {link.actor for link in campaign.links}]


def attach(workshop: Workshop, campaign: Campaign, catalog: Catalog) -> int:
    """Add the closed workshop's completed answers to a campaign of the same territory, once:
    the responses of the actor types the campaign addresses join its counts. Returns how many."""
    if not workshop.is_closed:
        raise WorkshopError("open")
    if workshop.campaign_id is not None:
        raise WorkshopError("attached")
    if campaign.territory != workshop.territory:
        raise WorkshopError("territory")
    questionnaire = questionnaire_of(workshop, catalog)
    actors = {link.actor for link in campaign.links}
    present = set(db.session.scalars(select(Response.actor).distinct().where(
        Response.workshop_id == workshop.id, Response.status == "completed")))
    if not actors & present:
        raise WorkshopError("actors")
    attached = 0
    for response in db.session.scalars(select(Response).where(
            Response.workshop_id == workshop.id, Response.status == "completed",
            Response.campaign_id.is_(None))):
        if response.actor not in actors:
            continue
        response.campaign_id = campaign.id
        campaigns.record_completion(response, questionnaire)
        attached += 1
    workshop.campaign_id = campaign.id
    db.session.commit()
    return attached

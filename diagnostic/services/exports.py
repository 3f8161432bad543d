"""Exports of a campaign's answers: one row per response, one column per question, with a labels
sheet and a codebook. Nothing identifies a respondent: no token, no address, no day (the month
only); an actor type with fewer than MIN_GROUP_SIZE responses is left out, its free texts below
twice that, and a commune with too few responses of an actor type (the communes the dashboard's
filters leave out) is given as its department."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from questionnaires import Catalog, Question
from scoring import suppression

from ..extensions import db
from ..models import Answer, Campaign, Response, Territory, Workshop
from . import campaigns

DONT_KNOW = "nsp"
#: A cell starting with one of these is read as a formula by spreadsheets: it gets a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that a spreadsheet will never run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class ExportTable:
    #: Column identifiers (response fields, then question ids).
    columns: list[str]
    #: Codes: option and scale values, `nsp` for « ne sait pas », empty when not answered.
    rows: list[list]
    #: The same rows with the labels of the codes.
    labels: list[list]
    #: One entry per column: id, wording fr/en, type, values (code, label fr, label en).
    codebook: list[dict]
    notes: list[str] = field(default_factory=list)


RESPONSE_COLUMNS = [
    ("reponse", "Numéro de la réponse dans l'export", "Number of the response in the export"),
    ("acteur", "Type d'acteur", "Actor type"),
    ("questionnaire", "Questionnaire", "Questionnaire"),
    ("version", "Version du questionnaire", "Questionnaire version"),
    ("mois", "Mois de la réponse (AAAA-MM)", "Month of the response (YYYY-MM)"),
    ("territoire", "Commune (ou département quand la commune a trop peu de réponses de ce type "
     "d'acteur)", "Municipality (or department when the municipality has too few responses of "
     "this actor type)"),
]


def _questions(catalog: Catalog, questionnaire_ids: Sequence[str]) -> list[Question]:
    """Every question of the questionnaires, once, in questionnaire order."""
    seen: dict[str, Question] = {}
    for questionnaire_id in questionnaire_ids:
        questionnaire = catalog.get(questionnaire_id)
        for question in questionnaire.questions if questionnaire else ():
            if question.type != "territory":
                seen.setdefault(question.id, question)
    return list(seen.values())


def _code(value) -> str:
    if value is None:
        return DONT_KNOW
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def _label(question: Question, value, language: str) -> str:
    if value is None:
        return "Ne sait pas" if language == "fr" else "Don't know"
    items = value if isinstance(value, list) else [value]
    words = []
    for item in items:
        scale_value = question.scale.find(item) if question.scale is not None else None
        option = question.option(item)
        words.append(scale_value.label.text(language) if scale_value
                     else option.label.text(language) if option else str(item))
    return "; ".join(words)


def _rows(condition):
    """The responses to export: id, actor, questionnaire, version, date, territory."""
    return db.session.execute(
        select(Response.id, Response.actor, Response.questionnaire_id,
               Response.questionnaire_version,
               func.coalesce(Response.completed_at, Response.updated_at).label("completed_at"),
               Response.territory)
        .where(condition)
        .order_by(Response.completed_at, Response.id)).all()


def campaign_table(campaign: Campaign, catalog: Catalog, min_size: int,
                   language: str = "fr") -> ExportTable:
    """The campaign's completed responses as a table, protected (see the module)."""
    responses = _rows(and_(Response.campaign_id == campaign.id, Response.status == "completed"))
    actors = sorted({row.actor for row in responses})
    # The same communes as the dashboard's filters leave out are given as their department.
    hidden = campaigns.partition(campaign, actors, min_size).hidden
    questions = _questions(catalog, [link.questionnaire_id for link in campaign.links])
    return _table(responses, questions, min_size, hidden, language)


def workshop_table(workshop: Workshop, questions: Sequence[Question], min_size: int,
                   language: str = "fr") -> ExportTable:
    """A workshop's participants (those who said who they are) as a table, protected like a
    campaign's."""
    responses = _rows(and_(Response.workshop_id == workshop.id, Response.actor.is_not(None)))
    fixed = {name for name, _fr, _en in RESPONSE_COLUMNS}
    asked = [q for q in questions if q.type != "territory" and q.id not in fixed]
    return _table(responses, asked, min_size, {}, language)


def _table(responses, questions: list[Question], min_size: int, hidden: dict[str, set[str]],
           language: str) -> ExportTable:
    per_actor = Counter(row.actor for row in responses)
    notes = []
    small = sorted(actor for actor, n in per_actor.items()
                   if suppression.protect(n, 0.0, min_size).suppressed)
    for actor in small:
        notes.append(f"{actor}: moins de {min_size} réponses, non exportées / fewer than "
                     f"{min_size} responses, not exported")
    kept = [row for row in responses if row.actor not in small]
    silent = sorted(actor for actor, n in per_actor.items()
                    if actor not in small and suppression.protect(n, 0.0, 2 * min_size).suppressed)
    for actor in silent:
        notes.append(f"{actor}: moins de {2 * min_size} réponses, textes libres non exportés / "
                     f"fewer than {2 * min_size} responses, free texts not exported")
    communes = {row.territory for row in kept}
    departments = dict(db.session.execute(
        select(Territory.code, Territory.departement_code).where(
            Territory.level == "commune",
            Territory.code.in_([key.split(":", 1)[1] for key in communes
                                if key and key.startswith("commune:")]))).all())
    answers: dict[int, dict[str, object]] = {}
    ids = [row.id for row in kept]
    for start in range(0, len(ids), 10_000):
        for response_id, question_id, value in db.session.execute(
                select(Answer.response_id, Answer.question_id, Answer.value)
                .where(Answer.response_id.in_(ids[start:start + 10_000]))):
            answers.setdefault(response_id, {})[question_id] = value
    free_texts = {question.id for question in questions if question.type == "text"}
    columns = [name for name, _fr, _en in RESPONSE_COLUMNS] + [q.id for q in questions]
    rows, labels = [], []
    for number, row in enumerate(kept, start=1):
        place = row.territory or ""
        if place.startswith("commune:") and place[8:] in hidden.get(row.actor, ()):
            department = departments.get(place[8:])
            place = f"departement:{department}" if department else ""
        head = [number, row.actor, row.questionnaire_id, row.questionnaire_version,
                row.completed_at.strftime("%Y-%m") if row.completed_at else "", place]
        given = answers.get(row.id, {})
        if row.actor in silent:
            given = {key: value for key, value in given.items() if key not in free_texts}
        rows.append([neutralise(v) for v in head] + [
            neutralise(_code(given[q.id])) if q.id in given else "" for q in questions])
        labels.append([neutralise(v) for v in head] + [
            neutralise(_label(q, given[q.id], language)) if q.id in given else ""
            for q in questions])
    codebook = [{"id": name, "fr": fr, "en": en, "type": "", "values": []}
                for name, fr, en in RESPONSE_COLUMNS]
    for question in questions:
        values = []
        if question.scale is not None:
            values = [(str(v.value), v.label.fr, v.label.en) for v in question.scale.values]
        else:
            values = [(o.value, o.label.fr, o.label.en) for o in question.options]
        if question.offers_dont_know:
            values.append((DONT_KNOW, "Ne sait pas / ne se prononce pas",
                           "Don't know / no opinion"))
        codebook.append({"id": question.id, "fr": question.label.fr, "en": question.label.en,
                         "type": question.type, "values": values})
    return ExportTable(columns, rows, labels, codebook, notes)


def to_csv(table: ExportTable) -> bytes:
    """The codes, one row per response; UTF-8 with a byte-order mark for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: ExportTable) -> bytes:
    """Sheets: réponses (codes), libellés (labels), codebook, notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = [("reponses", table.rows), ("libelles", table.labels)]
    for position, (title, rows) in enumerate(sheets):
        sheet = workbook.active if position == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    codebook = workbook.create_sheet("codebook")
    codebook.append(["colonne / column", "question (fr)", "question (en)", "type",
                     "code", "libellé (fr)", "label (en)"])
    for entry in table.codebook:
        codebook.append([entry["id"], neutralise(entry["fr"]), neutralise(entry["en"]),
                         entry["type"], "", "", ""])
        for code, fr, en in entry["values"]:
            codebook.append(["", "", "", "", code, neutralise(fr), neutralise(en)])
    notes = workbook.create_sheet("notes")
    notes.append(["Codes : « nsp » = ne sait pas ; cellule vide = pas de réponse ; choix "
                  "multiples séparés par « ; ». / « nsp » = don't know; empty = not answered; "
                  "several choices separated by « ; »."])
    for note in table.notes:
        notes.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""Everything a results page (and its PDF, and the API) says about a completed response:
« Où en suis-je ? », « Par rapport à qui ? », « Que faire maintenant ? »."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from questionnaires import Catalog, Questionnaire
from scoring import AXES, AxisScore
from scoring.fragility import DomainFragility
from scoring.perception import DomainComparison, compare_domains
from scoring.recommendations import Recommendation, recommend

from ..extensions import db
from ..models import Response, SurveyFigure, Territory
from . import benchmarks, reference, responses, territories

#: A « ne sait pas » share from which it is reported as a finding.
DONT_KNOW_FINDING_AT = 0.3


@dataclass(frozen=True)
class FigureComparison:
    """A published national figure beside the respondent's own answer to the same question."""

    figure: SurveyFigure
    #: The respondent's answer (None: « ne sait pas »), absent when not answered.
    answered: bool
    answer: object = None
    #: Whether the answer is one of those the figure counts (None for a mean score).
    counted: bool | None = None


@dataclass(frozen=True)
class Summary:
    """What the headline sentence says: the strongest and weakest impacts, or that they tie."""

    #: strongest_weakest | all_same | single | none
    kind: str
    strongest: str | None = None
    weakest: str | None = None


@dataclass
class ResultsView:
    response: Response
    questionnaire: Questionnaire
    territory: Territory | None
    region: Territory | None
    scores: dict[str, AxisScore]
    summary: Summary
    benchmarks: dict[str, benchmarks.AxisBenchmark]
    groups: dict[str, benchmarks.ReferenceGroup]
    fragility: dict[str, DomainFragility]
    domains: list[DomainComparison]
    figures: list[FigureComparison]
    recommendations: list[Recommendation]
    #: The earlier response this one redoes, with its scores, if completed.
    previous: Response | None = None
    previous_scores: dict[str, AxisScore] = field(default_factory=dict)

    @property
    def dont_know_findings(self) -> list[str]:
        return [axis for axis in AXES if self.scores[axis].dont_know_share >= DONT_KNOW_FINDING_AT]


def summarise_profile(scores: dict[str, AxisScore]) -> Summary:
    scored = [(scores[axis].score, axis) for axis in AXES if scores[axis].score is not None]
    if not scored:
        return Summary("none")
    if len(scored) == 1:
        return Summary("single", strongest=scored[0][1])
    levels = {scores[axis].level for _score, axis in scored}
    if len(levels) == 1:
        return Summary("all_same", strongest=max(scored)[1], weakest=min(scored)[1])
    return Summary("strongest_weakest", strongest=max(scored)[1], weakest=min(scored)[1])


def _figure_comparisons(actor: str | None, answers: dict) -> list[FigureComparison]:
    if actor is None:
        return []
    comparisons = []
    for figure in reference.survey_figures(actor):
        if figure.question_id not in answers:
            comparisons.append(FigureComparison(figure, answered=False))
            continue
        answer = answers[figure.question_id]
        counted = None
        if figure.answer_values is not None:
            chosen = answer if isinstance(answer, list) else [answer]
            counted = any(value in figure.answer_values for value in chosen)
        comparisons.append(FigureComparison(figure, True, answer, counted))
    return comparisons


def results_view(
    response: Response, questionnaire: Questionnaire, catalog: Catalog, min_group_size: int
) -> ResultsView:
    scores = responses.stored_scores(response)
    answers = response.answer_map()
    domains = list(catalog.vocabulary.domains)
    territory = territories.get_territory(response.territory) if response.territory else None
    region = None
    if response.region_code:
        region = db.session.scalar(
            select(Territory).where(
                Territory.level == "region", Territory.code == response.region_code
            )
        )
    fragility = (
        reference.territory_fragility(region, domains)
        if region is not None
        else {domain: DomainFragility(domain, None) for domain in domains}
    )
    ratings = {}
    for question in questionnaire.questions:
        if question.domain and question.type == "scale" and question.id in answers:
            value = answers[question.id]
            ratings[question.domain] = None if value is None else float(value)
    priorities = answers.get("priorites") or []
    comparison = compare_domains(
        ratings, set(priorities), {d: f.index for d, f in fragility.items()}, domains
    )
    score_values = {axis: scores[axis].score for axis in AXES}
    axis_benchmarks, groups = benchmarks.benchmarks_for(
        response, score_values, list(AXES), min_group_size
    )
    practices_done = answers.get("pratiques") or []
    previous = db.session.get(Response, response.previous_id) if response.previous_id else None
    if previous is not None and not previous.completed:
        previous = None
    return ResultsView(
        response=response,
        questionnaire=questionnaire,
        territory=territory,
        region=region,
        scores=scores,
        summary=summarise_profile(scores),
        benchmarks=axis_benchmarks,
        groups=groups,
        fragility=fragility,
        domains=comparison,
        figures=_figure_comparisons(response.actor, answers),
        recommendations=recommend(score_values, response.actor, practices_done, priorities),
        previous=previous,
        previous_scores=responses.stored_scores(previous) if previous is not None else {},
    )

"""Database models, one module per subject; import them from here."""

from .base import JSONValue, utcnow
from .reference import Indicator, IndicatorValue, SurveyFigure
from .responses import Answer, BenchmarkGroup, Response, ResponseScore, ScoreDistribution
from .territories import PostalCode, ReferenceImport, Territory

__all__ = [
    "Answer",
    "BenchmarkGroup",
    "Indicator",
    "IndicatorValue",
    "JSONValue",
    "PostalCode",
    "ReferenceImport",
    "Response",
    "ResponseScore",
    "ScoreDistribution",
    "SurveyFigure",
    "Territory",
    "utcnow",
]

"""Database models, one module per subject; import them from here."""

from .base import JSONValue, as_utc, utcnow
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
    "as_utc",
    "utcnow",
]

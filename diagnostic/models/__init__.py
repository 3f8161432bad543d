"""Database models, one module per subject; import them from here."""

from .accounts import ROLES, LoginAttempt, User
from .base import JSONValue, as_utc, utcnow
from .campaigns import Campaign, CampaignLink, CampaignScore, CampaignStat
from .reference import Indicator, IndicatorValue, SurveyFigure
from .responses import Answer, BenchmarkGroup, Response, ResponseScore, ScoreDistribution
from .territories import PostalCode, ReferenceImport, Territory
from .workshops import Workshop

__all__ = [
    "ROLES",
    "Answer",
    "BenchmarkGroup",
    "Campaign",
    "CampaignLink",
    "CampaignScore",
    "CampaignStat",
    "Indicator",
    "IndicatorValue",
    "JSONValue",
    "LoginAttempt",
    "PostalCode",
    "ReferenceImport",
    "Response",
    "ResponseScore",
    "ScoreDistribution",
    "SurveyFigure",
    "Territory",
    "User",
    "Workshop",
    "as_utc",
    "utcnow",
]

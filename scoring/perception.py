"""Perceived fragility against objective fragility, domain by domain.

A domain is **perceived** as a fragility when it is rated at least `PERCEIVED_AT` out of 10 (the
2019 national citizen means lie between 5.9 and 6.4), or named among the priority domains. It is
**objectively fragile** when its fragility index is at least `OBJECTIVE_AT` (10 % above the
national level, 100). Each domain then falls in one class:

- `shared_priority` — perceived and objectively fragile;
- `blind_spot` — objectively fragile but not perceived;
- `perceived_only` — perceived without an objective signal;
- `not_priority` — neither;
- `unknown` — no rating (« ne sait pas », skipped) or no index (« non disponible »): no comparison.

The same rule serves a group (a campaign, a workshop) with its mean rating and the share of its
members who named the domain a priority (`PRIORITY_SHARE_AT`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

#: A rating out of 10 from which a domain counts as perceived as a fragility.
PERCEIVED_AT = 6.0
#: A fragility index from which a domain counts as objectively fragile (100 = France).
OBJECTIVE_AT = 110.0
#: For a group: the share naming a domain a priority from which it counts as perceived.
PRIORITY_SHARE_AT = 0.25

CLASSES = ("shared_priority", "blind_spot", "perceived_only", "not_priority", "unknown")


@dataclass(frozen=True)
class DomainComparison:
    domain: str
    #: Rating out of 10 (a respondent's, or a group's mean); None without one.
    perceived: float | None
    #: Named a priority (a respondent), or the share that did (a group, 0–1).
    priority: bool
    #: Fragility index, 100 = France; None: « non disponible ».
    index: float | None
    classification: str


def classify(perceived: float | None, priority: bool, index: float | None) -> str:
    """The class of a domain (see the module documentation for the thresholds)."""
    if index is None or (perceived is None and not priority):
        return "unknown"
    seen = priority or (perceived is not None and perceived >= PERCEIVED_AT)
    fragile = index >= OBJECTIVE_AT
    if seen and fragile:
        return "shared_priority"
    if fragile:
        return "blind_spot"
    if seen:
        return "perceived_only"
    return "not_priority"


def compare_domains(
    ratings: Mapping[str, float | None],
    priorities: Collection[str],
    indices: Mapping[str, float | None],
    domains: Sequence[str],
) -> list[DomainComparison]:
    """A respondent's view of each domain against its fragility index, in `domains` order.

    :param ratings: domain → rating 0–10 (None for « ne sait pas »; missing if unanswered).
    :param priorities: the domains named as priorities.
    :param indices: domain → fragility index of the respondent's territory.
    """
    return [
        DomainComparison(
            domain=domain,
            perceived=ratings.get(domain),
            priority=domain in priorities,
            index=indices.get(domain),
            classification=classify(ratings.get(domain), domain in priorities, indices.get(domain)),
        )
        for domain in domains
    ]


def classify_group(
    mean_rating: float | None, priority_share: float | None, index: float | None
) -> str:
    """The class of a domain for a group: its mean rating and the share naming it a priority."""
    priority = priority_share is not None and priority_share >= PRIORITY_SHARE_AT
    return classify(mean_rating, priority, index)

"""Three to five partnership practices to explore next, from the weakest impact and the answers.

The rules, in order:

1. The impacts are taken from the weakest score to the strongest; impacts without a score come
   last, in the order confiance, performance, innovation (the path of the Observatoire starts with
   trust).
2. Each impact has its practices (`PRACTICES_BY_AXIS`). Up to three are taken from the weakest
   impact, then from the next ones until there are three, skipping the practices the respondent
   already carries out and those that do not fit their actor type (`NOT_FOR_ACTOR`).
3. The priority domains the respondent named, in their order, each add the first fitting practice
   linked to that domain (`PRACTICES_BY_DOMAIN`) not already chosen — at most two such additions,
   and never more than five practices in all. A practice already chosen that is also linked to a
   priority domain keeps that domain as a second reason.
4. If fewer than three remain (a respondent who already does everything), practices they already
   carry out are proposed to be deepened, from the weakest impact on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

AXIS_ORDER = ("confiance", "performance", "innovation")

PRACTICES_BY_AXIS: dict[str, tuple[str, ...]] = {
    "confiance": (
        "dialogue_territorial",
        "experience_collective",
        "tiers_lieux",
        "engagement_salaries",
    ),
    "performance": (
        "pratiques_responsables",
        "cooperation_economique",
        "investissement_societal",
        "engagement_territorial",
    ),
    "innovation": ("innovation_societale", "accompagnement_acteurs", "mecenat", "tiers_lieux"),
}

PRACTICES_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    "education": ("engagement_salaries", "mecenat", "experience_collective"),
    "sante": ("investissement_societal", "dialogue_territorial", "tiers_lieux"),
    "securite": ("dialogue_territorial", "experience_collective"),
    "mobilite": ("cooperation_economique", "innovation_societale"),
    "numerique": ("tiers_lieux", "accompagnement_acteurs", "mecenat"),
    "culture": ("mecenat", "tiers_lieux"),
    "developpement_economique": ("cooperation_economique", "engagement_territorial"),
    "emploi": ("engagement_territorial", "cooperation_economique", "accompagnement_acteurs"),
    "niveau_de_vie": ("investissement_societal", "pratiques_responsables"),
    "pauvrete": ("investissement_societal", "mecenat", "engagement_partenarial"),
    "logement": ("investissement_societal", "innovation_societale"),
    "isolement": ("tiers_lieux", "experience_collective", "engagement_salaries"),
    "diversite": ("pratiques_responsables", "engagement_salaries"),
    "vieillissement": ("experience_collective", "innovation_societale"),
    "environnement": ("pratiques_responsables", "innovation_societale"),
    "transition_energetique": ("cooperation_economique", "pratiques_responsables"),
}

#: Practices that an actor type does not carry out itself.
NOT_FOR_ACTOR: dict[str, frozenset[str]] = {
    "citoyen": frozenset(
        {"engagement_salaries", "investissement_societal", "mecenat", "cooperation_economique"}
    ),
}

MIN_PRACTICES = 3
MAX_PRACTICES = 5
MAX_FROM_DOMAINS = 2


@dataclass(frozen=True)
class Recommendation:
    practice: str
    #: weakest_axis | next_axis | priority_domain | deepen
    reason: str
    #: The impact it strengthens (for the axis reasons and « deepen »).
    axis: str | None = None
    #: The priority domain it answers, if any.
    domain: str | None = None


def axes_weakest_first(scores: Mapping[str, float | None]) -> list[str]:
    """Impacts with a score from the weakest up, then those without a score."""
    scored = sorted(
        (axis for axis in AXIS_ORDER if scores.get(axis) is not None),
        key=lambda axis: (scores[axis], AXIS_ORDER.index(axis)),
    )
    return scored + [axis for axis in AXIS_ORDER if scores.get(axis) is None]


def recommend(
    scores: Mapping[str, float | None],
    actor: str | None,
    practices_done: Collection[str] = (),
    priorities: Sequence[str] = (),
) -> list[Recommendation]:
    """Three to five practices to explore, by the rules of the module documentation."""
    excluded = NOT_FOR_ACTOR.get(actor or "", frozenset())
    done = set(practices_done)
    axes = axes_weakest_first(scores)
    chosen: dict[str, Recommendation] = {}

    def fits(practice: str) -> bool:
        return practice not in excluded and practice not in done and practice not in chosen

    for rank, axis in enumerate(axes):
        for practice in PRACTICES_BY_AXIS[axis]:
            if len(chosen) >= MIN_PRACTICES:
                break
            if fits(practice):
                chosen[practice] = Recommendation(
                    practice, "weakest_axis" if rank == 0 else "next_axis", axis=axis
                )
    added = 0
    for domain in dict.fromkeys(priorities):
        linked = PRACTICES_BY_DOMAIN.get(domain, ())
        for practice in linked:
            if practice in chosen and chosen[practice].domain is None:
                current = chosen[practice]
                chosen[practice] = Recommendation(practice, current.reason, current.axis, domain)
                break
        else:
            if added < MAX_FROM_DOMAINS and len(chosen) < MAX_PRACTICES:
                practice = next((p for p in linked if fits(p)), None)
                if practice is not None:
                    chosen[practice] = Recommendation(practice, "priority_domain", domain=domain)
                    added += 1
    for axis in axes:
        for practice in PRACTICES_BY_AXIS[axis]:
            if len(chosen) >= MIN_PRACTICES:
                break
            if practice not in excluded and practice not in chosen:
                chosen[practice] = Recommendation(practice, "deepen", axis=axis)
    return list(chosen.values())

"""Perceived against objective fragility, with the thresholds written down.

Perceived: rating ≥ 6.0 out of 10, or named a priority (a group: a share ≥ 0.25 naming it).
Objectively fragile: fragility index ≥ 110 (France = 100).
"""

from __future__ import annotations

import pytest

from scoring.perception import (
    CLASSES,
    OBJECTIVE_AT,
    PERCEIVED_AT,
    PRIORITY_SHARE_AT,
    DomainComparison,
    classify,
    classify_group,
    compare_domains,
)


def test_thresholds_are_the_documented_ones():
    assert PERCEIVED_AT == 6.0
    assert OBJECTIVE_AT == 110.0
    assert PRIORITY_SHARE_AT == 0.25
    assert CLASSES == ("shared_priority", "blind_spot", "perceived_only", "not_priority", "unknown")


@pytest.mark.parametrize(
    ("perceived", "priority", "index", "expected"),
    [
        (7, False, 120, "shared_priority"),  # 7 ≥ 6 seen, 120 ≥ 110 fragile
        (3, False, 130, "blind_spot"),  # 3 < 6 not seen, 130 ≥ 110 fragile
        (8, False, 95, "perceived_only"),  # 8 ≥ 6 seen, 95 < 110 not fragile
        (2, False, 90, "not_priority"),  # 2 < 6, 90 < 110
        (0, False, 0.5, "not_priority"),
        (10, False, 300, "shared_priority"),
    ],
)
def test_classify_each_class(perceived, priority, index, expected):
    assert classify(perceived, priority, index) == expected


@pytest.mark.parametrize(
    ("perceived", "index", "expected"),
    [
        (6.0, 110.0, "shared_priority"),  # both exactly at the threshold: inclusive
        (6.0, 109.99, "perceived_only"),  # 109.99 < 110
        (5.99, 110.0, "blind_spot"),  # 5.99 < 6
        (5.99, 109.99, "not_priority"),
        (6, 110, "shared_priority"),  # integers too
    ],
)
def test_classify_thresholds_are_inclusive(perceived, index, expected):
    assert classify(perceived, False, index) == expected


def test_a_priority_domain_counts_as_perceived_whatever_its_rating():
    # rating 2 < 6, but named a priority: seen
    assert classify(2, True, 120) == "shared_priority"
    assert classify(2, True, 90) == "perceived_only"
    assert classify(0, True, 110) == "shared_priority"


def test_a_priority_without_rating_is_perceived():
    assert classify(None, True, 120) == "shared_priority"
    assert classify(None, True, 100) == "perceived_only"


def test_unknown_without_index():
    assert classify(8, False, None) == "unknown"
    assert classify(2, False, None) == "unknown"
    assert classify(8, True, None) == "unknown"
    assert classify(None, True, None) == "unknown"


def test_unknown_without_rating_when_not_a_priority():
    assert classify(None, False, 130) == "unknown"
    assert classify(None, False, 90) == "unknown"


def test_every_class_is_one_of_classes():
    for perceived in (None, 0, 5.99, 6, 10):
        for priority in (False, True):
            for index in (None, 50, 109.99, 110, 200):
                assert classify(perceived, priority, index) in CLASSES


def test_compare_domains_keeps_the_order_of_domains_and_fills_missing_ratings():
    ratings = {"sante": 7, "emploi": None, "autre": 9}
    priorities = {"logement"}
    indices = {"sante": 120, "emploi": 130, "logement": 100, "culture": 115}
    domains = ["emploi", "culture", "sante", "logement", "mobilite"]
    result = compare_domains(ratings, priorities, indices, domains)
    assert result == [
        # « ne sait pas » (None), not a priority: no comparison
        DomainComparison(
            "emploi", perceived=None, priority=False, index=130, classification="unknown"
        ),
        # unanswered (missing): None, not a priority: no comparison
        DomainComparison(
            "culture", perceived=None, priority=False, index=115, classification="unknown"
        ),
        # 7 ≥ 6 and 120 ≥ 110
        DomainComparison(
            "sante", perceived=7, priority=False, index=120, classification="shared_priority"
        ),
        # no rating but a priority: seen; 100 < 110
        DomainComparison(
            "logement", perceived=None, priority=True, index=100, classification="perceived_only"
        ),
        # no index: « non disponible »
        DomainComparison(
            "mobilite", perceived=None, priority=False, index=None, classification="unknown"
        ),
    ]
    # "autre" is rated but not a requested domain: absent
    assert [c.domain for c in result] == domains


def test_compare_domains_with_priorities_as_a_list():
    result = compare_domains({"sante": 3}, ["sante"], {"sante": 105}, ["sante"])
    # rating 3 < 6 but a priority: seen; 105 < 110
    assert result == [
        DomainComparison(
            "sante", perceived=3, priority=True, index=105, classification="perceived_only"
        ),
    ]


def test_compare_domains_of_no_domain():
    assert compare_domains({"sante": 7}, {"sante"}, {"sante": 120}, []) == []


@pytest.mark.parametrize(
    ("mean_rating", "share", "index", "expected"),
    [
        (3, 0.25, 120, "shared_priority"),  # share 0.25 ≥ 0.25: seen; 120 ≥ 110
        (3, 0.24, 120, "blind_spot"),  # 0.24 < 0.25 and 3 < 6: not seen
        (3, 0.0, 120, "blind_spot"),
        (3, None, 120, "blind_spot"),  # no share: not a priority
        (3, 0.25, 100, "perceived_only"),  # seen by the share, 100 < 110
        (3, 0.24, 100, "not_priority"),
        (6.0, 0.0, 100, "perceived_only"),  # mean 6 ≥ 6
        (6.5, None, 110, "shared_priority"),
        (None, 0.3, 100, "perceived_only"),  # no mean but 0.3 ≥ 0.25: seen
        (None, 0.25, 110, "shared_priority"),
        (None, 0.1, 120, "unknown"),  # no mean, 0.1 < 0.25: no comparison
        (None, None, 120, "unknown"),
        (8, 0.9, None, "unknown"),  # no index
    ],
)
def test_classify_group(mean_rating, share, index, expected):
    assert classify_group(mean_rating, share, index) == expected

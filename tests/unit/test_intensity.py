"""Digital Intensity Index scoring, table-driven."""

from __future__ import annotations

import pytest

from mentorship.rules.intensity import (
    CRITERIA,
    KEYS,
    IncompleteAssessment,
    Level,
    assess,
    level_of,
    uplift,
)


def answers(yes: int) -> dict[str, bool]:
    """The first ``yes`` criteria answered yes, the rest no."""
    return {key: i < yes for i, key in enumerate(KEYS)}


def test_there_are_twelve_distinct_criteria() -> None:
    assert len(CRITERIA) == 12 and len(set(KEYS)) == 12


@pytest.mark.parametrize(
    ("yes", "level"),
    [
        (0, Level.VERY_LOW),
        (3, Level.VERY_LOW),
        (4, Level.LOW),
        (6, Level.LOW),
        (7, Level.HIGH),
        (9, Level.HIGH),
        (10, Level.VERY_HIGH),
        (12, Level.VERY_HIGH),
    ],
)
def test_the_score_counts_yes_answers_and_falls_in_eurostats_bands(yes: int, level: Level) -> None:
    result = assess(answers(yes))
    assert (result.score, result.level) == (yes, level)


def test_which_criteria_are_yes_does_not_matter_only_how_many() -> None:
    last_five = {key: i >= 7 for i, key in enumerate(KEYS)}
    assert assess(last_five).score == assess(answers(5)).score == 5


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({k: True for k in KEYS[:11]}, "no answer for ecommerce_sales"),
        ({**answers(2), "blockchain": True}, "unknown criteria blockchain"),
    ],
)
def test_an_incomplete_or_padded_assessment_is_refused_by_name(
    given: dict[str, bool], message: str
) -> None:
    with pytest.raises(IncompleteAssessment, match=message):
        assess(given)


@pytest.mark.parametrize("score", [-1, 13])
def test_a_score_outside_zero_to_twelve_has_no_level(score: int) -> None:
    with pytest.raises(ValueError, match="between 0 and 12"):
        level_of(score)


@pytest.mark.parametrize(
    ("before", "after", "expected"), [(3, 7, 4), (5, 5, 0), (8, 6, -2), (None, 7, None)]
)
def test_the_uplift_is_the_change_once_both_are_known(
    before: int | None, after: int | None, expected: int | None
) -> None:
    assert uplift(before, after) == expected

"""Ranking mentors for a request: hard rules exclude, the score orders."""

from mentorship.matching import Candidate, Need, exclusion, rank, sector_overlaps

NEED = Need(
    challenge_areas=frozenset({"e_commerce", "digital_marketing"}),
    languages=frozenset({"it", "en"}),
    country="IT",
    sector="C10.71",
    on_site=False,
)


def mentor(mentor_id: int, **overrides: object) -> Candidate:
    fields: dict[str, object] = dict(
        mentor_id=mentor_id,
        expertise=frozenset({"e_commerce"}),
        languages=frozenset({"en"}),
        countries=frozenset({"SE"}),
        capacity=2,
        active_mentorships=0,
        company_product_lines=frozenset(),
    )
    fields.update(overrides)
    return Candidate(**fields)  # type: ignore[arg-type]


def test_more_expertise_overlap_ranks_higher() -> None:
    broad = mentor(2, expertise=frozenset({"e_commerce", "digital_marketing"}))
    ranked = rank(NEED, [mentor(1), broad])
    assert [r.mentor_id for r in ranked] == [2, 1]
    assert ranked[0].breakdown["expertise"] == 1.0 and ranked[1].breakdown["expertise"] == 0.5


def test_a_mentor_without_a_shared_language_is_excluded() -> None:
    assert exclusion(NEED, mentor(1, languages=frozenset({"sv"}))) == "no shared language"


def test_a_mentor_at_capacity_is_excluded_and_load_lowers_the_score() -> None:
    assert exclusion(NEED, mentor(1, active_mentorships=2)) == "no capacity left"
    ranked = rank(NEED, [mentor(1, active_mentorships=1), mentor(2)])
    assert [r.mentor_id for r in ranked] == [2, 1]


def test_a_company_selling_into_the_smes_sector_is_a_conflict_of_interest() -> None:
    conflicted = mentor(1, company_product_lines=frozenset({"C10"}))
    assert "conflict of interest" in (exclusion(NEED, conflicted) or "")
    assert sector_overlaps("C10.71", frozenset({"C10"}))
    assert not sector_overlaps("C10.71", frozenset({"J63", "cloud"}))


def test_on_site_support_needs_a_mentor_in_the_smes_country() -> None:
    need = Need(**{**NEED.__dict__, "on_site": True})
    assert exclusion(need, mentor(1)) is not None
    assert exclusion(need, mentor(1, countries=frozenset({"IT"}))) is None


def test_mentors_already_tried_are_not_offered_again() -> None:
    need = Need(**{**NEED.__dict__, "excluded_mentor_ids": frozenset({1})})
    assert [r.mentor_id for r in rank(need, [mentor(1), mentor(2)])] == [2]


def test_ties_are_broken_by_mentor_id_and_the_limit_holds() -> None:
    ranked = rank(NEED, [mentor(i) for i in (5, 3, 9, 1)], limit=3)
    assert [r.mentor_id for r in ranked] == [1, 3, 5]
    assert all(0 <= r.score <= 1 for r in ranked)

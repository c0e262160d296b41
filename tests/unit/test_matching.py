"""Ranking mentors for a request: hard rules exclude, the score orders."""

from mentorship.rules.matching import Candidate, Need, components, exclusion, rank, sector_overlaps

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


def test_more_expertise_and_higher_proficiency_rank_higher() -> None:
    broad = mentor(2, proficiency={"e_commerce": 3, "digital_marketing": 3})
    narrow = mentor(1, proficiency={"e_commerce": 3})
    novice = mentor(3, proficiency={"e_commerce": 1, "digital_marketing": 1})
    ranked = rank(NEED, [narrow, broad, novice])
    assert [r.mentor_id for r in ranked] == [2, 1, 3]
    assert [r.breakdown["expertise"] for r in ranked] == [1.0, 0.5, 0.3333]


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


def test_a_company_naming_the_smes_products_or_a_competitor_in_its_sector_is_excluded() -> None:
    need = Need(**{**NEED.__dict__, "products": frozenset({"e_commerce"})})
    assert "conflict" in (
        exclusion(need, mentor(1, company_product_lines=frozenset({"e_commerce"}))) or ""
    )
    assert "conflict" in (
        exclusion(NEED, mentor(1, company_competitors=frozenset({"C10.7"}))) or ""
    )
    assert exclusion(NEED, mentor(1, company_competitors=frozenset({"C11"}))) is None


def test_a_full_company_cap_excludes_all_its_mentors() -> None:
    assert "cap" in (exclusion(NEED, mentor(1, company_id=7), company_full=True) or "")
    assert (
        rank(
            NEED, [mentor(1, company_id=7), mentor(2, company_id=8)], full_companies=frozenset({7})
        )[0].mentor_id
        == 2
    )


def test_formats_remote_on_site_and_both() -> None:
    remote_only = mentor(1, formats=frozenset({"remote"}), countries=frozenset({"IT"}))
    on_site_only = mentor(2, formats=frozenset({"on_site"}), countries=frozenset({"IT"}))
    both = Need(**{**NEED.__dict__, "format": "both"})
    on_site = Need(**{**NEED.__dict__, "format": "on_site"})
    assert exclusion(both, remote_only) is None and exclusion(both, on_site_only) is None
    assert exclusion(on_site, remote_only) is not None
    assert exclusion(NEED, on_site_only) is not None  # remote need, on-site-only mentor


def test_sector_experience_and_proximity_raise_the_score() -> None:
    baker = mentor(1, sectors=frozenset({"C10"}))
    assert components(NEED, baker)["sector"] == 1.0
    assert components(NEED, mentor(2))["sector"] == 0.0
    assert components(NEED, mentor(3, countries=frozenset({"IT"})))["proximity"] == 1.0
    assert components(NEED, mentor(4, countries=frozenset({"AT"})))["proximity"] == 0.5
    assert components(NEED, mentor(5, countries=frozenset({"FI"})))["proximity"] == 0.25
    assert components(NEED, mentor(6, countries=frozenset({"PT"})))["proximity"] == 0.25

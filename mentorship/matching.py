"""Ranking of mentors for one request, on plain data.

Hard rules exclude a mentor: no shared language, no capacity left, a company whose declared
product lines overlap the SME's sector, on-site work outside the mentor's countries, or a
mentor already tried for this request. The rest are ordered by a score in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = {"expertise": 0.7, "load": 0.2, "country": 0.1}


@dataclass(frozen=True)
class Need:
    challenge_areas: frozenset[str]
    languages: frozenset[str]
    country: str
    sector: str  # NACE code of the SME
    on_site: bool
    excluded_mentor_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Candidate:
    mentor_id: int
    expertise: frozenset[str]
    languages: frozenset[str]
    countries: frozenset[str]
    capacity: int
    active_mentorships: int
    company_product_lines: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Ranked:
    mentor_id: int
    score: float
    breakdown: dict[str, float] = field(default_factory=dict)


def sector_overlaps(sector: str, product_lines: frozenset[str]) -> bool:
    """A product line overlaps when it names the SME's NACE code or a broader code of it."""
    return any(line and sector.upper().startswith(line.upper()) for line in product_lines)


def exclusion(need: Need, candidate: Candidate) -> str | None:
    """Why this mentor may not serve this need, or None when every hard rule holds."""
    if candidate.mentor_id in need.excluded_mentor_ids:
        return "already offered for this request"
    if not need.languages & candidate.languages:
        return "no shared language"
    if candidate.active_mentorships >= candidate.capacity:
        return "no capacity left"
    if need.on_site and need.country not in candidate.countries:
        return "on-site support needs a mentor in the SME's country"
    if sector_overlaps(need.sector, candidate.company_product_lines):
        return "conflict of interest: the company's product lines overlap the SME's sector"
    if not need.challenge_areas & candidate.expertise:
        return "no expertise in the requested areas"
    return None


def score(need: Need, candidate: Candidate) -> Ranked:
    coverage = len(need.challenge_areas & candidate.expertise) / len(need.challenge_areas)
    load = 1 - candidate.active_mentorships / candidate.capacity
    country = 1.0 if need.country in candidate.countries else 0.0
    parts = {"expertise": coverage, "load": load, "country": country}
    total = sum(WEIGHTS[name] * value for name, value in parts.items())
    return Ranked(candidate.mentor_id, round(total, 4), {k: round(v, 4) for k, v in parts.items()})


def rank(need: Need, candidates: list[Candidate], limit: int = 5) -> list[Ranked]:
    """Eligible candidates, best first; ties go to the lower mentor id so runs repeat."""
    eligible = [score(need, c) for c in candidates if exclusion(need, c) is None]
    eligible.sort(key=lambda r: (-r.score, r.mentor_id))
    return eligible[:limit]

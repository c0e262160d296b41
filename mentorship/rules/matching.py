"""Matching rules on plain data: hard constraints, an explainable score, per-request ranking.

Hard constraints are never violated: a shared language, capacity left (the mentor's and an
optional per-company cap), a compatible format (on-site needs the SME's country), no conflict
of interest (the company's declared product lines or competitors overlap the SME's sector or
its listed products), no mentor the SME declined or already had offered, and some expertise
in the areas asked for. Feasible pairs get a score in [0, 1] from weighted components.

This module is the reference: ``mentorship.rules.assignment`` computes the same rules on arrays
for matching rounds, and a property test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mentorship.i18n import N_

MAX_PROFICIENCY = 3  # 1 working knowledge, 2 experienced, 3 expert

# UTC offsets (standard time) of the EU countries; proximity is scored on their distance.
TIME_ZONES: dict[str, int] = {
    "PT": 0, "IE": 0,
    "BG": 2, "CY": 2, "EE": 2, "FI": 2, "GR": 2, "LT": 2, "LV": 2, "RO": 2,
}  # fmt: skip
CENTRAL_EUROPE = 1  # every other EU country


def time_zone(country: str) -> int:
    return TIME_ZONES.get(country, CENTRAL_EUROPE)


@dataclass(frozen=True)
class Weights:
    """How much each score component counts; configuration, normalised to sum to one."""

    expertise: float = 0.55
    sector: float = 0.15
    proximity: float = 0.15
    load: float = 0.15

    def normalised(self) -> dict[str, float]:
        total = self.expertise + self.sector + self.proximity + self.load
        return {
            "expertise": self.expertise / total,
            "sector": self.sector / total,
            "proximity": self.proximity / total,
            "load": self.load / total,
        }


@dataclass(frozen=True)
class Need:
    challenge_areas: frozenset[str]
    languages: frozenset[str]
    country: str
    sector: str  # NACE code of the SME, e.g. "C10.71"
    on_site: bool = False  # kept for the first callers: on-site only
    format: str = ""  # "remote", "on_site" or "both"; empty means from ``on_site``
    products: frozenset[str] = frozenset()  # the SME's listed products (NACE codes or areas)
    excluded_mentor_ids: frozenset[int] = frozenset()  # declined before, or already offered
    request_id: int = 0
    conflict_overrides: frozenset[int] = frozenset()  # waived by a coordinator, with a reason

    @property
    def wanted_format(self) -> str:
        return self.format or ("on_site" if self.on_site else "remote")


@dataclass(frozen=True)
class Candidate:
    mentor_id: int
    expertise: frozenset[str]
    languages: frozenset[str]
    countries: frozenset[str]
    capacity: int
    active_mentorships: int
    company_product_lines: frozenset[str] = frozenset()
    company_id: int = 0
    proficiency: Mapping[str, int] = field(default_factory=dict)  # area -> 1..3
    formats: frozenset[str] = frozenset({"remote", "on_site"})
    sectors: frozenset[str] = frozenset()  # NACE divisions the mentor has worked in
    company_competitors: frozenset[str] = frozenset()
    company_load: float = 0.0  # share of the company's mentoring capacity in use

    def level(self, area: str) -> int:
        """Proficiency in an area; an expertise listed without a level counts as experienced."""
        if area in self.proficiency:
            return self.proficiency[area]
        return 2 if area in self.expertise else 0

    @property
    def home_country(self) -> str:
        return min(self.countries) if self.countries else ""


@dataclass(frozen=True)
class Ranked:
    mentor_id: int
    score: float
    breakdown: dict[str, float] = field(default_factory=dict)


def division(nace: str) -> str:
    """The NACE division of a code: section letter and two digits, e.g. "C10"."""
    return nace.upper()[:3]


def conflict_tokens(need: Need) -> frozenset[str]:
    """What a company line must name to conflict: any prefix of the sector, or a product."""
    sector = need.sector.upper()
    prefixes = {sector[:i] for i in range(1, len(sector) + 1)}
    return frozenset(prefixes | {p.upper() for p in need.products})


def sector_overlaps(sector: str, product_lines: frozenset[str]) -> bool:
    """A product line overlaps when it names the SME's NACE code or a broader code of it."""
    tokens = conflict_tokens(Need(frozenset(), frozenset(), "", sector))
    return any(line.upper() in tokens for line in product_lines if line)


def exclusion(need: Need, candidate: Candidate, company_full: bool = False) -> str | None:
    """Why this mentor may not serve this need, or None when every hard rule holds."""
    if candidate.mentor_id in need.excluded_mentor_ids:
        return N_("declined this SME before, or already offered")
    if not need.languages & candidate.languages:
        return N_("no shared language")
    if candidate.active_mentorships >= candidate.capacity:
        return N_("no capacity left")
    if company_full:
        return N_("the company's mentoring cap is reached")
    if not format_compatible(need, candidate):
        return N_("format: on-site support needs a mentor in the SME's country")
    lines = candidate.company_product_lines | candidate.company_competitors
    waived = candidate.mentor_id in need.conflict_overrides
    if not waived and any(line.upper() in conflict_tokens(need) for line in lines if line):
        return N_("conflict of interest: the company's products or competitors overlap the SME")
    if not any(candidate.level(area) for area in need.challenge_areas):
        return N_("no expertise in the requested areas")
    return None


def format_compatible(need: Need, candidate: Candidate) -> bool:
    on_site = "on_site" in candidate.formats and need.country in candidate.countries
    remote = "remote" in candidate.formats
    wanted = need.wanted_format
    if wanted == "on_site":
        return on_site
    if wanted == "remote":
        return remote
    return on_site or remote


def components(need: Need, candidate: Candidate) -> dict[str, float]:
    """The score's parts, each in [0, 1]."""
    levels = [candidate.level(a) / MAX_PROFICIENCY for a in need.challenge_areas]
    expertise = sum(levels) / len(levels) if levels else 0.0
    sector = 1.0 if division(need.sector) in {division(s) for s in candidate.sectors} else 0.0
    if need.country in candidate.countries:
        proximity = 1.0
    else:
        distance = abs(time_zone(need.country) - time_zone(candidate.home_country))
        proximity = max(0.0, 1 - distance / 2) * 0.5
    load = 1 - candidate.active_mentorships / candidate.capacity
    load = (load + (1 - candidate.company_load)) / 2
    return {"expertise": expertise, "sector": sector, "proximity": proximity, "load": load}


DEFAULT_WEIGHTS = Weights()


def score(need: Need, candidate: Candidate, weights: Weights = DEFAULT_WEIGHTS) -> Ranked:
    parts = components(need, candidate)
    shares = weights.normalised()
    total = sum(shares[name] * value for name, value in parts.items())
    return Ranked(candidate.mentor_id, round(total, 6), {k: round(v, 4) for k, v in parts.items()})


def rank(
    need: Need,
    candidates: list[Candidate],
    limit: int = 5,
    weights: Weights = DEFAULT_WEIGHTS,
    full_companies: frozenset[int] = frozenset(),
    preferred: frozenset[int] = frozenset(),
) -> list[Ranked]:
    """Feasible candidates, best first; ties go to the lower mentor id so runs repeat.

    A ``preferred`` mentor (a matching round's global pick) comes first when still feasible.
    """
    eligible = [
        score(need, c, weights)
        for c in candidates
        if exclusion(need, c, c.company_id in full_companies) is None
    ]
    eligible.sort(key=lambda r: (r.mentor_id not in preferred, -r.score, r.mentor_id))
    return eligible[:limit]


def exclusions(
    need: Need, candidates: list[Candidate], full_companies: frozenset[int] = frozenset()
) -> dict[str, list[int]]:
    """Which mentors each hard rule kept out, for the coordinator to see why."""
    out: dict[str, list[int]] = {}
    for c in candidates:
        reason = exclusion(need, c, c.company_id in full_companies)
        if reason is not None:
            out.setdefault(reason, []).append(c.mentor_id)
    return out

"""Synthetic pools of SMEs and mentors with realistic European proportions, for demos and
benchmarks: countries weighted by population, their languages plus English, common sectors
and challenge mixes, companies that sometimes sell into an SME's sector."""

from __future__ import annotations

import random

from mentorship.rules.matching import Candidate, Need
from mentorship.rules.taxonomy import CHALLENGE_AREAS

# Population in millions (2024, rounded) and the main official language of each country.
COUNTRIES: dict[str, tuple[float, str]] = {
    "DE": (84, "de"),
    "FR": (68, "fr"),
    "IT": (59, "it"),
    "ES": (48, "es"),
    "PL": (37, "pl"),
    "RO": (19, "ro"),
    "NL": (18, "nl"),
    "BE": (12, "nl"),
    "CZ": (11, "cs"),
    "SE": (10, "sv"),
    "PT": (10, "pt"),
    "GR": (10, "el"),
    "HU": (10, "hu"),
    "AT": (9, "de"),
    "BG": (6, "bg"),
    "DK": (6, "da"),
    "FI": (6, "fi"),
    "SK": (5, "sk"),
    "IE": (5, "en"),
    "HR": (4, "hr"),
    "LT": (3, "lt"),
    "SI": (2, "sl"),
    "LV": (2, "lv"),
    "EE": (1.4, "et"),
    "CY": (0.9, "el"),
    "LU": (0.7, "fr"),
    "MT": (0.5, "mt"),
}

# NACE codes common among SMEs, and how often each appears.
SECTORS = {
    "C10.71": 4,
    "G47.11": 8,
    "I56.10": 7,
    "F43.21": 6,
    "M69.20": 4,
    "C25.62": 3,
    "N81.21": 3,
    "Q86.23": 2,
    "H49.41": 3,
    "G46.90": 4,
    "S96.02": 3,
    "A01.13": 2,
}

# How often SMEs ask for each area: online visibility and e-commerce lead.
AREA_WEIGHTS = {
    "digital_marketing": 9,
    "website_seo_social": 9,
    "e_commerce": 7,
    "cms": 3,
    "crm": 4,
    "cloud": 5,
    "cybersecurity": 5,
    "data_analytics": 4,
    "ai_adoption": 5,
    "erp_automation": 3,
    "e_invoicing": 3,
    "remote_work": 2,
    "digital_strategy": 6,
}


def _country(rng: random.Random) -> str:
    names = list(COUNTRIES)
    return rng.choices(names, weights=[COUNTRIES[c][0] for c in names])[0]


def _areas(rng: random.Random, low: int, high: int) -> list[str]:
    names = list(AREA_WEIGHTS)
    picked: set[str] = set()
    for _ in range(rng.randint(low, high)):
        picked.add(rng.choices(names, weights=[AREA_WEIGHTS[a] for a in names])[0])
    return sorted(picked)


def needs(count: int, seed: int = 1) -> list[Need]:
    rng = random.Random(seed)
    sectors = list(SECTORS)
    result = []
    for i in range(count):
        country = _country(rng)
        languages = {COUNTRIES[country][1]}
        if rng.random() < 0.55:
            languages.add("en")
        result.append(
            Need(
                challenge_areas=frozenset(_areas(rng, 1, 3)),
                languages=frozenset(languages),
                country=country,
                sector=rng.choices(sectors, weights=list(SECTORS.values()))[0],
                format=rng.choices(["remote", "on_site", "both"], weights=[6, 1, 3])[0],
                request_id=i + 1,
            )
        )
    return result


def candidates(count: int, seed: int = 2) -> list[Candidate]:
    rng = random.Random(seed)
    companies = max(1, count // 40)
    lines = {
        c: ({"J62", "J63"} | ({rng.choice(list(SECTORS))[:3]} if rng.random() < 0.3 else set()))
        for c in range(1, companies + 1)
    }
    result = []
    for j in range(count):
        company = rng.randint(1, companies)
        country = _country(rng)
        languages = {COUNTRIES[country][1]}
        if rng.random() < 0.85:
            languages.add("en")
        if rng.random() < 0.2:
            languages.add(rng.choice(["de", "fr", "es", "it"]))
        areas = _areas(rng, 1, 4)
        result.append(
            Candidate(
                mentor_id=j + 1,
                expertise=frozenset(areas),
                proficiency={a: rng.randint(1, 3) for a in areas},
                languages=frozenset(languages),
                countries=frozenset({country}),
                capacity=rng.randint(1, 3),
                active_mentorships=0,
                company_id=company,
                company_product_lines=frozenset(lines[company]),
                formats=frozenset(rng.choice([["remote"], ["remote", "on_site"], ["on_site"]])),
                sectors=frozenset(rng.sample(list(SECTORS), 2)),
            )
        )
    assert set(AREA_WEIGHTS) <= set(CHALLENGE_AREAS)
    return result

"""The Digital Intensity Index self-assessment: twelve yes/no criteria, a score and a level.

The criteria follow Eurostat's Digital Intensity Index (DII), which counts how many of twelve
digital technologies an enterprise uses. Eurostat revises the list between survey years, so
each assessment stores the version it was answered under; a new list is a new version and old
answers keep their meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from mentorship.i18n import N_

VERSION = "dii-v4"


@dataclass(frozen=True)
class Criterion:
    key: str
    statement: str  # as the SME reads it: true or not for its business


CRITERIA: tuple[Criterion, ...] = (
    Criterion("internet_majority", N_("More than half of our people use the internet for work.")),
    Criterion("ict_specialists", N_("We employ ICT specialists.")),
    Criterion("fast_broadband", N_("Our fastest fixed internet connection is 30 Mbit/s or more.")),
    Criterion("website", N_("We have a website.")),
    Criterion("social_media", N_("We use social media for the business.")),
    Criterion("online_ads", N_("We pay to advertise on the internet.")),
    Criterion(
        "cloud_services",
        N_("We buy cloud services beyond e-mail and storage (e.g. office software, finance, CRM)."),
    ),
    Criterion("erp", N_("We use ERP software to share information between departments.")),
    Criterion("crm", N_("We use CRM software to manage information about our customers.")),
    Criterion(
        "data_analytics", N_("We analyse our data (e.g. sales or customer data) for decisions.")
    ),
    Criterion("artificial_intelligence", N_("We use at least one artificial-intelligence tool.")),
    Criterion("ecommerce_sales", N_("Online sales make up at least 1% of our turnover.")),
)
KEYS = tuple(c.key for c in CRITERIA)


class Level(StrEnum):
    VERY_LOW = "very_low"
    LOW = "low"
    HIGH = "high"
    VERY_HIGH = "very_high"


LEVEL_LABELS = {
    Level.VERY_LOW: N_("very low"),
    Level.LOW: N_("low"),
    Level.HIGH: N_("high"),
    Level.VERY_HIGH: N_("very high"),
}


class IncompleteAssessment(ValueError):
    """Answers that do not cover exactly the twelve criteria."""


@dataclass(frozen=True)
class Assessment:
    answers: dict[str, bool]
    score: int
    level: Level
    version: str = VERSION


def level_of(score: int) -> Level:
    """Eurostat's bands: very low 0-3, low 4-6, high 7-9, very high 10-12."""
    if not 0 <= score <= len(CRITERIA):
        raise ValueError(f"a DII score is between 0 and {len(CRITERIA)}, not {score}")
    if score <= 3:
        return Level.VERY_LOW
    if score <= 6:
        return Level.LOW
    if score <= 9:
        return Level.HIGH
    return Level.VERY_HIGH


def assess(answers: Mapping[str, bool]) -> Assessment:
    """Score a complete set of answers: one point per criterion answered yes."""
    missing = [k for k in KEYS if k not in answers]
    unknown = sorted(set(answers) - set(KEYS))
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"no answer for {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown criteria {', '.join(unknown)}")
        raise IncompleteAssessment("; ".join(parts))
    clean = {k: bool(answers[k]) for k in KEYS}
    score = sum(clean.values())
    return Assessment(clean, score, level_of(score))


def uplift(before: int | None, after: int | None) -> int | None:
    """Points gained between intake and completion; None until both are known."""
    if before is None or after is None:
        return None
    return after - before

"""The programme in figures, for coordinators: each figure a title, its columns and rows, and
which column its chart draws. Every figure is a few aggregate queries over indexed columns,
so the dashboard costs the same with a hundred requests or a hundred thousand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.orm import Session, selectinload

from mentorship.i18n import N_
from mentorship.rules.stages import Role, Stage
from mentorship.services import pledges
from mentorship.store.models import (
    Initiative,
    MentorProfile,
    Mentorship,
    Organisation,
    Pledge,
    StageVisit,
    SupportRequest,
    User,
)

DAY = 24 * 3600.0
# Requests that never had a chance of a match: still in review, or turned down at intake.
NOT_YET_MATCHED = (Stage.INTAKE_REVIEW, Stage.REJECTED)
# The columns' words on the page; the CSV keeps the codes, for the programs that read it.
COLUMNS = {
    "stage": N_("stage"),
    "requests": N_("requests"),
    "median_days": N_("median days"),
    "stays": N_("stays"),
    "outcome": N_("outcome"),
    "month": N_("month"),
    "completed": N_("completed"),
    "mean_days": N_("mean days"),
    "agreements": N_("agreements"),
    "company": N_("company"),
    "utilisation_pct": N_("utilisation pct"),
    "running": N_("running"),
    "capacity": N_("capacity"),
    "indicator": N_("indicator"),
    "pct_of_target": N_("pct of target"),
    "achieved": N_("achieved"),
    "target": N_("target"),
}


@dataclass(frozen=True)
class Figure:
    """A figure: its title and note are catalog text (``N_``), the note's values apart in
    ``values``; the columns are codes (their words in ``COLUMNS``)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    bar: int | None = 1  # the column the chart draws; None: a table only
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def funnel(session: Session, now: datetime) -> Figure:
    counts = dict(
        session.execute(
            select(SupportRequest.stage, func.count()).group_by(SupportRequest.stage)
        ).all()
    )
    rows = [(stage.value, counts.get(stage, 0)) for stage in Stage]
    return Figure("funnel", N_("Requests by stage"), ("stage", "requests"), rows)


def time_in_stage(session: Session, now: datetime) -> Figure:
    """The median stay in each stage, over the stays that ended."""
    done = (
        select(StageVisit.stage, func.count())
        .where(StageVisit.seconds.is_not(None))
        .group_by(StageVisit.stage)
    )
    counts = dict(session.execute(done).all())
    rows = []
    for stage in Stage:
        n = counts.get(stage, 0)
        if not n:
            continue
        middle = session.scalar(
            select(StageVisit.seconds)
            .where(StageVisit.stage == stage, StageVisit.seconds.is_not(None))
            .order_by(StageVisit.seconds)
            .offset((n - 1) // 2)
            .limit(1)
        )
        rows.append((stage.value, round((middle or 0) / DAY, 1), n))
    return Figure(
        "time_in_stage", N_("Median days in each stage"), ("stage", "median_days", "stays"), rows
    )


def match_rate(session: Session, now: datetime) -> Figure:
    considered = session.scalar(
        select(func.count()).where(SupportRequest.stage.not_in(NOT_YET_MATCHED))
    )
    matched = session.scalar(select(func.count(distinct(Mentorship.request_id)))) or 0
    total = considered or 0
    rate = round(100 * matched / total, 1) if total else 0.0
    rows = [(N_("matched"), matched), (N_("not matched (yet)"), max(0, total - matched))]
    return Figure(
        "match_rate",
        N_("Match rate"),
        ("outcome", "requests"),
        rows,
        note=N_("%(rate)s%% of the %(total)s approved requests found a mentor."),
        values={"rate": rate, "total": total},
    )


def _monthly(session: Session, stage: Stage, column: Any, since: datetime) -> list[Any]:
    year, month = extract("year", column), extract("month", column)
    return list(
        session.execute(
            select(year, month, func.count(), func.avg(StageVisit.seconds))
            .where(StageVisit.stage == stage, column >= since)
            .group_by(year, month)
            .order_by(year, month)
        ).all()
    )


def completions(session: Session, now: datetime) -> Figure:
    since = now - timedelta(days=365)
    rows = [
        (f"{int(y)}-{int(m):02d}", n)
        for y, m, n, _ in _monthly(session, Stage.COMPLETED, StageVisit.entered_at, since)
    ]
    return Figure(
        "completions", N_("Mentorships completed per month"), ("month", "completed"), rows
    )


def nda_turnaround(session: Session, now: datetime) -> Figure:
    """How long agreements took to be signed by all, or to fail, by the month they ended."""
    since = now - timedelta(days=365)
    rows = [
        (f"{int(y)}-{int(m):02d}", round(float(avg or 0) / DAY, 1), n)
        for y, m, n, avg in _monthly(session, Stage.NDA, StageVisit.left_at, since)
    ]
    return Figure(
        "nda_turnaround",
        N_("Days to sign the agreement, by month"),
        ("month", "mean_days", "agreements"),
        rows,
    )


def utilisation(session: Session, now: datetime) -> Figure:
    """Running mentorships against what the company's mentors can take on."""
    capacity: dict[Any, Any] = dict(
        session.execute(
            select(User.organisation_id, func.sum(MentorProfile.capacity))
            .join(MentorProfile, MentorProfile.user_id == User.id)
            .where(User.role == Role.MENTOR, User.erased_at.is_(None))
            .group_by(User.organisation_id)
        ).all()
    )
    active = dict(
        session.execute(
            select(Mentorship.company_id, func.count())
            .where(Mentorship.status == "active")
            .group_by(Mentorship.company_id)
        ).all()
    )
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(capacity)))
        ).all()
    )
    rows = []
    for company_id, places in sorted(capacity.items(), key=lambda kv: names.get(kv[0], "")):
        running = active.get(company_id, 0)
        share = round(100 * running / places, 1) if places else 0.0
        rows.append((names.get(company_id, str(company_id)), share, running, int(places or 0)))
    return Figure(
        "utilisation",
        N_("Mentor utilisation by company"),
        ("company", "utilisation_pct", "running", "capacity"),
        rows,
    )


def pledge_progress(session: Session, now: datetime) -> Figure:
    rows = []
    all_pledges = session.scalars(
        select(Pledge)
        .options(selectinload(Pledge.initiatives).selectinload(Initiative.indicators))
        .order_by(Pledge.id)
    ).all()
    done = pledges.achieved(session, [p.id for p in all_pledges])
    for pledge in all_pledges:
        for indicator, target in pledges.targets(pledge).items():
            value = done.get(pledge.id, {}).get(indicator, 0)
            share = round(100 * value / target, 1) if target else 0.0
            rows.append((pledge.organisation.name, indicator, share, value, target))
    return Figure(
        "pledges",
        N_("Pledge indicators against their targets"),
        ("company", "indicator", "pct_of_target", "achieved", "target"),
        rows,
        bar=2,
    )


FIGURES: dict[str, Callable[[Session, datetime], Figure]] = {
    "funnel": funnel,
    "time_in_stage": time_in_stage,
    "match_rate": match_rate,
    "completions": completions,
    "nda_turnaround": nda_turnaround,
    "utilisation": utilisation,
    "pledges": pledge_progress,
}


def figures(session: Session, now: datetime) -> list[Figure]:
    return [make(session, now) for make in FIGURES.values()]

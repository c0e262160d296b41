"""Pledge entries: what a completed mentorship adds to its company's pledge, and its copy in
the Coalition's registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentorship.adapters.registry import Pushed, Rejected, idempotency_key
from mentorship.errors import NotFound, Refused
from mentorship.i18n import N_
from mentorship.rules.payloads import TaskSpec
from mentorship.rules.stages import Role, SessionStatus, TaskKind
from mentorship.rules.subjects import Ref, SubjectKind
from mentorship.services import tasks
from mentorship.store.models import (
    Indicator,
    Initiative,
    IntensityAssessment,
    Mentorship,
    Organisation,
    Pledge,
    PledgeEntry,
    PledgeReport,
    SessionLog,
    Task,
    User,
    utcnow,
)

# The Coalition's four pillars.
PILLARS = {
    "citizens": N_("Digital skills for all citizens"),
    "labour_force": N_("Digital skills for the labour force"),
    "ict_professionals": N_("Digital skills for ICT professionals"),
    "education": N_("Digital skills in education"),
}
# The indicators of a Digital Volunteers initiative, and the targets a new pledge starts with.
INDICATORS = {
    "smes_supported": N_("SMEs supported"),
    "mentor_hours": N_("Mentor hours"),
    "employees_upskilled": N_("SME employees upskilled"),
}
DEFAULT_TARGETS = {"smes_supported": 5.0, "mentor_hours": 100.0, "employees_upskilled": 20.0}


# What the public sees: a pledge once its company submitted it, and approved ones. A draft is
# the company's own until then; so are the entries recorded against it.
PUBLIC_STATUSES = ("submitted", "approved")


def is_public(pledge: Pledge) -> bool:
    return pledge.status in PUBLIC_STATUSES


def public_pledges(session: Session) -> list[Pledge]:
    """The pledges the Pledge Viewer, its exports and the API show, by company name."""
    stmt = (
        select(Pledge)
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .where(Pledge.status.in_(PUBLIC_STATUSES))
        .order_by(Organisation.name, Pledge.id)
    )
    return list(session.scalars(stmt))


def public_entries(session: Session) -> list[PledgeEntry]:
    """The entries recorded against public pledges, oldest first."""
    stmt = (
        select(PledgeEntry)
        .join(Pledge, Pledge.id == PledgeEntry.pledge_id)
        .where(Pledge.status.in_(PUBLIC_STATUSES))
        .order_by(PledgeEntry.id)
    )
    return list(session.scalars(stmt))


def approve(pledge: Pledge, coordinator_id: int | None) -> None:
    pledge.status, pledge.approved_at, pledge.approved_by = "approved", utcnow(), coordinator_id


def open_pledge(session: Session, company: Organisation) -> Pledge:
    """The company's Digital Volunteers pledge, made with its initiative when it joins."""
    pledge = session.scalar(select(Pledge).where(Pledge.organisation_id == company.id))
    if pledge is not None:
        return pledge
    pledge = Pledge(
        organisation=company,
        title=f"Digital Volunteers: {company.name}",
        description=(
            f"{company.name} lends its digital experts, pro bono, as mentors to small and "
            "medium-sized enterprises."
        ),
        pillars=["labour_force"],
        countries=[company.country],
        initiatives=[
            Initiative(
                title="Digital Volunteers mentoring",
                action_type="mentoring",
                beneficiary_type="smes",
                indicators=[Indicator(key=k, target=t) for k, t in DEFAULT_TARGETS.items()],
            )
        ],
    )
    session.add(pledge)
    session.flush()
    return pledge


@dataclass(frozen=True)
class PledgeDraft:
    """A pledge as its company admin typed it."""

    title: str
    description: str
    pillars: list[str]
    countries: list[str]
    starts_on: date
    ends_on: date | None
    public_funding: bool
    targets: dict[str, float]


def update_pledge(session: Session, pledge: Pledge, draft: PledgeDraft) -> None:
    """Change the pledge and its targets; it goes back to draft until submitted again."""
    pledge.title, pledge.description = draft.title, draft.description
    pledge.pillars, pledge.countries = list(draft.pillars), list(draft.countries)
    pledge.starts_on, pledge.ends_on = draft.starts_on, draft.ends_on
    pledge.public_funding = draft.public_funding
    pledge.status, pledge.approved_at, pledge.approved_by = "draft", None, None
    for initiative in pledge.initiatives:
        for indicator in initiative.indicators:
            indicator.target = draft.targets.get(indicator.key, indicator.target)
    session.flush()


def achieved(session: Session, pledge_ids: list[int] | None = None) -> dict[int, dict[str, float]]:
    """Per pledge, each indicator's sum over its entries, in one grouped query."""
    stmt = select(
        PledgeEntry.pledge_id,
        func.sum(PledgeEntry.smes_supported),
        func.sum(PledgeEntry.mentor_hours),
        func.sum(PledgeEntry.employees_upskilled),
    ).group_by(PledgeEntry.pledge_id)
    if pledge_ids is not None:
        stmt = stmt.where(PledgeEntry.pledge_id.in_(pledge_ids))
    return {
        pledge_id: dict(zip(INDICATORS, (float(v or 0) for v in values), strict=True))
        for pledge_id, *values in session.execute(stmt).all()
    }


def period_values(session: Session, pledge_id: int, start: date, end: date) -> dict[str, float]:
    """Each indicator over the entries recorded from ``start`` to ``end``, both included."""
    row = session.execute(
        select(
            func.coalesce(func.sum(PledgeEntry.smes_supported), 0),
            func.coalesce(func.sum(PledgeEntry.mentor_hours), 0.0),
            func.coalesce(func.sum(PledgeEntry.employees_upskilled), 0),
        ).where(
            PledgeEntry.pledge_id == pledge_id,
            PledgeEntry.created_at >= datetime.combine(start, time.min),
            PledgeEntry.created_at < datetime.combine(end + timedelta(days=1), time.min),
        )
    ).one()
    return dict(zip(INDICATORS, (float(v) for v in row), strict=True))


def submit_report(
    session: Session, pledge: Pledge, user: User, start: date, end: date, narrative: str
) -> PledgeReport:
    """The report of a period, its figures taken from the entries; one per period."""
    existing = session.scalar(
        select(PledgeReport).where(
            PledgeReport.pledge_id == pledge.id,
            PledgeReport.period_start == start,
            PledgeReport.period_end == end,
        )
    )
    if existing is not None:
        raise Refused(
            N_("A report for %(start)s to %(end)s was already submitted."), start=start, end=end
        )
    report = PledgeReport(
        pledge_id=pledge.id,
        period_start=start,
        period_end=end,
        values=period_values(session, pledge.id, start, end),
        narrative=narrative,
        submitted_by=user.id,
    )
    session.add(report)
    session.flush()
    return report


def targets(pledge: Pledge) -> dict[str, float]:
    return {i.key: i.target for initiative in pledge.initiatives for i in initiative.indicators}


def totals_by(
    pledges: list[Pledge], done: dict[int, dict[str, float]], dimension: str
) -> dict[str, dict[str, float]]:
    """Indicator totals per country or per pillar; a pledge counts in each of its own."""
    totals: dict[str, dict[str, float]] = {}
    for pledge in pledges:
        for value in getattr(pledge, dimension) or []:
            row = totals.setdefault(value, dict.fromkeys(INDICATORS, 0.0))
            for key, amount in done.get(pledge.id, {}).items():
                row[key] += amount
    return dict(sorted(totals.items()))


class SyncOutcome(StrEnum):
    SYNCED = "synced"
    NOT_CONFIGURED = "not_configured"  # no registry to send to: the entry stays local
    REJECTED = "rejected"  # a coordinator reads the registry's message


def record_pledge_entry(session: Session, mentorship_id: int) -> PledgeEntry:
    """Count a finished mentorship once on its company's Digital Volunteers pledge."""
    entry = session.scalar(select(PledgeEntry).where(PledgeEntry.mentorship_id == mentorship_id))
    if entry is not None:
        return entry
    mentorship = session.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(N_("mentorship %(id)s does not exist"), id=mentorship_id)
    pledge = open_pledge(session, mentorship.company)
    held = (SessionLog.mentorship_id == mentorship_id) & (
        SessionLog.status == SessionStatus.CONFIRMED
    )
    hours, people = session.execute(
        select(
            func.coalesce(func.sum(SessionLog.hours), 0.0),
            func.coalesce(func.max(SessionLog.participants), 0),
        ).where(held)
    ).one()
    entry = PledgeEntry(
        pledge=pledge,
        mentorship_id=mentorship_id,
        smes_supported=1,
        mentor_hours=float(hours or 0),
        employees_upskilled=int(people or 0),
        intensity_uplift=_uplift(session, mentorship.request_id),
    )
    session.add(entry)
    session.flush()
    return entry


def _uplift(session: Session, request_id: int) -> int | None:
    """Digital-intensity points gained between intake and completion, if both were answered."""
    rows = session.execute(
        select(IntensityAssessment.phase, IntensityAssessment.score).where(
            IntensityAssessment.request_id == request_id
        )
    ).all()
    scores = {phase: score for phase, score in rows}
    if "intake" in scores and "completion" in scores:
        return scores["completion"] - scores["intake"]
    return None


def _entry(session: Session, entry_id: int) -> PledgeEntry:
    entry = session.get(PledgeEntry, entry_id)
    if entry is None:
        raise NotFound(N_("pledge entry %(id)s does not exist"), id=entry_id)
    return entry


def registry_request(session: Session, entry_id: int) -> tuple[str, dict[str, Any]]:
    """The entry's idempotency key, and what the registry receives: organisations and
    indicators, no person's data."""
    entry = _entry(session, entry_id)
    return idempotency_key(entry.mentorship_id), {
        "pledger": entry.pledge.organisation.name,
        "pledge": entry.pledge.title,
        "mentorship": f"DV-{entry.mentorship.request_id}",
        "completed_on": entry.created_at.date().isoformat(),
        "indicators": {
            "smes_supported": entry.smes_supported,
            "mentor_hours": entry.mentor_hours,
            "employees_upskilled": entry.employees_upskilled,
            "digital_intensity_uplift": entry.intensity_uplift,
        },
    }


def record_not_configured(session: Session, entry_id: int) -> SyncOutcome:
    _entry(session, entry_id).registry_status = "not_configured"
    return SyncOutcome.NOT_CONFIGURED


def record_unavailable(session: Session, entry_id: int, problem: str) -> None:
    """One more attempt that the registry did not take; the workflow tries again later."""
    entry = _entry(session, entry_id)
    entry.registry_status = "retrying"
    entry.registry_attempts += 1
    entry.registry_error = problem


def record_answer(session: Session, entry_id: int, answer: Pushed | Rejected) -> SyncOutcome:
    """The registry took the entry, or refused it: then a coordinator gets a task."""
    entry = _entry(session, entry_id)
    entry.registry_attempts += 1
    open_tasks = select(Task).where(
        Task.kind == TaskKind.FIX_REGISTRY_ENTRY,
        Task.subject_kind == SubjectKind.PLEDGE_ENTRY,
        Task.subject_id == entry.id,
        Task.closed_at.is_(None),
    )
    task = session.scalar(open_tasks)
    if isinstance(answer, Pushed):
        entry.registry_status, entry.registry_id = "synced", answer.registry_id
        entry.registry_error, entry.synced_at = None, utcnow()
        if task is not None:
            task.closed_at = utcnow()
        return SyncOutcome.SYNCED
    entry.registry_status = "rejected"
    entry.registry_error = f"HTTP {answer.status}: {answer.message}"
    if task is None:
        subject = Ref.pledge_entry(entry.id)
        spec = TaskSpec(TaskKind.FIX_REGISTRY_ENTRY, Role.COORDINATOR, subject=subject)
        request = entry.mentorship.request
        session.add(tasks.new_task(request, spec, utcnow()))
        tasks.notify(session, request, [spec], f"registry-rejected-{entry.id}")
    return SyncOutcome.REJECTED

"""Mentoring plans: goals with measurable results, sessions, hours, cadence and end date.

One side proposes a plan (or a change to the one in force) and the other accepts; a
coordinator may extend the plan in force at once, with a reason. The goals stay here, in the
database; the workflow keeps only a plan's id, number of sessions and end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.errors import NotFound
from mentorship.i18n import N_
from mentorship.rules.payloads import StepInput
from mentorship.rules.stages import Effect
from mentorship.rules.subjects import SubjectKind
from mentorship.store.models import GoalOutcome, MentoringPlan, Mentorship, PlanGoal, User, utcnow

CADENCES = {
    "weekly": N_("Every week"),
    "fortnightly": N_("Every two weeks"),
    "monthly": N_("Every month"),
    "as_agreed": N_("As agreed session by session"),
}
GOAL_RESULTS = {
    "achieved": N_("Achieved"),
    "partly": N_("Partly achieved"),
    "not_achieved": N_("Not achieved"),
}
MAX_GOALS = 8
PLAN_EFFECTS = frozenset({Effect.PLAN_PROPOSED, Effect.PLAN_AGREED, Effect.PLAN_EXTENDED})


@dataclass(frozen=True)
class GoalDraft:
    goal: str
    measure: str  # the measurable result
    target_on: date


@dataclass(frozen=True)
class PlanDraft:
    """A plan as typed in the form, before it is written."""

    sessions: int
    hours: float
    cadence: str
    ends_on: date
    goals: list[GoalDraft]
    note: str = ""


def write_plan(
    session: Session,
    nonce: str,
    mentorship: Mentorship,
    user: User,
    draft: PlanDraft,
) -> MentoringPlan:
    """A proposed plan (or a coordinator's extension), pending until the workflow takes it;
    a double submit of the same form finds the first row."""
    plan = session.scalar(select(MentoringPlan).where(MentoringPlan.nonce == nonce))
    if plan is None:
        plan = MentoringPlan(
            nonce=nonce,
            mentorship_id=mentorship.id,
            proposed_by=user.id,
            role=user.role,
            sessions=draft.sessions,
            hours=draft.hours,
            cadence=draft.cadence,
            ends_on=draft.ends_on,
            note=draft.note,
            goals=[
                PlanGoal(position=n, goal=g.goal, measure=g.measure, target_on=g.target_on)
                for n, g in enumerate(draft.goals, start=1)
            ],
        )
        session.add(plan)
        session.flush()
    return plan


def extension_of(plan: MentoringPlan, ends_on: date, sessions: int) -> PlanDraft:
    """The plan in force with a later end date (and possibly more sessions), same goals."""
    goals = [GoalDraft(g.goal, g.measure, g.target_on) for g in plan.goals]
    return PlanDraft(sessions, plan.hours, plan.cadence, ends_on, goals, plan.note)


def plan_in_force(session: Session, mentorship_id: int) -> MentoringPlan | None:
    return session.scalar(
        select(MentoringPlan)
        .where(MentoringPlan.mentorship_id == mentorship_id, MentoringPlan.status == "agreed")
        .order_by(MentoringPlan.id.desc())
    )


def plan_and_proposal(
    session: Session, mentorship_id: int
) -> tuple[MentoringPlan | None, MentoringPlan | None]:
    """The plan in force and the open proposal (the latest of each), in one query."""
    latest: dict[str, MentoringPlan] = {}
    for plan in session.scalars(
        select(MentoringPlan)
        .where(
            MentoringPlan.mentorship_id == mentorship_id,
            MentoringPlan.status.in_(("agreed", "proposed")),
        )
        .order_by(MentoringPlan.id.desc())
    ):
        latest.setdefault(plan.status, plan)
    return latest.get("agreed"), latest.get("proposed")


def apply_plan_step(session: Session, step: StepInput) -> MentoringPlan:
    """A proposal the workflow took, or a plan that came into force; returns the plan."""
    plan_id = step.subject_of(SubjectKind.PLAN)
    plan = session.get(MentoringPlan, plan_id)
    if plan is None:
        raise NotFound(N_("mentoring plan %(id)s does not exist"), id=plan_id)
    others = select(MentoringPlan).where(
        MentoringPlan.mentorship_id == plan.mentorship_id, MentoringPlan.id != plan.id
    )
    if step.effect == Effect.PLAN_PROPOSED:
        plan.status = "proposed"
        for older in session.scalars(others.where(MentoringPlan.status == "proposed")):
            older.status = "superseded"
        return plan
    plan.status, plan.agreed_at = "agreed", utcnow()
    for older in session.scalars(others.where(MentoringPlan.status == "agreed")):
        older.status = "replaced"
    if step.effect == Effect.PLAN_AGREED:  # the proposal accepted: no other is open now
        for older in session.scalars(others.where(MentoringPlan.status == "proposed")):
            older.status = "superseded"
    mentorship = session.get(Mentorship, plan.mentorship_id)
    assert mentorship is not None  # a foreign key
    mentorship.request.planned_sessions = plan.sessions
    return plan


def write_goal_outcomes(
    session: Session, feedback_id: int, outcomes: dict[int, tuple[str, str]]
) -> None:
    """Per goal of the plan, how far it was achieved (once per feedback and goal)."""
    known = set(
        session.scalars(select(GoalOutcome.goal_id).where(GoalOutcome.feedback_id == feedback_id))
    )
    for goal_id, (result, note) in outcomes.items():
        if goal_id not in known:
            session.add(
                GoalOutcome(feedback_id=feedback_id, goal_id=goal_id, result=result, note=note)
            )
    session.flush()


def goal_outcomes(session: Session, feedback_ids: list[int]) -> dict[int, list[GoalOutcome]]:
    """The goal outcomes of each feedback, in the plan's order of goals."""
    if not feedback_ids:
        return {}
    rows = session.scalars(
        select(GoalOutcome)
        .join(PlanGoal, GoalOutcome.goal_id == PlanGoal.id)
        .where(GoalOutcome.feedback_id.in_(feedback_ids))
        .order_by(PlanGoal.position)
    )
    found: dict[int, list[GoalOutcome]] = {i: [] for i in feedback_ids}
    for row in rows:
        found[row.feedback_id].append(row)
    return found

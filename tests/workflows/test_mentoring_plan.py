"""The mentoring plan, the session calendar and their reminders, on the time-skipping server."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from mentorship.rules.choices import Decision, PauseChoice, PlanRef
from mentorship.rules.stages import Role, Stage, TaskKind, Update
from mentorship.rules.subjects import Ref
from scripted.driver import COORDINATOR, Driver
from tests.workflows.fakes import SHA, FakeActivities
from tests.workflows.test_mentorship_workflow import (
    ANNA,
    DAY,
    SME,
    accepted_by_anna,
    agree_plan,
    in_sessions,
    refused,
    run,
)


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


async def _day(env: WorkflowEnvironment, days: int) -> str:
    """The ISO date ``days`` from the workflow's now."""
    return (await env.get_current_time() + timedelta(days=days)).date().isoformat()


async def sealed(wf: Driver) -> None:
    await accepted_by_anna(wf)
    await wf.sign(SME, 31, 701, SHA)
    await wf.sign(ANNA, 32, 701, SHA)
    await wf.wait_for(TaskKind.PROPOSE_PLAN, Stage.SESSIONS)


async def proposed_and_countered(
    env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities
) -> None:
    """The SME proposes, the mentor counters with fewer sessions, the SME accepts; later the
    plan shrinks to what was held, which ends the sessions."""
    await sealed(wf)
    assert "Agree the mentoring plan" in await refused(wf.log_session(ANNA, 41))
    assert "after today" in await refused(wf.propose_plan(SME, 61, 3, await _day(env, 0)))
    assert "at least 1" in await refused(wf.propose_plan(SME, 61, 0))
    await wf.propose_plan(SME, 61, 3)
    status = await wf.wait_for(TaskKind.ACCEPT_PLAN)
    assert [(t.role, t.user_id, t.subject) for t in status.tasks] == [
        (Role.MENTOR, 101, Ref.plan(61))
    ]
    assert "other side" in await refused(wf.accept_plan(SME, 61))
    await wf.propose_plan(ANNA, 62, 2)  # a counter-proposal replaces the open one
    assert "no longer open" in await refused(wf.accept_plan(SME, 61))
    status = await wf.wait_for(TaskKind.ACCEPT_PLAN)
    assert [(t.role, t.subject) for t in status.tasks] == [(Role.SME, Ref.plan(62))]
    await wf.accept_plan(SME, 62)
    status = await wf.wait_for(TaskKind.LOG_SESSION)
    assert status.planned_sessions == 2
    await wf.log_session(ANNA, 41)
    await wf.confirm_session(SME, 41)
    await wf.log_session(ANNA, 42)
    assert "at least 2" in await refused(wf.propose_plan(ANNA, 63, 1))
    await wf.confirm_session(SME, 42)
    await wf.wait_for(stage=Stage.COMPLETION_REVIEW)


def test_one_side_proposes_the_plan_the_other_accepts_and_the_plan_sets_the_sessions() -> None:
    fakes = run(proposed_and_countered)
    effects = fakes.effects()
    assert effects[effects.index("agreement_sealed") :][:4] == [
        "agreement_sealed",
        "plan_proposed",
        "plan_proposed",
        "plan_agreed",
    ]
    agreed = fakes.steps[effects.index("plan_agreed")]
    assert (agreed.subject, agreed.actor_id) == (Ref.plan(62), SME.user_id)


def test_a_change_to_fewer_sessions_than_held_ends_the_sessions() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await in_sessions(wf)  # two sessions planned
        await wf.log_session(ANNA, 41)
        await wf.confirm_session(SME, 41)
        await wf.update(Update.PAUSE, PauseChoice(SME, await _day(env, 10), 50))
        on_hold = refused(wf.propose_plan(SME, 62, 1, await _day(env, 30)))
        assert "resume the mentorship first" in await on_hold
        await wf.update(Update.RESUME, Decision(SME))
        await wf.propose_plan(SME, 62, 1, await _day(env, 30))
        await wf.accept_plan(ANNA, 62)
        status = await wf.wait_for(stage=Stage.COMPLETION_REVIEW)
        assert (status.confirmed_sessions, status.planned_sessions) == (1, 1)

    run(scenario)


def test_with_no_plan_agreed_for_three_weeks_both_sides_are_reminded() -> None:
    async def scenario(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
        await sealed(wf)
        await env.sleep(21 * DAY - 3600)
        assert "nudged" not in fakes.effects()
        await env.sleep(2 * 3600)
        await wf.wait_for(TaskKind.PROPOSE_PLAN)
        await env.sleep(60)
        assert fakes.effects()[-1] == "nudged"

    run(scenario)


async def rescheduled(env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities) -> None:
    """A session scheduled, moved, another cancelled; two weeks after the last one held with
    nothing new on the calendar, both sides are reminded."""
    await accepted_by_anna(wf)
    assert "not open" in await refused(wf.schedule(SME, 71, "2030-01-01T09:00:00"))
    await wf.sign(SME, 31, 701, SHA)
    await wf.sign(ANNA, 32, 701, SHA)
    await agree_plan(wf)
    await env.sleep(13 * DAY)  # a day before the reminder...
    now = await env.get_current_time()
    await wf.schedule(ANNA, 71, _iso(now + timedelta(days=3)))
    assert "already scheduled" in await refused(wf.schedule(SME, 71, _iso(now + timedelta(days=3))))
    await wf.schedule(SME, 72, _iso(now + timedelta(days=5)), replaces_id=71)  # moved
    assert "no longer on the calendar" in await refused(wf.cancel_session(SME, 71))
    await wf.schedule(ANNA, 73, _iso(now + timedelta(days=1)))
    await wf.cancel_session(SME, 73)
    await env.sleep(6 * DAY)  # session 72 has begun
    assert "has begun" in await refused(wf.cancel_session(ANNA, 72))
    await env.sleep(12 * DAY)  # thirteen days after session 72: quiet...
    assert "nudged" not in fakes.effects()
    await env.sleep(2 * DAY)  # ...then two weeks passed with nothing new on the calendar
    await wf.wait_for(stage=Stage.SESSIONS)
    await env.sleep(60)


def test_moving_and_cancelling_sessions_and_the_reminder_when_nothing_is_scheduled() -> None:
    fakes = run(rescheduled)
    effects = fakes.effects()
    assert effects[effects.index("plan_agreed") :] == [
        "plan_agreed",
        "session_scheduled",
        "session_moved",
        "session_scheduled",
        "session_cancelled",
        "nudged",
    ]
    moved = fakes.steps[effects.index("session_moved")]
    assert (moved.subject, moved.actor_id) == (Ref.scheduled_session(72), SME.user_id)


async def overdue_then_extended(
    env: WorkflowEnvironment, wf: Driver, fakes: FakeActivities
) -> None:
    """The plan's end date passes with sessions to hold: both sides are reminded, then a
    coordinator is asked to follow up, and extends the plan with a reason."""
    await sealed(wf)
    ends_on = await _day(env, 10)
    await wf.propose_plan(ANNA, 61, 2, ends_on)
    await wf.accept_plan(SME, 61)
    now = await env.get_current_time()
    await wf.schedule(ANNA, 71, _iso(now + timedelta(days=30)))  # no "unscheduled" reminder
    await env.sleep(11 * DAY + 3600)  # past the end date
    await wf.wait_for(stage=Stage.SESSIONS)
    await env.sleep(60)
    assert fakes.effects()[-1] == "nudged"
    await env.sleep(7 * DAY)
    status = await wf.wait_for(TaskKind.FOLLOW_UP)
    assert [t.role for t in status.tasks if t.kind == TaskKind.FOLLOW_UP] == [Role.COORDINATOR]
    later = await _day(env, 60)
    by_sme = PlanRef(SME, 62, 2, later, 90)
    assert "sme cannot" in await refused(wf.update(Update.EXTEND_PLAN, by_sme))
    assert "after the plan's" in await refused(wf.extend_plan(62, 2, ends_on, 90))
    no_reason = PlanRef(COORDINATOR, 62, 2, later)
    assert "needs a reason" in await refused(wf.update(Update.EXTEND_PLAN, no_reason))
    await wf.extend_plan(62, 2, later, 90)
    status = await wf.wait_for(TaskKind.LOG_SESSION)
    assert TaskKind.FOLLOW_UP not in [t.kind for t in status.tasks]  # the cause went


def test_an_overdue_plan_is_escalated_and_a_coordinator_extends_it() -> None:
    fakes = run(overdue_then_extended)
    effects = fakes.effects()
    assert effects[effects.index("session_scheduled") :] == [
        "session_scheduled",
        "nudged",
        "escalated",
        "plan_extended",
    ]
    extended = fakes.steps[-1]
    assert (extended.subject, extended.reason_id) == (Ref.plan(62), 90)

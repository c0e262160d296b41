"""One mentorship driven as its people would, writing their rows as the web does and sending
their steps to the workflow: shared by the tests that run it on different servers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from mentorship import completion, plans, services, signing
from mentorship.config import Settings
from mentorship.db import transaction
from mentorship.models import Agreement, MentoringPlan, Mentorship, User
from mentorship.stages import Durations, RankInput, Stage, StatusView, TaskKind
from tests.driver import Driver
from tests.factories import actor
from workflows.starter import start_mentorship


def quick_settings(data_dir: Path) -> Settings:
    """Settings for a whole mentorship in a test: a task queue of its own, two sessions, and
    a month of one second, so the follow-up surveys after completion come in 3 and 6 s; a
    short activity whose worker was killed is tried again after 10 s."""
    return Settings(
        data_dir=data_dir,
        task_queue=f"q-{uuid.uuid4().hex}",
        planned_sessions=2,
        durations=Durations(month=1, step_timeout=10),
    )


def target(env: WorkflowEnvironment) -> str:
    """The address of a test server, as a worker process is told it."""
    return env.client.service_client.config.target_host


async def start_request(
    client: Client, settings: Settings, sessions: sessionmaker[Session], sme: User, request_id: int
) -> None:
    """Start the request's workflow with these settings, as the web does after its commit."""
    await start_mentorship(client, settings, request_id, sme.organisation_id or 0, 2)
    with transaction(sessions) as session:
        services.mark_workflow_started(session, request_id)


async def to_sessions(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    request_id: int,
    driver: type[Driver] = Driver,
) -> tuple[Driver, StatusView]:
    """Take the request's workflow (started: ``start_request``), with Anna, to its sessions."""
    coordinator = actor(people["coordinator"])
    wf = driver(client, request_id)
    await wf.approve_intake(coordinator)
    await wf.wait_for(TaskKind.APPROVE_MATCH)
    with sessions() as session:
        offers = services.rank_candidates(session, RankInput(request_id, 1, []))
    await wf.approve_match(offers[0].offer_id, coordinator)
    await wf.accept(actor(people["mentor"]), offers[0].offer_id)
    status = await wf.wait_for(TaskKind.SIGN_AGREEMENT)
    for key in SIGNERS:
        await sign(wf, sessions, people[key], status.agreement_id or 0)
    status = await wf.wait_for(TaskKind.PROPOSE_PLAN, Stage.SESSIONS)
    plan_id = await agree_plan(wf, sessions, people, status.mentorship_id or 0)
    with sessions() as session:
        plan = session.get(MentoringPlan, plan_id)
        assert plan is not None and plan.status == "agreed"
    return wf, await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)


async def agree_plan(
    wf: Driver, sessions: sessionmaker[Session], people: dict[str, User], mentorship_id: int
) -> int:
    """Anna proposes a plan of two sessions with one goal; the SME accepts it."""
    ends_on = date.today() + timedelta(days=120)
    draft = plans.PlanDraft(
        2,
        4.0,
        "fortnightly",
        ends_on,
        [plans.GoalDraft("Sell online", "10 web orders a month", ends_on)],
    )
    with transaction(sessions) as session:
        mentorship = session.get(Mentorship, mentorship_id)
        assert mentorship is not None
        plan = plans.write_plan(
            session, uuid.uuid4().hex, mentorship, session.merge(people["mentor"]), draft
        )
    await wf.propose_plan(actor(people["mentor"]), plan.id, 2, ends_on.isoformat())
    await wf.accept_plan(actor(people["sme"]), plan.id)
    return plan.id


SIGNERS = ("sme", "mentor", "admin")  # Nordvik Cloud, the demo mentors' company, countersigns


async def sign(
    wf: Driver, sessions: sessionmaker[Session], person: User, agreement_id: int
) -> None:
    """``person`` signs the agreement as it is on record: the signature row, then the step."""
    with transaction(sessions) as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None
        signer = session.merge(person)
        sig = signing.write_signature(
            session, uuid.uuid4().hex, doc, signer, signer.name, doc.sha256, "127.0.0.1", "t"
        )
        sha = doc.sha256
    await wf.sign(actor(person), sig.id, agreement_id, sha)


async def hold_sessions(
    wf: Driver, sessions: sessionmaker[Session], people: dict[str, User], mentorship_id: int,
    hours: tuple[float, ...] = (1.5, 2.0),
) -> None:  # fmt: skip
    """Anna logs a session for each of ``hours``; the SME confirms each."""
    for held in hours:
        with transaction(sessions) as session:
            log = services.write_session_log(
                session, uuid.uuid4().hex, mentorship_id, session.merge(people["mentor"]),
                date(2026, 11, 1), held, "Shop setup", skills="Product listings", participants=3,
            )  # fmt: skip
        await wf.log_session(actor(people["mentor"]), log.id)
        await wf.confirm_session(actor(people["sme"]), log.id)


async def give_feedback(
    wf: Driver, sessions: sessionmaker[Session], people: dict[str, User], request_id: int
) -> None:
    """Both sides give their feedback, which opens the completion review."""
    for key in ("sme", "mentor"):
        with transaction(sessions) as session:
            feedback = completion.write_feedback(
                session, uuid.uuid4().hex, request_id, session.merge(people[key]), 5,
                "Good work", "Shop online.",
            )  # fmt: skip
        await wf.give_feedback(actor(people[key]), feedback.id)

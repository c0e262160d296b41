"""The script played through a request's workflow, as the web plays it: each step first writes
what the person's form writes (a pending record, holding whatever they typed), then sends the
workflow that record's id as the person (``scripted.driver``).

    journey = Journey(client, sessions, people, request_id)
    await journey.play()                      # the whole LIFECYCLE
    await journey.play(until("accept_plan"))  # or part of it; checks, then the rest
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from mentorship.config import Settings
from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import Actor, Role, Stage, TaskKind
from mentorship.rules.state import Durations
from mentorship.services import completion, intake, pending_records, plans, ranking, signing
from mentorship.store import pending
from mentorship.store.db import transaction
from mentorship.store.models import Agreement, Mentorship, ScheduledSession, User
from scripted.driver import Driver
from scripted.script import EMAILS, LIFECYCLE, Step, Texts
from temporal_client.starts import start_mentorship

T = TypeVar("T")

INTAKE = intake.IntakeForm(
    challenge_areas=["e_commerce", "digital_marketing"],
    languages=["it", "en"],
    description="We want to sell our bread online and reach tourists before they arrive.",
    format="remote",
    employees=14,
    turnover_eur=1_800_000,
    balance_sheet_eur=900_000,
)


def actor(user: User) -> Actor:
    return Actor(user.id, Role(user.role), user.organisation_id)


def submit(sessions: sessionmaker[Session], sme: User, planned: int = 2, **changes: Any) -> int:
    """An SME's request, committed with its workflow not yet started."""
    form = replace(INTAKE, **changes)
    with transaction(sessions) as session:
        request = intake.create_request(
            session, session.merge(sme), form, planned, uuid.uuid4().hex
        )
        return request.id


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
    """The address of a Temporal server, as a worker process is told it."""
    return env.client.service_client.config.target_host


def person(people: dict[str, User], role: str) -> User:
    """The demo person who plays ``role`` in the script."""
    return people[EMAILS[role].split("@")[0]]


@dataclass
class Records:
    """The ids of the records the people wrote on the way, in the order they wrote them."""

    signature_ids: list[int] = field(default_factory=list)
    plan_id: int = 0
    scheduled_ids: list[int] = field(default_factory=list)
    session_log_ids: list[int] = field(default_factory=list)
    feedback_ids: list[int] = field(default_factory=list)
    survey_answer_ids: list[int] = field(default_factory=list)


class Journey:
    """One request's mentorship, the script's steps taken by the demo people."""

    def __init__(
        self,
        client: Client,
        sessions: sessionmaker[Session],
        people: dict[str, User],
        request_id: int,
        texts: Texts = Texts(),  # noqa: B008  (frozen: one default serves every journey)
        driver: type[Driver] = Driver,
        patience: float = 20,
    ) -> None:
        """``patience``: how many seconds a person waits for their turn before giving up."""
        self.client, self.sessions, self.people = client, sessions, people
        self.request_id, self.texts = request_id, texts
        self.wf = driver(client, request_id, patience)
        self.records = Records()
        self.offer_id = self.agreement_id = self.mentorship_id = 0
        self.sha256_seen = ""  # the agreement's fingerprint, as the signers saw it

    async def start(self, settings: Settings) -> None:
        """Start the request's workflow with these settings, as the web does after its
        commit."""
        sme = person(self.people, "sme")
        await start_mentorship(self.client, settings, self.request_id, sme.organisation_id or 0, 2)
        await self._write(lambda session: intake.mark_workflow_started(session, self.request_id))

    async def _write(self, write: Callable[[Session], T]) -> T:
        """One transaction as the person's form writes it, in a thread of its own (as the web
        is a process of its own): journeys played at once do not wait for each other."""

        def in_transaction() -> T:
            with transaction(self.sessions) as session:
                return write(session)

        return await asyncio.to_thread(in_transaction)

    async def play(self, steps: tuple[Step, ...] = LIFECYCLE) -> None:
        for step in steps:
            await self.take(step)

    async def take(self, step: Step) -> None:
        """Wait for the step's turn, as its person waits for their task, and take it."""
        await getattr(self, step.kind)(actor(person(self.people, step.role)), step.role)

    # The steps of the script, one method each, named as the updates they send.

    async def approve_intake(self, who: Actor, role: str) -> None:
        await self.wf.approve_intake(who)

    async def approve_match(self, who: Actor, role: str) -> None:
        await self.wf.wait_for(TaskKind.APPROVE_MATCH)

        def first_offer(session: Session) -> int:  # the first round's ranking, as recorded
            return ranking.rank_candidates(session, RankInput(self.request_id, 1, []))[0].offer_id

        self.offer_id = await self._write(first_offer)
        await self.wf.approve_match(self.offer_id, who)

    async def accept_offer(self, who: Actor, role: str) -> None:
        await self.wf.accept(who, self.offer_id)

    async def sign(self, who: Actor, role: str) -> None:
        """The signer signs the agreement as it is on record: the signature, then the step."""
        if not self.agreement_id:
            status = await self.wf.wait_for(TaskKind.SIGN_AGREEMENT)
            self.agreement_id = status.agreement_id or 0

        def write(session: Session) -> tuple[int, str]:
            doc = session.get(Agreement, self.agreement_id)
            assert doc is not None
            signature = signing.write_signature(
                session, uuid.uuid4().hex, doc, session.merge(person(self.people, role)),
                self.texts.typed_names[role], doc.sha256, self.texts.ip_address,
                self.texts.user_agent,
            )  # fmt: skip
            return signature.id, doc.sha256

        signature_id, self.sha256_seen = await self._write(write)
        self.records.signature_ids.append(signature_id)
        await self.wf.sign(who, signature_id, self.agreement_id, self.sha256_seen)

    async def propose_plan(self, who: Actor, role: str) -> None:
        """The mentor proposes a plan of the planned number of sessions, with one goal."""
        status = await self.wf.wait_for(TaskKind.PROPOSE_PLAN, Stage.SESSIONS)
        self.mentorship_id = status.mentorship_id or 0
        ends_on = self.texts.plan_ends_on()
        goal = plans.GoalDraft(self.texts.plan_goal, self.texts.plan_measure, ends_on)
        draft = plans.PlanDraft(
            status.planned_sessions, self.texts.plan_hours, self.texts.plan_cadence, ends_on,
            [goal], note=self.texts.plan_note,
        )  # fmt: skip

        def write(session: Session) -> int:
            mentorship = session.get(Mentorship, self.mentorship_id)
            assert mentorship is not None
            author = session.merge(person(self.people, role))
            return plans.write_plan(session, uuid.uuid4().hex, mentorship, author, draft).id

        self.records.plan_id = await self._write(write)
        await self.wf.propose_plan(
            who, self.records.plan_id, status.planned_sessions, ends_on.isoformat()
        )

    async def accept_plan(self, who: Actor, role: str) -> None:
        await self.wf.accept_plan(who, self.records.plan_id)
        await self.wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)

    async def log_session(self, who: Actor, role: str) -> None:
        """The mentor logs the next of the texts' sessions."""
        held = self.texts.sessions[len(self.records.session_log_ids)]

        def write(session: Session) -> int:
            return pending_records.write_session_log(
                session, uuid.uuid4().hex, self.mentorship_id,
                session.merge(person(self.people, role)), held.held_on, held.hours,
                held.topics, skills=held.skills, participants=held.participants,
                next_steps=held.next_steps,
            ).id  # fmt: skip

        self.records.session_log_ids.append(await self._write(write))
        await self.wf.log_session(who, self.records.session_log_ids[-1])

    async def confirm_session(self, who: Actor, role: str) -> None:
        await self.wf.confirm_session(who, self.records.session_log_ids[-1])

    async def give_feedback(self, who: Actor, role: str) -> None:
        """One side's feedback, once the last session is confirmed; both sides' open the
        completion review."""
        if not self.records.feedback_ids:
            await self.wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW)

        given = self.texts.feedback[role]

        def write(session: Session) -> int:
            return completion.write_feedback(
                session, uuid.uuid4().hex, self.request_id,
                session.merge(person(self.people, role)), given.rating, given.text,
                given.achieved,
            ).id  # fmt: skip

        self.records.feedback_ids.append(await self._write(write))
        await self.wf.give_feedback(who, self.records.feedback_ids[-1])

    async def approve_completion(self, who: Actor, role: str) -> None:
        await self.wf.wait_for(TaskKind.APPROVE_COMPLETION)
        await self.wf.approve_completion(who)

    # Steps some journeys take besides the script's.

    async def schedule_session(self, place: str, agenda: str, in_days: int = 7) -> int:
        """The mentor puts a session of an hour on the calendar, ``in_days`` from now."""
        starts_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(in_days)
        mentor = person(self.people, "mentor")

        def write(session: Session) -> int:
            return pending.write_once(
                session, ScheduledSession, uuid.uuid4().hex, mentorship_id=self.mentorship_id,
                scheduled_by=mentor.id, starts_at=starts_at, minutes=60, format="remote",
                place=place, agenda=agenda,
            ).id  # fmt: skip

        scheduled_id = await self._write(write)
        self.records.scheduled_ids.append(scheduled_id)
        await self.wf.schedule(actor(mentor), scheduled_id, starts_at.isoformat())
        return scheduled_id

    async def answer_survey(self, months: int, text: str) -> None:
        """The SME answers the follow-up survey ``months`` after completion."""
        await self.wf.wait_for(TaskKind.ANSWER_SURVEY)
        sme = person(self.people, "sme")

        def write(session: Session) -> int:
            return completion.write_survey_answer(
                session, uuid.uuid4().hex, self.request_id, session.merge(sme), months, "yes",
                text,
            ).id  # fmt: skip

        self.records.survey_answer_ids.append(await self._write(write))
        await self.wf.answer_survey(actor(sme), self.records.survey_answer_ids[-1], months)

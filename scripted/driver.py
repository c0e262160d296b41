"""Drives one MentorshipWorkflow through its updates as the people of the demo data."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle

from mentorship.rules.choices import (
    AgreementDecision,
    Decision,
    FeedbackRef,
    OfferChoice,
    PlanChoice,
    PlanRef,
    ScheduleRef,
    SessionRef,
    SignatureRef,
    SurveyRef,
)
from mentorship.rules.payloads import StatusView
from mentorship.rules.stages import Actor, Role, Stage, TaskKind, Update
from workflows.mentorship import MentorshipWorkflow

COORDINATOR = Actor(user_id=1, role=Role.COORDINATOR)
# Four eyes: another coordinator than the one who approved the match approves completion.
SECOND_COORDINATOR = Actor(user_id=7, role=Role.COORDINATOR)


class Driver:
    def __init__(self, client: Client, request_id: int, patience: float = 20) -> None:
        self.handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(
            f"mentorship-{request_id}"
        )
        self.patience = patience  # how many seconds ``wait_for`` waits unless told

    async def status(self) -> StatusView:
        return await self.handle.query(MentorshipWorkflow.status)

    async def wait_for(
        self, kind: TaskKind | None = None, stage: Stage | None = None, seconds: float = 0
    ) -> StatusView:
        """Poll the status query until a task of ``kind`` is open or ``stage`` is reached,
        for ``seconds`` or the driver's patience."""
        deadline = asyncio.get_running_loop().time() + (seconds or self.patience)
        while True:
            status = await self.status()
            if (kind is None or any(t.kind == kind for t in status.tasks)) and (
                stage is None or status.stage == stage
            ):
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"waited for {kind or stage}; status is {status}")
            await asyncio.sleep(0.05)

    async def update(self, name: Update, arg: Any, nonce: str | None = None) -> Any:
        return await self.handle.execute_update(name, arg, id=nonce or uuid.uuid4().hex)

    async def approve_intake(self, actor: Actor = COORDINATOR) -> None:
        await self.update(Update.APPROVE_INTAKE, Decision(actor))

    async def approve_match(self, offer_id: int, actor: Actor = COORDINATOR) -> None:
        await self.update(Update.APPROVE_MATCH, OfferChoice(actor, offer_id))

    async def accept(self, mentor: Actor, offer_id: int) -> None:
        await self.update(Update.ACCEPT_OFFER, OfferChoice(mentor, offer_id))

    async def decline(self, mentor: Actor, offer_id: int) -> None:
        await self.update(Update.DECLINE_OFFER, OfferChoice(mentor, offer_id))

    async def sign(self, signer: Actor, signature_id: int, agreement_id: int, sha: str) -> None:
        await self.update(Update.SIGN, SignatureRef(signer, signature_id, agreement_id, sha))

    async def decline_agreement(self, signer: Actor, agreement_id: int, reason_id: int) -> None:
        await self.update(
            Update.DECLINE_AGREEMENT, AgreementDecision(signer, agreement_id, reason_id)
        )

    async def update_decline(self, signer: Actor, agreement_id: int) -> None:
        """A decline with no reason: refused."""
        await self.update(Update.DECLINE_AGREEMENT, AgreementDecision(signer, agreement_id))

    async def void_agreement(
        self, agreement_id: int, reason_id: int, *, rematch: bool, actor: Actor = COORDINATOR
    ) -> None:
        decision = AgreementDecision(actor, agreement_id, reason_id, rematch=rematch)
        await self.update(Update.VOID_AGREEMENT, decision)

    async def propose_plan(
        self, author: Actor, plan_id: int, sessions: int, ends_on: str = "2099-12-31"
    ) -> None:
        await self.update(Update.PROPOSE_PLAN, PlanRef(author, plan_id, sessions, ends_on))

    async def accept_plan(self, author: Actor, plan_id: int) -> None:
        await self.update(Update.ACCEPT_PLAN, PlanChoice(author, plan_id))

    async def extend_plan(self, plan_id: int, sessions: int, ends_on: str, reason_id: int) -> None:
        ref = PlanRef(COORDINATOR, plan_id, sessions, ends_on, reason_id)
        await self.update(Update.EXTEND_PLAN, ref)

    async def schedule(
        self, author: Actor, scheduled_id: int, starts_at: str, replaces_id: int | None = None
    ) -> None:
        ref = ScheduleRef(author, scheduled_id, starts_at, replaces_id)
        await self.update(Update.SCHEDULE_SESSION, ref)

    async def cancel_session(self, author: Actor, scheduled_id: int) -> None:
        await self.update(Update.CANCEL_SESSION, ScheduleRef(author, scheduled_id))

    async def log_session(self, mentor: Actor, log_id: int) -> None:
        await self.update(Update.LOG_SESSION, SessionRef(mentor, log_id))

    async def confirm_session(self, sme: Actor, log_id: int) -> None:
        await self.update(Update.CONFIRM_SESSION, SessionRef(sme, log_id))

    async def give_feedback(self, author: Actor, feedback_id: int) -> None:
        await self.update(Update.GIVE_FEEDBACK, FeedbackRef(author, feedback_id))

    async def answer_survey(self, sme: Actor, answer_id: int, months: int) -> None:
        await self.update(Update.ANSWER_SURVEY, SurveyRef(sme, answer_id, months))

    async def approve_completion(self, actor: Actor = SECOND_COORDINATOR) -> None:
        await self.update(Update.APPROVE_COMPLETION, Decision(actor))

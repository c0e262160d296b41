"""What every part of MentorshipWorkflow stands on: its state, the step that writes a
transition to the database, waits, refusals, and what the Temporal UI is told."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.mentorship import MentorshipActivities
    from mentorship.errors import Refused
    from mentorship.rules import guards, subjects
    from mentorship.rules.open_tasks import open_tasks
    from mentorship.rules.payloads import (
        PROPOSAL_TASKS,
        Proposal,
        RankedOffer,
        RankInput,
        StepInput,
        StepResult,
    )
    from mentorship.rules.stages import (
        Actor,
        Effect,
        OfferStatus,
        Stage,
        check_transition,
    )
    from mentorship.rules.state import (
        Agreement,
        MentorshipInput,
        MentorshipState,
        Offer,
        SessionEntry,
    )

STAGE_ATTRIBUTE = SearchAttributeKey.for_keyword("DigivolStage")
COUNTRY_ATTRIBUTE = SearchAttributeKey.for_keyword("DigivolCountry")
COMPANY_ATTRIBUTE = SearchAttributeKey.for_int("DigivolCompany")
SEARCH_ATTRIBUTES = (STAGE_ATTRIBUTE, COUNTRY_ATTRIBUTE, COMPANY_ATTRIBUTE)
MENTORING_STAGES = (Stage.SESSIONS, Stage.PAUSED, Stage.COMPLETION_REVIEW, Stage.PLEDGE)
# Rendering and sealing heartbeat (activities.mentorship.heartbeating): a silent one is retried.
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=["NotFound"])


def refuse(message: str, **params: str | int) -> ApplicationError:
    """An update's refusal: reaches the caller, never fails the workflow.

    The message is English text for the catalogs, its values apart in the details, so the
    web shows it in each reader's language.
    """
    text = message % params if params else message
    return ApplicationError(text, message, params, type="Refused", non_retryable=True)


def utc(naive_utc: str) -> datetime:
    """A time kept in workflow state as naive UTC ISO text, as an aware datetime."""
    return datetime.fromisoformat(naive_utc).replace(tzinfo=UTC)


def today() -> str:
    """The workflow's today (UTC), as an ISO date: plans and pauses end after it."""
    return workflow.now().date().isoformat()


@contextmanager
def refusals() -> Iterator[None]:
    """A rule's ``Refused`` becomes the update's refusal, which never fails the workflow."""
    try:
        yield
    except Refused as no:
        raise refuse(no.message, **no.params) from None


class MentorshipCore:
    """The state and the helpers the workflow's parts share (workflows.mentorship)."""

    s: MentorshipState
    _input: MentorshipInput
    _write_lock: asyncio.Lock
    _shown_stage: str | None

    def _next_round(self) -> RankInput:
        self.s.round += 1
        return RankInput(
            request_id=self.s.request_id,
            round=self.s.round,
            excluded_mentor_ids=list(self.s.excluded_mentor_ids),
            preferred_mentor_ids=list(self.s.round_mentor_ids),
            conflict_overrides=list(self.s.conflict_overrides),
        )

    def _take(self, ranked: list[RankedOffer]) -> list[Offer]:
        """A round's ranking becomes the offers in play."""
        self.s.offers = [Offer(r.offer_id, r.mentor_id) for r in ranked]
        self.s.round_mentor_ids = []
        self.s.rerank = False
        return self.s.offers

    def _release_mentor(self) -> int | None:
        """Back to matching without this mentor; returns the mentorship that ends."""
        assert self.s.mentor_id is not None
        self.s.excluded_mentor_ids.append(self.s.mentor_id)
        mentorship_id = self.s.mentorship_id
        self.s.mentor_id = self.s.mentorship_id = self.s.agreement = None
        self.s.offers = []
        self._move(Stage.MATCHING)
        return mentorship_id

    def _now(self) -> str:
        return workflow.now().replace(tzinfo=None).isoformat(timespec="seconds")

    def _seconds_until(self, until: datetime) -> int:
        """Whole seconds from now to ``until``, at least one: a timer to wait on."""
        return max(math.ceil((until - workflow.now()).total_seconds()), 1)

    async def _announce_freed_capacity(self) -> None:
        """The mentor has one mentorship fewer: requests waiting for a mentor may rank again."""
        await workflow.execute_activity_method(
            MentorshipActivities.announce_mentor_pool_changed,
            start_to_close_timeout=self._short_timeout(),
            retry_policy=RETRY,
        )

    def _open_agreement(self, agreement_id: int) -> Agreement:
        with refusals():
            return guards.open_agreement(self.s, agreement_id)

    def _offer(self, offer_id: int) -> Offer:
        with refusals():
            return guards.offer(self.s, offer_id)

    def _session(self, session_log_id: int) -> SessionEntry:
        with refusals():
            return guards.session(self.s, session_log_id)

    def _offers_open(self) -> bool:
        """Offers still in play; an accepted one counts until the workflow moves to the NDA."""
        open_ = (OfferStatus.PROPOSED, OfferStatus.APPROVED, OfferStatus.ACCEPTED)
        return any(o.status in open_ for o in self.s.offers)

    async def _ranked(self) -> None:
        """Wait for the ranking the intake approval's step is doing, if it is: the database
        shows its candidates before the step returns them."""
        if self.s.ranking_in_step:
            await workflow.wait_condition(lambda: not self.s.ranking_in_step)

    def _move(self, target: Stage) -> None:
        self.s.stage = check_transition(self.s.stage, target)

    def _short_timeout(self) -> timedelta:
        """How long a short activity may run: a database write, the ranking, the pledge entry."""
        return timedelta(seconds=self.s.durations.step_timeout)

    def _key(self, what: str) -> str:
        self.s.seq += 1
        return f"{workflow.info().workflow_id}:{self.s.seq}:{what}"

    async def _wait(self, condition: Callable[[], bool], seconds: int) -> bool:
        """Wait for ``condition`` on a durable timer; False when the time ran out."""
        try:
            await workflow.wait_condition(condition, timeout=timedelta(seconds=seconds))
        except TimeoutError:
            return False
        return True

    async def _step(
        self,
        effect: Effect,
        *,
        actor: Actor | None = None,
        subject: subjects.Ref | None = None,
        reason_id: int | None = None,
        mentorship_id: int | None = None,
        rank: RankInput | None = None,
    ) -> StepResult:
        """Write the transition just made; steps run one at a time, in the order made.

        ``subject`` must be of the kind the effect carries (subjects.SUBJECTS): one of another
        kind raises WrongSubject before any activity runs. With ``rank``, the same activity
        ranks that round after the step and proposes its candidates (payloads.Proposal); the
        result carries them.
        """
        subjects.check_step(effect, subject)
        key = self._key(effect)
        proposal = None
        if rank is not None:
            proposal = Proposal(rank, self._key(Effect.CANDIDATES_PROPOSED), PROPOSAL_TASKS)
        step = StepInput(
            key=key,
            request_id=self.s.request_id,
            stage=self.s.stage,
            effect=effect,
            tasks=open_tasks(self.s),
            actor_id=actor.user_id if actor else None,
            subject=subject,
            reason_id=reason_id,
            mentorship_id=mentorship_id or self.s.mentorship_id,
            proposal=proposal,
        )
        new_stage: str | None = None  # to tell the Temporal UI, only when it changed
        if self.s.stage != self._shown_stage:
            new_stage = self._shown_stage = self.s.stage
        # A regular activity, scheduled once the workflow task is recorded. Not a local one:
        # it would write the open tasks the pages show while its workflow task is still in
        # flight, so a person could act on them at once; the server sequences that update into
        # the task in flight, after the activity result that led to it, but a replay handles
        # it before that result and fails the workflow as nondeterministic.
        async with self._write_lock:
            result: StepResult = await workflow.execute_activity_method(
                MentorshipActivities.apply_step,
                step,
                start_to_close_timeout=self._short_timeout(),
                retry_policy=RETRY,
            )
        self._show(result, new_stage)
        return result

    def _show(self, result: StepResult, new_stage: str | None = None) -> None:
        """Tell the Temporal UI a new stage, the SME's country and the mentor's company, when
        they change: one upsert, one history event and one visibility write."""
        updates: list[SearchAttributeUpdate[Any]] = []
        if new_stage is not None:
            updates.append(STAGE_ATTRIBUTE.value_set(new_stage))
        if result.country and result.country != self.s.shown_country:
            self.s.shown_country = result.country
            updates.append(COUNTRY_ATTRIBUTE.value_set(result.country))
        if result.company_id is not None and result.company_id != self.s.shown_company_id:
            self.s.shown_company_id = result.company_id
            updates.append(COMPANY_ATTRIBUTE.value_set(result.company_id))
        if updates:
            workflow.upsert_search_attributes(updates)

"""MentorshipWorkflow: one support request from intake to pledge entry, durably.

Its parts: ``core`` (state, the step, waits, refusals), ``matching`` (the steps people take
up to a signed agreement) and ``mentoring`` (the steps after); this module holds what the
workflow drives itself, and its signals and query."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from datetime import timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.mentorship import MentorshipActivities
    from mentorship.rules.nudges import Nudge, next_nudge
    from mentorship.rules.open_tasks import open_tasks
    from mentorship.rules.payloads import (
        PledgeInput,
        PledgeSyncInput,
        RenderInput,
        StatusView,
        pledge_sync_id,
    )
    from mentorship.rules.stages import Effect, Stage
    from mentorship.rules.state import (
        Agreement,
        AgreementOutcome,
        MentorshipInput,
        MentorshipState,
        Offer,
    )
    from mentorship.rules.subjects import Ref
    from workflows.pledge_sync import PledgeSyncWorkflow

from workflows.mentorship.core import (
    COMPANY_ATTRIBUTE,
    COUNTRY_ATTRIBUTE,
    HEARTBEAT_TIMEOUT,
    MENTORING_STAGES,
    RETRY,
    SEARCH_ATTRIBUTES,
    STAGE_ATTRIBUTE,
    utc,
)
from workflows.mentorship.matching import MatchingSteps
from workflows.mentorship.mentoring import MentoringSteps

__all__ = [
    "COMPANY_ATTRIBUTE",
    "COUNTRY_ATTRIBUTE",
    "SEARCH_ATTRIBUTES",
    "STAGE_ATTRIBUTE",
    "MentorshipWorkflow",
]


# Outside the SDK's sandbox, which runs this module afresh for every workflow it loads into
# the worker's cache: with more mentorships in flight than the cache holds, most steps paid
# for it (bench.approvals: worker CPU per approval 34 -> 25 ms, p99 1.2 s -> 0.6 s; with
# ~1,850 workflows cached the worker held 324 MB, against 685 MB sandboxed). The tests run it
# inside the sandbox (tests.temporal.SANDBOXED), so a call it forbids (clock, randomness,
# I/O) still fails them.
@workflow.defn(sandboxed=False)
class MentorshipWorkflow(MatchingSteps, MentoringSteps):
    """Walks intake, match, NDA, sessions, completion and pledge entry for one request.

    Humans act through updates, named by ``stages.Update``; each validator asks the rules
    (``mentorship.rules.guards``) whether this actor may take this step now, each handler re-checks
    before its first ``await`` (two validators can both pass) and awaits the database
    projection before it returns, so the page after the redirect is current.
    """

    @workflow.init
    def __init__(self, inp: MentorshipInput) -> None:
        # A run continued as new picks up the state of the run before it.
        self.s = inp.state or MentorshipState(
            request_id=inp.request_id,
            sme_organisation_id=inp.sme_organisation_id,
            durations=inp.durations,
            planned_sessions=inp.planned_sessions,
        )
        self._input = inp
        self._write_lock = asyncio.Lock()
        self._shown_stage: str | None = None  # the stage last told to the Temporal UI

    @workflow.run
    async def run(self, inp: MentorshipInput) -> str:
        # The request row was written at intake with its review task: nothing to project yet.
        await workflow.wait_condition(lambda: self.s.stage != Stage.INTAKE_REVIEW)
        if self.s.stage == Stage.MATCHING:
            await self._match_and_sign()
        if self.s.stage in MENTORING_STAGES:  # also where a run continued as new resumes
            await self._mentor()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.s.stage

    async def _match_and_sign(self) -> None:
        """Match, then sign; an expired agreement sends the request back to matching."""
        while await self._match():
            if await self._sign_agreement():
                return

    async def _match(self) -> bool:
        """Propose ranked mentors until one accepts; False when the request stays unmatched."""
        d = self.s.durations
        while True:
            if self.s.ranking_in_step:  # the intake approval ranks the first round
                await self._ranked()
                ranked = self.s.offers
            else:
                ranked = await self._rank()
                if ranked:
                    await self._step(Effect.CANDIDATES_PROPOSED, subject=Ref.round(self.s.round))
            if ranked:
                await workflow.wait_condition(
                    lambda: self.s.stage == Stage.NDA or not self._offers_open() or self.s.rerank
                )
                if self.s.stage == Stage.NDA:
                    return True
                continue
            self._move(Stage.AWAITING_MENTORS)
            self.s.pool_changed = False
            await self._step(Effect.AWAITING_MENTORS)
            if not await self._wait(lambda: self.s.pool_changed, d.awaiting_mentors):
                self._move(Stage.UNMATCHED)
                await self._step(Effect.UNMATCHED)
                return False
            self._move(Stage.MATCHING)

    async def _rank(self) -> list[Offer]:
        """Rank the next round; its candidates are proposed by the step after."""
        rank = self._next_round()
        # A local activity: the ranking only proposes offers, which nobody can act on until
        # the step after it opens the coordinator's task (a regular activity, scheduled once
        # the workflow task is recorded). It holds its workflow task open until it returns:
        # under the write lock it waits for the step before it, so the task that
        # admits the update that led to it is not held back by the ranking.
        async with self._write_lock:
            ranked = await workflow.execute_local_activity_method(
                MentorshipActivities.rank_mentors,
                rank,
                start_to_close_timeout=self._short_timeout(),
                retry_policy=RETRY,
            )
        return self._take(ranked)

    async def _sign_agreement(self) -> bool:
        """Issue an agreement, collect signatures in order, seal it; False back to matching."""
        while True:
            agreement = await self._issue_agreement()
            outcome = await self._collect_signatures(agreement)
            if outcome == AgreementOutcome.SIGNED:
                await self._seal(agreement)
                return True
            if outcome == AgreementOutcome.VOIDED and self.s.mentorship_id is not None:
                continue  # voided for a fault in the document: the same parties sign anew
            await self._announce_freed_capacity()
            return False

    async def _issue_agreement(self) -> Agreement:
        assert self.s.mentorship_id is not None
        self.s.agreements_made += 1
        expires = workflow.now() + timedelta(seconds=self.s.durations.nda_expiry)
        expires_at = expires.replace(tzinfo=None).isoformat(timespec="seconds")  # naive UTC
        rendered = await workflow.execute_activity_method(
            MentorshipActivities.render_agreement,
            RenderInput(
                mentorship_id=self.s.mentorship_id,
                attempt=self.s.agreements_made,
                expires_at=expires_at,
            ),
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
        )
        agreement = Agreement(
            rendered.agreement_id, rendered.sha256, expires_at, signers=list(rendered.signers)
        )
        self.s.agreement = agreement
        await self._step(Effect.AGREEMENT_ISSUED, subject=Ref.agreement(agreement.agreement_id))
        return agreement

    async def _collect_signatures(self, agreement: Agreement) -> AgreementOutcome:
        """Wait for every signer in turn, reminding the next one, until done or expired."""
        d = self.s.durations
        issued = workflow.now()
        # The expiry printed on the agreement and shown to signers, to the second.
        deadline = utc(agreement.expires_at)

        def settled() -> bool:
            return agreement.outcome is not None

        reminders = 0
        while True:
            remind_at = issued + timedelta(seconds=d.nda_reminder * (reminders + 1))
            seconds = self._seconds_until(min(remind_at, deadline))
            if await self._wait(settled, seconds) or remind_at >= deadline:
                break
            reminders += 1
            await self._step(Effect.NDA_REMINDER, subject=Ref.agreement(agreement.agreement_id))
        if agreement.outcome is not None:
            return agreement.outcome
        agreement.outcome = AgreementOutcome.EXPIRED
        mentorship_id = self._release_mentor()
        await self._step(
            Effect.AGREEMENT_EXPIRED,
            subject=Ref.agreement(agreement.agreement_id),
            mentorship_id=mentorship_id,
        )
        return agreement.outcome

    async def _seal(self, agreement: Agreement) -> None:
        """Append the signature certificate and seal the whole file as the platform."""
        # Under the write lock: the last signature's own write comes first, so the
        # certificate page lists every signer.
        async with self._write_lock:
            await workflow.execute_activity_method(
                MentorshipActivities.seal_agreement,
                agreement.agreement_id,
                start_to_close_timeout=timedelta(minutes=2),
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RETRY,
            )
        self._move(Stage.SESSIONS)
        self.s.last_activity = self._now()  # the idle clock starts with the sessions
        await self._step(Effect.AGREEMENT_SEALED, subject=Ref.agreement(agreement.agreement_id))

    async def _mentor(self) -> None:
        """Sessions until completion is approved or the mentorship is terminated; a pause
        ends on its resume date unless someone resumes it sooner; a stalling mentorship is
        nudged, then handed to a coordinator."""
        while True:
            nudge = next_nudge(self.s)
            # With a nudge due, any step (a session logged...) means: work out the next one.
            moved = functools.partial(self._mentoring_moved, self.s.seq if nudge else None)
            if nudge is None:
                await workflow.wait_condition(moved)
            elif not await self._wait(moved, self._seconds_until(utc(nudge.due))):
                await self._nudge(nudge)
                continue
            if self.s.stage == Stage.PLEDGE:
                await self._record_pledge()
                await self._issue_certificates()
                await self._follow_up_surveys()
                return
            if self.s.stage == Stage.TERMINATED:
                await self._announce_freed_capacity()
                return
            if self._history_is_long():
                await self._continue_as_new()
            elif self.s.stage == Stage.PAUSED:
                await self._sit_out_pause()

    def _mentoring_moved(self, seq: int | None) -> bool:
        return (
            self.s.stage in (Stage.PAUSED, Stage.PLEDGE, Stage.TERMINATED)
            or self._history_is_long()
            or (seq is not None and self.s.seq != seq)
        )

    async def _nudge(self, nudge: Nudge) -> None:
        if nudge.escalate:
            self.s.escalated.append(nudge.key)
            await self._step(Effect.ESCALATED)
        else:
            self.s.reminded[nudge.key] = self._now()
            await self._step(Effect.NUDGED)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._input.history_limit
        )

    async def _continue_as_new(self) -> None:
        """Start afresh with the same state, so a year of sessions never makes a huge history.

        Updates, signals and queries address the workflow id, so they reach the new run.
        """
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.s.stage in (Stage.PLEDGE, Stage.TERMINATED):
            return  # a handler just finished the mentorship: the loop ends it here
        workflow.continue_as_new(dataclasses.replace(self._input, state=self.s))

    async def _sit_out_pause(self) -> None:
        assert self.s.paused_until is not None
        seconds = self._seconds_until(utc(self.s.paused_until))
        if await self._wait(lambda: self.s.stage != Stage.PAUSED, seconds):
            return  # resumed early, or terminated while on hold
        self._move(Stage.SESSIONS)
        self.s.paused_until = None
        self.s.last_activity = self._now()
        await self._step(Effect.RESUMED)

    async def _record_pledge(self) -> None:
        assert self.s.mentorship_id is not None
        result = await workflow.execute_activity_method(
            MentorshipActivities.record_pledge_entry,
            PledgeInput(mentorship_id=self.s.mentorship_id),
            start_to_close_timeout=self._short_timeout(),
            retry_policy=RETRY,
        )
        self.s.pledge_entry_id = result.pledge_entry_id
        self._move(Stage.COMPLETED)
        await self._step(Effect.PLEDGE_RECORDED, subject=Ref.pledge_entry(result.pledge_entry_id))
        await self._start_pledge_sync(result.pledge_entry_id)
        await self._announce_freed_capacity()

    async def _start_pledge_sync(self, entry_id: int) -> None:
        """The registry copy goes on by itself, for days if the registry is down; the
        mentorship does not wait for it."""
        d = self.s.durations
        await workflow.start_child_workflow(
            PledgeSyncWorkflow.run,
            PledgeSyncInput(entry_id, d.registry_first_retry, d.registry_max_retry),
            id=pledge_sync_id(entry_id),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _issue_certificates(self) -> None:
        """Certificates of participation for the SME and the mentor."""
        assert self.s.mentorship_id is not None
        await workflow.execute_activity_method(
            MentorshipActivities.issue_certificates,
            self.s.mentorship_id,
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
        )
        await self._step(Effect.CERTIFICATES_ISSUED)

    async def _follow_up_surveys(self) -> None:
        """Months later, ask the SME whether the changes lasted; wait a month for the last."""
        d = self.s.durations
        waited = 0
        for months in d.survey_months:
            await workflow.sleep(timedelta(seconds=months * d.month - waited))
            waited = months * d.month
            self.s.surveys_due.append(months)
            await self._step(Effect.SURVEY_DUE, subject=Ref.survey_month(months))
        if not await self._wait(
            lambda: set(self.s.surveys_due) <= set(self.s.surveys_answered), d.month
        ):
            self.s.surveys_closed = True  # unanswered surveys lapse: nobody is asked any more
            await self._step(Effect.SURVEYS_CLOSED)

    @workflow.signal
    def mentor_pool_changed(self) -> None:
        self.s.pool_changed = True

    @workflow.signal
    def propose_mentor(self, mentor_id: int) -> None:
        """A matching round's pick: ranked first when the request ranks again."""
        if self.s.stage == Stage.AWAITING_MENTORS:
            self.s.round_mentor_ids.append(mentor_id)
            self.s.pool_changed = True

    @workflow.query
    def status(self) -> StatusView:
        return StatusView(
            stage=self.s.stage,
            tasks=open_tasks(self.s),
            mentorship_id=self.s.mentorship_id,
            agreement_id=self.s.agreement.agreement_id if self.s.agreement else None,
            confirmed_sessions=self.s.confirmed_sessions(),
            planned_sessions=self.s.planned_sessions,
        )

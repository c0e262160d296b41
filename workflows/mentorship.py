"""MentorshipWorkflow: one support request from intake to pledge entry, durably."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.mentorship import MentorshipActivities
    from mentorship import rules
    from mentorship.errors import Refused
    from mentorship.stages import (
        PROPOSAL_TASKS,
        Actor,
        Agreement,
        AgreementDecision,
        AgreementOutcome,
        Decision,
        Effect,
        FeedbackRef,
        MentorshipInput,
        MentorshipState,
        Nudge,
        Offer,
        OfferChoice,
        OfferStatus,
        OverrideChoice,
        PauseChoice,
        PlanChoice,
        PlanRef,
        PlanTerms,
        PledgeInput,
        PledgeSyncInput,
        Proposal,
        RankedOffer,
        RankInput,
        RenderInput,
        Role,
        ScheduleRef,
        SessionDecision,
        SessionEntry,
        SessionRef,
        SessionStatus,
        SignatureRef,
        Stage,
        StatusView,
        StepInput,
        StepResult,
        SurveyRef,
        Update,
        check_transition,
        next_nudge,
        pledge_sync_id,
    )
    from workflows.pledge_sync import PledgeSyncWorkflow

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


# Outside the SDK's sandbox, which runs this module afresh for every workflow it loads into
# the worker's cache: with more mentorships in flight than the cache holds, most steps paid
# for it (bench.approvals: worker CPU per approval 34 -> 25 ms, p99 1.2 s -> 0.6 s; with
# ~1,850 workflows cached the worker held 324 MB, against 685 MB sandboxed). The tests run it
# inside the sandbox (tests.temporal.SANDBOXED), so a call it forbids (clock, randomness,
# I/O) still fails them.
@workflow.defn(sandboxed=False)
class MentorshipWorkflow:
    """Walks intake, match, NDA, sessions, completion and pledge entry for one request.

    Humans act through updates, named by ``stages.Update``; each validator asks the rules
    (``mentorship.rules``) whether this actor may take this step now, each handler re-checks
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

    # --- the stages the workflow drives itself ------------------------------------------

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
                    await self._step(Effect.CANDIDATES_PROPOSED, subject_id=self.s.round)
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

    def _next_round(self) -> RankInput:
        self.s.round += 1
        return RankInput(
            request_id=self.s.request_id,
            round=self.s.round,
            excluded_mentor_ids=list(self.s.excluded_mentor_ids),
            preferred_mentor_ids=list(self.s.round_mentor_ids),
            conflict_overrides=list(self.s.conflict_overrides),
        )

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

    def _take(self, ranked: list[RankedOffer]) -> list[Offer]:
        """A round's ranking becomes the offers in play."""
        self.s.offers = [Offer(r.offer_id, r.mentor_id) for r in ranked]
        self.s.round_mentor_ids = []
        self.s.rerank = False
        return self.s.offers

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
        await self._step(Effect.AGREEMENT_ISSUED, subject_id=agreement.agreement_id)
        return agreement

    async def _collect_signatures(self, agreement: Agreement) -> AgreementOutcome:
        """Wait for every signer in turn, reminding the next one, until done or expired."""
        d = self.s.durations
        issued = workflow.now()
        # The expiry printed on the agreement and shown to signers, to the second.
        deadline = _utc(agreement.expires_at)

        def settled() -> bool:
            return agreement.outcome is not None

        reminders = 0
        while True:
            remind_at = issued + timedelta(seconds=d.nda_reminder * (reminders + 1))
            seconds = self._seconds_until(min(remind_at, deadline))
            if await self._wait(settled, seconds) or remind_at >= deadline:
                break
            reminders += 1
            await self._step(Effect.NDA_REMINDER, subject_id=agreement.agreement_id)
        if agreement.outcome is not None:
            return agreement.outcome
        agreement.outcome = AgreementOutcome.EXPIRED
        mentorship_id = self._release_mentor()
        await self._step(
            Effect.AGREEMENT_EXPIRED, subject_id=agreement.agreement_id, mentorship_id=mentorship_id
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
        await self._step(Effect.AGREEMENT_SEALED, subject_id=agreement.agreement_id)

    def _release_mentor(self) -> int | None:
        """Back to matching without this mentor; returns the mentorship that ends."""
        assert self.s.mentor_id is not None
        self.s.excluded_mentor_ids.append(self.s.mentor_id)
        mentorship_id = self.s.mentorship_id
        self.s.mentor_id = self.s.mentorship_id = self.s.agreement = None
        self.s.offers = []
        self._move(Stage.MATCHING)
        return mentorship_id

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
            elif not await self._wait(moved, self._seconds_until(_utc(nudge.due))):
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

    def _now(self) -> str:
        return workflow.now().replace(tzinfo=None).isoformat(timespec="seconds")

    def _seconds_until(self, until: datetime) -> int:
        """Whole seconds from now to ``until``, at least one: a timer to wait on."""
        return max(math.ceil((until - workflow.now()).total_seconds()), 1)

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
        seconds = self._seconds_until(_utc(self.s.paused_until))
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
        await self._step(Effect.PLEDGE_RECORDED, subject_id=result.pledge_entry_id)
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
            await self._step(Effect.SURVEY_DUE, subject_id=months)
        if not await self._wait(
            lambda: set(self.s.surveys_due) <= set(self.s.surveys_answered), d.month
        ):
            self.s.surveys_closed = True  # unanswered surveys lapse: nobody is asked any more
            await self._step(Effect.SURVEYS_CLOSED)

    async def _announce_freed_capacity(self) -> None:
        """The mentor has one mentorship fewer: requests waiting for a mentor may rank again."""
        await workflow.execute_activity_method(
            MentorshipActivities.announce_mentor_pool_changed,
            start_to_close_timeout=self._short_timeout(),
            retry_policy=RETRY,
        )

    # --- human steps ----------------------------------------------------------------------

    @workflow.update(name=Update.APPROVE_INTAKE)
    async def approve_intake(self, cmd: Decision) -> None:
        self._check_intake(cmd)
        self._move(Stage.MATCHING)
        # The step ranks the first round and proposes its candidates in the same activity
        # and transaction (stages.Proposal): the coordinator's task to approve a candidate is
        # in the database before the workflow knows the offers, so an update about the offers
        # waits for the step (ranking_in_step) instead of refusing them.
        self.s.ranking_in_step = True
        rank = self._next_round()
        result = await self._step(Effect.INTAKE_APPROVED, actor=cmd.actor, rank=rank)
        self._take(result.ranked)
        self.s.ranking_in_step = False

    @approve_intake.validator
    def _check_intake(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_intake(self.s, cmd)

    @workflow.update(name=Update.REJECT_INTAKE)
    async def reject_intake(self, cmd: Decision) -> None:
        self._check_rejection(cmd)
        self._move(Stage.REJECTED)
        await self._step(Effect.INTAKE_REJECTED, actor=cmd.actor, reason_id=cmd.reason_id)

    @reject_intake.validator
    def _check_rejection(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_rejection(self.s, cmd)

    @workflow.update(name=Update.APPROVE_MATCH)
    async def approve_match(self, cmd: OfferChoice) -> None:
        await self._ranked()
        self._check_match_approval(cmd)
        self._offer(cmd.offer_id).status = OfferStatus.APPROVED
        self.s.match_approved_by = cmd.actor.user_id  # another approves the completion
        await self._step(Effect.OFFER_APPROVED, actor=cmd.actor, subject_id=cmd.offer_id)

    @approve_match.validator
    def _check_match_approval(self, cmd: OfferChoice) -> None:
        with _refusals():
            rules.check_match_approval(self.s, cmd)

    @workflow.update(name=Update.OVERRIDE_CONFLICT)
    async def override_conflict(self, cmd: OverrideChoice) -> None:
        await self._ranked()
        self._check_override(cmd)
        self.s.conflict_overrides.append(cmd.mentor_id)
        self.s.round_mentor_ids.append(cmd.mentor_id)  # ranked first when still feasible
        if self.s.stage == Stage.AWAITING_MENTORS:
            self.s.pool_changed = True
        else:
            self.s.rerank = True
        await self._step(
            Effect.CONFLICT_OVERRIDDEN,
            actor=cmd.actor,
            subject_id=cmd.mentor_id,
            reason_id=cmd.reason_id,
        )

    @override_conflict.validator
    def _check_override(self, cmd: OverrideChoice) -> None:
        with _refusals():
            rules.check_override(self.s, cmd)

    @workflow.update(name=Update.ACCEPT_OFFER)
    async def accept_offer(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)
        offer = self._offer(cmd.offer_id)
        # Taken before the first await, so a second answer to this offer is refused.
        offer.status = OfferStatus.ACCEPTED
        mentorship_id = await workflow.execute_activity_method(
            MentorshipActivities.reserve_mentorship,
            cmd.offer_id,
            start_to_close_timeout=self._short_timeout(),
            retry_policy=RETRY,
        )
        if mentorship_id is None:  # took another mentorship meanwhile: no room for this one
            offer.status = OfferStatus.DECLINED
            self.s.excluded_mentor_ids.append(offer.mentor_id)
            await self._step(Effect.MENTOR_FULL, actor=cmd.actor, subject_id=cmd.offer_id)
            raise refuse(
                "You have no room left for another mentorship; the coordinator will "
                "propose someone else."
            )
        for other in self.s.offers:
            if other is not offer:
                other.status = OfferStatus.WITHDRAWN
        self.s.mentor_id, self.s.mentorship_id = offer.mentor_id, mentorship_id
        self._move(Stage.NDA)
        await self._step(Effect.OFFER_ACCEPTED, actor=cmd.actor, subject_id=cmd.offer_id)

    @workflow.update(name=Update.DECLINE_OFFER)
    async def decline_offer(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)
        offer = self._offer(cmd.offer_id)
        offer.status = OfferStatus.DECLINED
        self.s.excluded_mentor_ids.append(offer.mentor_id)
        await self._step(
            Effect.OFFER_DECLINED,
            actor=cmd.actor,
            subject_id=offer.offer_id,
            reason_id=cmd.reason_id,
        )

    @accept_offer.validator
    def _check_answer(self, cmd: OfferChoice) -> None:
        with _refusals():
            rules.check_answer(self.s, cmd)

    @decline_offer.validator
    def _check_decline(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)

    @workflow.update(name=Update.SIGN)
    async def sign(self, cmd: SignatureRef) -> None:
        self._check_signature(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.signed_by.append(cmd.actor.role)
        if rules.next_signer(agreement.signers, agreement.signed_by) is None:
            agreement.outcome = AgreementOutcome.SIGNED
        await self._step(Effect.AGREEMENT_SIGNED, actor=cmd.actor, subject_id=cmd.signature_id)

    @sign.validator
    def _check_signature(self, cmd: SignatureRef) -> None:
        with _refusals():
            rules.check_signature(self.s, cmd)

    @workflow.update(name=Update.DECLINE_AGREEMENT)
    async def decline_agreement(self, cmd: AgreementDecision) -> None:
        self._check_agreement_decline(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.outcome = AgreementOutcome.DECLINED
        mentorship_id = self._release_mentor()
        await self._step(
            Effect.AGREEMENT_DECLINED,
            actor=cmd.actor,
            subject_id=agreement.agreement_id,
            reason_id=cmd.reason_id,
            mentorship_id=mentorship_id,
        )

    @decline_agreement.validator
    def _check_agreement_decline(self, cmd: AgreementDecision) -> None:
        with _refusals():
            rules.check_agreement_decline(self.s, cmd)

    @workflow.update(name=Update.VOID_AGREEMENT)
    async def void_agreement(self, cmd: AgreementDecision) -> None:
        self._check_void(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.outcome = AgreementOutcome.VOIDED
        mentorship_id = self._release_mentor() if cmd.rematch else self.s.mentorship_id
        await self._step(
            Effect.AGREEMENT_VOIDED,
            actor=cmd.actor,
            subject_id=agreement.agreement_id,
            reason_id=cmd.reason_id,
            mentorship_id=mentorship_id,
        )

    @void_agreement.validator
    def _check_void(self, cmd: AgreementDecision) -> None:
        with _refusals():
            rules.check_void(self.s, cmd)

    @workflow.update(name=Update.LOG_SESSION)
    async def log_session(self, cmd: SessionRef) -> None:
        self._check_log(cmd)
        now = self._now()
        self.s.sessions.append(SessionEntry(cmd.session_log_id, logged_at=now))
        self.s.last_activity = now
        await self._step(Effect.SESSION_LOGGED, actor=cmd.actor, subject_id=cmd.session_log_id)

    @log_session.validator
    def _check_log(self, cmd: SessionRef) -> None:
        with _refusals():
            rules.check_log(self.s, cmd)

    @workflow.update(name=Update.CONFIRM_SESSION)
    async def confirm_session(self, cmd: SessionRef) -> None:
        self._check_confirmation(cmd)
        self._session(cmd.session_log_id).status = SessionStatus.CONFIRMED
        self.s.last_activity = self._now()
        if self.s.confirmed_sessions() >= self.s.planned_sessions:
            self._move(Stage.COMPLETION_REVIEW)
        await self._step(Effect.SESSION_CONFIRMED, actor=cmd.actor, subject_id=cmd.session_log_id)

    @confirm_session.validator
    def _check_confirmation(self, cmd: SessionRef) -> None:
        with _refusals():
            rules.check_confirmation(self.s, cmd)

    @workflow.update(name=Update.SCHEDULE_SESSION)
    async def schedule_session(self, cmd: ScheduleRef) -> None:
        """Put a session on the calendar, or move one (``replaces_id``) to a new time."""
        self._check_schedule(cmd)
        self.s.scheduled.append(cmd.scheduled_id)
        if cmd.replaces_id is not None:
            del self.s.session_times[str(cmd.replaces_id)]
        if cmd.starts_at is not None:
            self.s.session_times[str(cmd.scheduled_id)] = cmd.starts_at
        self.s.last_activity = self._now()  # planning the next session is progress too
        moved = cmd.replaces_id is not None
        await self._step(
            Effect.SESSION_MOVED if moved else Effect.SESSION_SCHEDULED,
            actor=cmd.actor,
            subject_id=cmd.scheduled_id,
        )

    @schedule_session.validator
    def _check_schedule(self, cmd: ScheduleRef) -> None:
        with _refusals():
            rules.check_schedule(self.s, cmd, workflow.now())

    @workflow.update(name=Update.CANCEL_SESSION)
    async def cancel_session(self, cmd: ScheduleRef) -> None:
        self._check_cancel(cmd)
        del self.s.session_times[str(cmd.scheduled_id)]
        await self._step(Effect.SESSION_CANCELLED, actor=cmd.actor, subject_id=cmd.scheduled_id)

    @cancel_session.validator
    def _check_cancel(self, cmd: ScheduleRef) -> None:
        with _refusals():
            rules.check_cancel(self.s, cmd, workflow.now())

    # --- the mentoring plan ---------------------------------------------------------------

    @workflow.update(name=Update.PROPOSE_PLAN)
    async def propose_plan(self, cmd: PlanRef) -> None:
        """The first plan, or a change to the plan in force: the other side accepts it."""
        self._check_plan_proposal(cmd)
        self.s.plan_proposal = PlanTerms(cmd.plan_id, cmd.sessions, cmd.ends_on, cmd.actor.role)
        self.s.last_activity = self._now()
        await self._step(Effect.PLAN_PROPOSED, actor=cmd.actor, subject_id=cmd.plan_id)

    @propose_plan.validator
    def _check_plan_proposal(self, cmd: PlanRef) -> None:
        with _refusals():
            rules.check_plan_proposal(self.s, cmd, _today())

    @workflow.update(name=Update.ACCEPT_PLAN)
    async def accept_plan(self, cmd: PlanChoice) -> None:
        self._check_plan_acceptance(cmd)
        assert self.s.plan_proposal is not None
        self._put_plan_in_force(self.s.plan_proposal)
        await self._step(Effect.PLAN_AGREED, actor=cmd.actor, subject_id=cmd.plan_id)

    @accept_plan.validator
    def _check_plan_acceptance(self, cmd: PlanChoice) -> None:
        with _refusals():
            rules.check_plan_acceptance(self.s, cmd, _today())

    @workflow.update(name=Update.EXTEND_PLAN)
    async def extend_plan(self, cmd: PlanRef) -> None:
        """A coordinator moves the plan's end date later, with a reason; it applies at once."""
        self._check_extension(cmd)
        terms = PlanTerms(cmd.plan_id, cmd.sessions, cmd.ends_on, cmd.actor.role)
        self._put_plan_in_force(terms)
        await self._step(
            Effect.PLAN_EXTENDED,
            actor=cmd.actor,
            subject_id=cmd.plan_id,
            reason_id=cmd.reason_id,
        )

    @extend_plan.validator
    def _check_extension(self, cmd: PlanRef) -> None:
        with _refusals():
            rules.check_extension(self.s, cmd, _today())

    def _put_plan_in_force(self, terms: PlanTerms) -> None:
        self.s.plan = dataclasses.replace(terms, agreed_at=self._now())
        if self.s.plan_proposal is not None and terms.plan_id == self.s.plan_proposal.plan_id:
            self.s.plan_proposal = None
        self.s.planned_sessions = terms.sessions
        self.s.last_activity = self._now()
        if self.s.stage == Stage.SESSIONS and self.s.confirmed_sessions() >= terms.sessions:
            self._move(Stage.COMPLETION_REVIEW)  # the plan now asks no more than was held

    @workflow.update(name=Update.DISPUTE_SESSION)
    async def dispute_session(self, cmd: SessionDecision) -> None:
        self._check_dispute(cmd)
        self._session(cmd.session_log_id).status = SessionStatus.DISPUTED
        await self._step(
            Effect.SESSION_DISPUTED,
            actor=cmd.actor,
            subject_id=cmd.session_log_id,
            reason_id=cmd.reason_id,
        )

    @dispute_session.validator
    def _check_dispute(self, cmd: SessionDecision) -> None:
        with _refusals():
            rules.check_dispute(self.s, cmd)

    @workflow.update(name=Update.RESOLVE_DISPUTE)
    async def resolve_dispute(self, cmd: SessionDecision) -> None:
        self._check_resolution(cmd)
        entry = self._session(cmd.session_log_id)
        entry.status = SessionStatus.CONFIRMED if cmd.accept else SessionStatus.REFUSED
        self.s.last_activity = self._now()
        if self.s.confirmed_sessions() >= self.s.planned_sessions:
            self._move(Stage.COMPLETION_REVIEW)
        await self._step(
            Effect.SESSION_CONFIRMED if cmd.accept else Effect.SESSION_REFUSED,
            actor=cmd.actor,
            subject_id=cmd.session_log_id,
            reason_id=cmd.reason_id,
        )

    @resolve_dispute.validator
    def _check_resolution(self, cmd: SessionDecision) -> None:
        with _refusals():
            rules.check_resolution(self.s, cmd)

    @workflow.update(name=Update.AGREE_TO_END_EARLY)
    async def agree_to_end_early(self, cmd: Decision) -> None:
        self._check_end_early(cmd)
        self.s.end_early_by.append(cmd.actor.role)
        if {Role.SME, Role.MENTOR} <= set(self.s.end_early_by):
            self._move(Stage.COMPLETION_REVIEW)
        await self._step(Effect.END_EARLY_AGREED, actor=cmd.actor)

    @agree_to_end_early.validator
    def _check_end_early(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_end_early(self.s, cmd)

    @workflow.update(name=Update.APPROVE_COMPLETION)
    async def approve_completion(self, cmd: Decision) -> None:
        self._check_completion(cmd)
        self._move(Stage.PLEDGE)
        await self._step(Effect.COMPLETION_APPROVED, actor=cmd.actor)

    @approve_completion.validator
    def _check_completion(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_completion(self.s, cmd)

    @workflow.update(name=Update.GIVE_FEEDBACK)
    async def give_feedback(self, cmd: FeedbackRef) -> None:
        self._check_feedback(cmd)
        self.s.feedback_from.append(cmd.actor.role)
        await self._step(Effect.FEEDBACK_GIVEN, actor=cmd.actor, subject_id=cmd.feedback_id)

    @give_feedback.validator
    def _check_feedback(self, cmd: FeedbackRef) -> None:
        with _refusals():
            rules.check_feedback(self.s, cmd)

    @workflow.update(name=Update.ANSWER_SURVEY)
    async def answer_survey(self, cmd: SurveyRef) -> None:
        self._check_survey(cmd)
        self.s.surveys_answered.append(cmd.months)
        await self._step(Effect.SURVEY_ANSWERED, actor=cmd.actor, subject_id=cmd.answer_id)

    @answer_survey.validator
    def _check_survey(self, cmd: SurveyRef) -> None:
        with _refusals():
            rules.check_survey(self.s, cmd)

    @workflow.update(name=Update.PAUSE)
    async def pause(self, cmd: PauseChoice) -> None:
        self._check_pause(cmd)
        self._move(Stage.PAUSED)
        self.s.paused_until = f"{cmd.resume_on}T00:00:00"
        await self._step(Effect.PAUSED, actor=cmd.actor, reason_id=cmd.reason_id)

    @pause.validator
    def _check_pause(self, cmd: PauseChoice) -> None:
        with _refusals():
            rules.check_pause(self.s, cmd, _today())

    @workflow.update(name=Update.RESUME)
    async def resume(self, cmd: Decision) -> None:
        self._check_resume(cmd)
        self._move(Stage.SESSIONS)
        self.s.paused_until = None
        self.s.last_activity = self._now()
        await self._step(Effect.RESUMED, actor=cmd.actor)

    @resume.validator
    def _check_resume(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_resume(self.s, cmd)

    @workflow.update(name=Update.TERMINATE)
    async def terminate(self, cmd: Decision) -> None:
        self._check_termination(cmd)
        self._move(Stage.TERMINATED)
        self.s.paused_until = None
        await self._step(Effect.TERMINATED, actor=cmd.actor, reason_id=cmd.reason_id)

    @terminate.validator
    def _check_termination(self, cmd: Decision) -> None:
        with _refusals():
            rules.check_termination(self.s, cmd)

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
            tasks=rules.open_tasks(self.s),
            mentorship_id=self.s.mentorship_id,
            agreement_id=self.s.agreement.agreement_id if self.s.agreement else None,
            confirmed_sessions=self.s.confirmed_sessions(),
            planned_sessions=self.s.planned_sessions,
        )

    # --- helpers --------------------------------------------------------------------------

    # What a handler acts on, found as its validator found it (the same rules refuse).

    def _open_agreement(self, agreement_id: int) -> Agreement:
        with _refusals():
            return rules.open_agreement(self.s, agreement_id)

    def _offer(self, offer_id: int) -> Offer:
        with _refusals():
            return rules.offer(self.s, offer_id)

    def _session(self, session_log_id: int) -> SessionEntry:
        with _refusals():
            return rules.session(self.s, session_log_id)

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
        subject_id: int | None = None,
        reason_id: int | None = None,
        mentorship_id: int | None = None,
        rank: RankInput | None = None,
    ) -> StepResult:
        """Write the transition just made; steps run one at a time, in the order made.

        With ``rank``, the same activity ranks that round after the step and proposes its
        candidates (stages.Proposal); the result carries them.
        """
        key = self._key(effect)
        proposal = None
        if rank is not None:
            proposal = Proposal(rank, self._key(Effect.CANDIDATES_PROPOSED), PROPOSAL_TASKS)
        step = StepInput(
            key=key,
            request_id=self.s.request_id,
            stage=self.s.stage,
            effect=effect,
            tasks=rules.open_tasks(self.s),
            actor_id=actor.user_id if actor else None,
            subject_id=subject_id,
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


def _utc(naive_utc: str) -> datetime:
    """A time kept in workflow state as naive UTC ISO text, as an aware datetime."""
    return datetime.fromisoformat(naive_utc).replace(tzinfo=UTC)


def _today() -> str:
    """The workflow's today (UTC), as an ISO date: plans and pauses end after it."""
    return workflow.now().date().isoformat()


@contextmanager
def _refusals() -> Iterator[None]:
    """A rule's ``Refused`` becomes the update's refusal, which never fails the workflow."""
    try:
        yield
    except Refused as no:
        raise refuse(no.message, **no.params) from None

"""The steps people take once the agreement is sealed: sessions logged, confirmed, scheduled
and cancelled, the plan proposed, accepted and extended, disputes, ending early, completion,
feedback, surveys, pauses and termination."""

from __future__ import annotations

import dataclasses

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from mentorship.rules import guards
    from mentorship.rules.choices import (
        Decision,
        FeedbackRef,
        PauseChoice,
        PlanChoice,
        PlanRef,
        ScheduleRef,
        SessionDecision,
        SessionRef,
        SurveyRef,
    )
    from mentorship.rules.stages import Effect, Role, SessionStatus, Stage, Update
    from mentorship.rules.state import PlanTerms, SessionEntry
    from mentorship.rules.subjects import Ref

from workflows.mentorship.core import (
    MentorshipCore,
    refusals,
    today,
)


class MentoringSteps(MentorshipCore):
    """Updates from the sealed agreement to the end; each validator asks mentorship.rules."""

    @workflow.update(name=Update.LOG_SESSION)
    async def log_session(self, cmd: SessionRef) -> None:
        self._check_log(cmd)
        now = self._now()
        self.s.sessions.append(SessionEntry(cmd.session_log_id, logged_at=now))
        self.s.last_activity = now
        await self._step(
            Effect.SESSION_LOGGED, actor=cmd.actor, subject=Ref.session_log(cmd.session_log_id)
        )

    @log_session.validator
    def _check_log(self, cmd: SessionRef) -> None:
        with refusals():
            guards.check_log(self.s, cmd)

    @workflow.update(name=Update.CONFIRM_SESSION)
    async def confirm_session(self, cmd: SessionRef) -> None:
        self._check_confirmation(cmd)
        self._session(cmd.session_log_id).status = SessionStatus.CONFIRMED
        self.s.last_activity = self._now()
        if self.s.confirmed_sessions() >= self.s.planned_sessions:
            self._move(Stage.COMPLETION_REVIEW)
        await self._step(
            Effect.SESSION_CONFIRMED, actor=cmd.actor, subject=Ref.session_log(cmd.session_log_id)
        )

    @confirm_session.validator
    def _check_confirmation(self, cmd: SessionRef) -> None:
        with refusals():
            guards.check_confirmation(self.s, cmd)

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
            subject=Ref.scheduled_session(cmd.scheduled_id),
        )

    @schedule_session.validator
    def _check_schedule(self, cmd: ScheduleRef) -> None:
        with refusals():
            guards.check_schedule(self.s, cmd, workflow.now())

    @workflow.update(name=Update.CANCEL_SESSION)
    async def cancel_session(self, cmd: ScheduleRef) -> None:
        self._check_cancel(cmd)
        del self.s.session_times[str(cmd.scheduled_id)]
        await self._step(
            Effect.SESSION_CANCELLED,
            actor=cmd.actor,
            subject=Ref.scheduled_session(cmd.scheduled_id),
        )

    @cancel_session.validator
    def _check_cancel(self, cmd: ScheduleRef) -> None:
        with refusals():
            guards.check_cancel(self.s, cmd, workflow.now())

    @workflow.update(name=Update.PROPOSE_PLAN)
    async def propose_plan(self, cmd: PlanRef) -> None:
        """The first plan, or a change to the plan in force: the other side accepts it."""
        self._check_plan_proposal(cmd)
        self.s.plan_proposal = PlanTerms(cmd.plan_id, cmd.sessions, cmd.ends_on, cmd.actor.role)
        self.s.last_activity = self._now()
        await self._step(Effect.PLAN_PROPOSED, actor=cmd.actor, subject=Ref.plan(cmd.plan_id))

    @propose_plan.validator
    def _check_plan_proposal(self, cmd: PlanRef) -> None:
        with refusals():
            guards.check_plan_proposal(self.s, cmd, today())

    @workflow.update(name=Update.ACCEPT_PLAN)
    async def accept_plan(self, cmd: PlanChoice) -> None:
        self._check_plan_acceptance(cmd)
        assert self.s.plan_proposal is not None
        self._put_plan_in_force(self.s.plan_proposal)
        await self._step(Effect.PLAN_AGREED, actor=cmd.actor, subject=Ref.plan(cmd.plan_id))

    @accept_plan.validator
    def _check_plan_acceptance(self, cmd: PlanChoice) -> None:
        with refusals():
            guards.check_plan_acceptance(self.s, cmd, today())

    @workflow.update(name=Update.EXTEND_PLAN)
    async def extend_plan(self, cmd: PlanRef) -> None:
        """A coordinator moves the plan's end date later, with a reason; it applies at once."""
        self._check_extension(cmd)
        terms = PlanTerms(cmd.plan_id, cmd.sessions, cmd.ends_on, cmd.actor.role)
        self._put_plan_in_force(terms)
        await self._step(
            Effect.PLAN_EXTENDED,
            actor=cmd.actor,
            subject=Ref.plan(cmd.plan_id),
            reason_id=cmd.reason_id,
        )

    @extend_plan.validator
    def _check_extension(self, cmd: PlanRef) -> None:
        with refusals():
            guards.check_extension(self.s, cmd, today())

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
            subject=Ref.session_log(cmd.session_log_id),
            reason_id=cmd.reason_id,
        )

    @dispute_session.validator
    def _check_dispute(self, cmd: SessionDecision) -> None:
        with refusals():
            guards.check_dispute(self.s, cmd)

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
            subject=Ref.session_log(cmd.session_log_id),
            reason_id=cmd.reason_id,
        )

    @resolve_dispute.validator
    def _check_resolution(self, cmd: SessionDecision) -> None:
        with refusals():
            guards.check_resolution(self.s, cmd)

    @workflow.update(name=Update.AGREE_TO_END_EARLY)
    async def agree_to_end_early(self, cmd: Decision) -> None:
        self._check_end_early(cmd)
        self.s.end_early_by.append(cmd.actor.role)
        if {Role.SME, Role.MENTOR} <= set(self.s.end_early_by):
            self._move(Stage.COMPLETION_REVIEW)
        await self._step(Effect.END_EARLY_AGREED, actor=cmd.actor)

    @agree_to_end_early.validator
    def _check_end_early(self, cmd: Decision) -> None:
        with refusals():
            guards.check_end_early(self.s, cmd)

    @workflow.update(name=Update.APPROVE_COMPLETION)
    async def approve_completion(self, cmd: Decision) -> None:
        self._check_completion(cmd)
        self._move(Stage.PLEDGE)
        await self._step(Effect.COMPLETION_APPROVED, actor=cmd.actor)

    @approve_completion.validator
    def _check_completion(self, cmd: Decision) -> None:
        with refusals():
            guards.check_completion(self.s, cmd)

    @workflow.update(name=Update.GIVE_FEEDBACK)
    async def give_feedback(self, cmd: FeedbackRef) -> None:
        self._check_feedback(cmd)
        self.s.feedback_from.append(cmd.actor.role)
        await self._step(
            Effect.FEEDBACK_GIVEN, actor=cmd.actor, subject=Ref.feedback(cmd.feedback_id)
        )

    @give_feedback.validator
    def _check_feedback(self, cmd: FeedbackRef) -> None:
        with refusals():
            guards.check_feedback(self.s, cmd)

    @workflow.update(name=Update.ANSWER_SURVEY)
    async def answer_survey(self, cmd: SurveyRef) -> None:
        self._check_survey(cmd)
        self.s.surveys_answered.append(cmd.months)
        await self._step(
            Effect.SURVEY_ANSWERED, actor=cmd.actor, subject=Ref.survey_answer(cmd.answer_id)
        )

    @answer_survey.validator
    def _check_survey(self, cmd: SurveyRef) -> None:
        with refusals():
            guards.check_survey(self.s, cmd)

    @workflow.update(name=Update.PAUSE)
    async def pause(self, cmd: PauseChoice) -> None:
        self._check_pause(cmd)
        self._move(Stage.PAUSED)
        self.s.paused_until = f"{cmd.resume_on}T00:00:00"
        await self._step(Effect.PAUSED, actor=cmd.actor, reason_id=cmd.reason_id)

    @pause.validator
    def _check_pause(self, cmd: PauseChoice) -> None:
        with refusals():
            guards.check_pause(self.s, cmd, today())

    @workflow.update(name=Update.RESUME)
    async def resume(self, cmd: Decision) -> None:
        self._check_resume(cmd)
        self._move(Stage.SESSIONS)
        self.s.paused_until = None
        self.s.last_activity = self._now()
        await self._step(Effect.RESUMED, actor=cmd.actor)

    @resume.validator
    def _check_resume(self, cmd: Decision) -> None:
        with refusals():
            guards.check_resume(self.s, cmd)

    @workflow.update(name=Update.TERMINATE)
    async def terminate(self, cmd: Decision) -> None:
        self._check_termination(cmd)
        self._move(Stage.TERMINATED)
        self.s.paused_until = None
        await self._step(Effect.TERMINATED, actor=cmd.actor, reason_id=cmd.reason_id)

    @terminate.validator
    def _check_termination(self, cmd: Decision) -> None:
        with refusals():
            guards.check_termination(self.s, cmd)

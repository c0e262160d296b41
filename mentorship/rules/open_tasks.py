"""What the workflow waits for people to do in its current state, as tasks: the tasks table
is kept equal to this list, so the inbox never disagrees with the process."""

from __future__ import annotations

from mentorship.rules.guards import next_signer
from mentorship.rules.nudges import stalled
from mentorship.rules.payloads import INTAKE_TASKS, PROPOSAL_TASKS, TaskSpec
from mentorship.rules.stages import Role, SessionStatus, Stage, TaskKind
from mentorship.rules.state import MentorshipState
from mentorship.rules.subjects import Ref


def open_tasks(state: MentorshipState) -> list[TaskSpec]:
    """The human steps the workflow waits for in its current state.

    The tasks table is kept equal to this list, so the inbox never disagrees with the process.
    """
    stage = state.stage
    if stage == Stage.INTAKE_REVIEW:
        return INTAKE_TASKS
    if stage == Stage.MATCHING:
        offer = state.current_offer()
        if offer is not None:
            subject = Ref.offer(offer.offer_id)
            return [TaskSpec(TaskKind.ANSWER_OFFER, Role.MENTOR, offer.mentor_id, subject)]
        if state.proposed_offers():
            return PROPOSAL_TASKS
        return []
    if stage == Stage.NDA and state.agreement is not None:
        agreement = state.agreement
        slot = next_signer(agreement.signers, agreement.signed_by)
        if slot is None or agreement.outcome is not None:
            return []  # everyone signed: the platform is sealing it
        organisation = slot.organisation_id if slot.role == Role.COMPANY_ADMIN else None
        return [
            TaskSpec(
                TaskKind.SIGN_AGREEMENT,
                slot.role,
                slot.user_id,
                Ref.agreement(agreement.agreement_id),
                agreement.expires_at,
                organisation_id=organisation,
            )
        ]
    if stage == Stage.SESSIONS:
        follow_up = [TaskSpec(TaskKind.FOLLOW_UP, Role.COORDINATOR)] if stalled(state) else []
        tasks = follow_up + [
            TaskSpec(TaskKind.CONFIRM_SESSION, Role.SME, None, Ref.session_log(s.session_log_id))
            for s in state.sessions
            if s.status == SessionStatus.LOGGED
        ]
        tasks += [
            TaskSpec(
                TaskKind.RESOLVE_DISPUTE, Role.COORDINATOR, None, Ref.session_log(s.session_log_id)
            )
            for s in state.sessions
            if s.status == SessionStatus.DISPUTED
        ]
        if state.may_log_sessions():
            tasks.insert(0, TaskSpec(TaskKind.LOG_SESSION, Role.MENTOR, state.mentor_id))
        return _plan_tasks(state) + tasks
    if stage == Stage.COMPLETION_REVIEW:
        waiting = [r for r in (Role.SME, Role.MENTOR) if r not in state.feedback_from]
        if waiting:
            mentor = {Role.SME: None, Role.MENTOR: state.mentor_id}
            return [TaskSpec(TaskKind.GIVE_FEEDBACK, r, mentor[r]) for r in waiting]
        return [TaskSpec(TaskKind.APPROVE_COMPLETION, Role.COORDINATOR)]
    if stage == Stage.COMPLETED and not state.surveys_closed:
        return [
            TaskSpec(TaskKind.ANSWER_SURVEY, Role.SME, subject=Ref.survey_month(months))
            for months in state.surveys_due
            if months not in state.surveys_answered
        ]
    return []


def _plan_tasks(state: MentorshipState) -> list[TaskSpec]:
    """A plan to draft (the mentor's task, though the SME may propose too), or to accept."""
    proposal = state.plan_proposal
    if proposal is not None:
        other = Role.MENTOR if proposal.proposed_by == Role.SME else Role.SME
        user = state.mentor_id if other == Role.MENTOR else None
        return [TaskSpec(TaskKind.ACCEPT_PLAN, other, user, Ref.plan(proposal.plan_id))]
    if state.plan is None:
        return [TaskSpec(TaskKind.PROPOSE_PLAN, Role.MENTOR, state.mentor_id)]
    return []

"""Stage rules and the tasks each state opens."""

import pytest

from mentorship.rules.open_tasks import open_tasks
from mentorship.rules.stages import (
    TRANSITIONS,
    IllegalTransition,
    OfferStatus,
    Role,
    SessionStatus,
    Stage,
    TaskKind,
    check_transition,
)
from mentorship.rules.state import (
    Agreement,
    Durations,
    MentorshipState,
    Offer,
    PlanTerms,
    SessionEntry,
    SignerSlot,
)
from mentorship.rules.subjects import Ref


def state(**overrides: object) -> MentorshipState:
    s = MentorshipState(
        request_id=7, sme_organisation_id=3, durations=Durations(), planned_sessions=2
    )
    for key, value in overrides.items():
        setattr(s, key, value)
    return s


def test_every_stage_has_its_rules_and_final_stages_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(Stage)
    for final in (Stage.REJECTED, Stage.UNMATCHED, Stage.COMPLETED, Stage.TERMINATED):
        assert TRANSITIONS[final] == frozenset()


def test_the_happy_path_is_allowed_and_skipping_a_stage_is_not() -> None:
    path = [
        Stage.INTAKE_REVIEW,
        Stage.MATCHING,
        Stage.NDA,
        Stage.SESSIONS,
        Stage.COMPLETION_REVIEW,
        Stage.PLEDGE,
        Stage.COMPLETED,
    ]
    for current, target in zip(path, path[1:], strict=False):
        assert check_transition(current, target) == target
    with pytest.raises(IllegalTransition):
        check_transition(Stage.INTAKE_REVIEW, Stage.NDA)
    with pytest.raises(IllegalTransition):
        check_transition(Stage.COMPLETED, Stage.MATCHING)


def test_intake_review_waits_for_a_coordinator() -> None:
    assert [(t.kind, t.role) for t in open_tasks(state())] == [
        (TaskKind.REVIEW_INTAKE, Role.COORDINATOR)
    ]


def test_matching_asks_the_coordinator_then_the_approved_mentor() -> None:
    offers = [Offer(11, 101), Offer(12, 102)]
    assert [t.kind for t in open_tasks(state(stage=Stage.MATCHING, offers=offers))] == [
        TaskKind.APPROVE_MATCH
    ]
    offers[1].status = OfferStatus.APPROVED
    (task,) = open_tasks(state(stage=Stage.MATCHING, offers=offers))
    assert (task.kind, task.user_id, task.subject) == (TaskKind.ANSWER_OFFER, 102, Ref.offer(12))


def test_the_next_signer_in_order_has_a_signing_task_due_at_expiry() -> None:
    signers = [SignerSlot(Role.SME, organisation_id=3), SignerSlot(Role.MENTOR, user_id=101)]
    agreement = Agreement(5, "ab" * 32, "2026-12-08T10:00:00", [Role.SME], signers)
    (task,) = open_tasks(state(stage=Stage.NDA, agreement=agreement, mentor_id=101))
    assert (task.kind, task.role, task.user_id) == (TaskKind.SIGN_AGREEMENT, Role.MENTOR, 101)
    assert task.due_at == "2026-12-08T10:00:00"


def test_sessions_ask_to_log_until_the_plan_is_logged_and_to_confirm_each_log() -> None:
    sessions = [SessionEntry(1, SessionStatus.CONFIRMED), SessionEntry(2)]
    assert [t.kind for t in open_tasks(state(stage=Stage.SESSIONS))] == [TaskKind.PROPOSE_PLAN]
    plan = PlanTerms(61, 2, "2027-03-01", Role.MENTOR, agreed_at="2026-12-01T10:00:00")
    planned = {"stage": Stage.SESSIONS, "plan": plan}
    kinds = [t.kind for t in open_tasks(state(sessions=sessions, **planned))]
    assert kinds == [TaskKind.CONFIRM_SESSION]
    kinds = [t.kind for t in open_tasks(state(sessions=sessions[:1], **planned))]
    assert kinds == [TaskKind.LOG_SESSION]


def test_final_stages_leave_nothing_open() -> None:
    for stage in (Stage.REJECTED, Stage.UNMATCHED, Stage.COMPLETED, Stage.PLEDGE):
        assert open_tasks(state(stage=stage)) == []

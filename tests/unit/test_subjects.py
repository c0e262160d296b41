"""Typed subjects: each step's effect and each task's kind names the kind of subject it carries,
the workflow sends exactly that kind, and a reference of another kind is refused."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from mentorship.rules.open_tasks import open_tasks
from mentorship.rules.payloads import Proposal, RankInput, StepInput
from mentorship.rules.stages import Effect, OfferStatus, SessionStatus, Stage, TaskKind
from mentorship.rules.state import Durations, MentorshipState, Offer, SessionEntry
from mentorship.rules.subjects import (
    SUBJECTS,
    TASK_SUBJECTS,
    Ref,
    SubjectKind,
    WrongSubject,
    check_step,
    check_task,
)
from workflows.mentorship.core import MentorshipCore

WORKFLOW = Path(__file__).parent.parent.parent / "workflows" / "mentorship"


def test_every_effect_and_every_task_kind_says_which_subject_it_carries() -> None:
    assert set(SUBJECTS) == set(Effect)
    assert set(TASK_SUBJECTS) == set(TaskKind)


def test_each_kind_has_a_constructor_of_its_name() -> None:
    for kind in SubjectKind:
        assert getattr(Ref, kind.value)(5) == Ref(kind, 5)


def _effects(node: ast.expr) -> list[str]:
    """``Effect.X``, or ``Effect.X if ... else Effect.Y``: the effects a step call may write."""
    if isinstance(node, ast.IfExp):
        return _effects(node.body) + _effects(node.orelse)
    assert isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name), ast.dump(node)
    assert node.value.id == "Effect"
    return [node.attr]


def _sent_kind(call: ast.Call) -> SubjectKind | None:
    """The kind of the ``subject=Ref.<kind>(...)`` a step call passes, None without one."""
    for keyword in call.keywords:
        if keyword.arg == "subject":
            ref = keyword.value
            assert isinstance(ref, ast.Call) and isinstance(ref.func, ast.Attribute)
            assert isinstance(ref.func.value, ast.Name) and ref.func.value.id == "Ref"
            return SubjectKind(ref.func.attr)
    return None


def test_every_step_the_workflow_writes_names_the_kind_its_effect_carries() -> None:
    sent: dict[Effect, set[SubjectKind | None]] = {}
    for path in sorted(WORKFLOW.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_step"
                and node.args
            ):
                for effect in _effects(node.args[0]):
                    sent.setdefault(Effect[effect], set()).add(_sent_kind(node))
    assert {effect: {SUBJECTS[effect]} for effect in sent} == sent
    # Every effect with a subject is sent by the workflow, where this test can see it.
    assert {e for e, kind in SUBJECTS.items() if kind is not None} <= set(sent)


def test_the_proposing_step_carries_its_round() -> None:
    carrier = StepInput("k:1", 7, Stage.MATCHING, Effect.INTAKE_APPROVED, [])
    proposal = Proposal(RankInput(7, 3, []), "k:2", [])
    step = proposal.step(carrier)
    check_step(step.effect, step.subject)
    assert step.subject_of(SubjectKind.ROUND) == 3


def test_open_tasks_point_at_the_kind_their_task_kind_names() -> None:
    state = MentorshipState(
        request_id=7, sme_organisation_id=3, durations=Durations(), planned_sessions=2
    )
    state.stage = Stage.MATCHING
    state.offers = [Offer(11, 101, status=OfferStatus.APPROVED)]
    (answer,) = open_tasks(state)
    state.stage, state.mentor_id = Stage.SESSIONS, 101
    state.sessions = [
        SessionEntry(41, status=SessionStatus.LOGGED),
        SessionEntry(42, status=SessionStatus.DISPUTED),
    ]
    in_sessions = open_tasks(state)
    state.stage, state.surveys_due = Stage.COMPLETED, [3]
    tasks = [answer, *in_sessions, *open_tasks(state)]
    for task in tasks:
        check_task(task.kind, task.subject)
    assert [t.subject for t in tasks if t.subject is not None] == [
        Ref.offer(11),
        Ref.session_log(41),
        Ref.session_log(42),
        Ref.survey_month(3),
    ]


@pytest.mark.parametrize(
    ("effect", "subject", "message"),
    [
        (
            Effect.OFFER_APPROVED,
            Ref.agreement(12),
            "step offer_approved needs a subject of kind offer, got agreement 12",
        ),
        (Effect.SURVEY_DUE, None, "step survey_due needs a subject of kind survey_month, got none"),
        (Effect.NUDGED, Ref.offer(3), "step nudged takes no subject, got offer 3"),
    ],
)
def test_a_step_with_a_subject_of_another_kind_is_refused(
    effect: Effect, subject: Ref | None, message: str
) -> None:
    with pytest.raises(WrongSubject) as refused:
        check_step(effect, subject)
    assert str(refused.value) == message


def test_a_task_with_a_subject_of_another_kind_is_refused() -> None:
    check_task(TaskKind.ACCEPT_PLAN, Ref.plan(62))
    with pytest.raises(WrongSubject, match="task accept_plan needs a subject of kind plan"):
        check_task(TaskKind.ACCEPT_PLAN, Ref.feedback(62))


def test_a_handler_reads_the_subject_only_as_the_kind_it_expects() -> None:
    step = StepInput("k:1", 7, Stage.NDA, Effect.OFFER_ACCEPTED, [], subject=Ref.offer(11))
    assert step.subject_of(SubjectKind.OFFER) == 11
    with pytest.raises(WrongSubject, match="step offer_accepted .* kind agreement, got offer 11"):
        step.subject_of(SubjectKind.AGREEMENT)


class _Core(MentorshipCore):
    pass


def test_the_workflow_refuses_a_step_of_another_kind_before_any_activity() -> None:
    """Outside a workflow any call to Temporal would fail otherwise: the check comes first."""
    with pytest.raises(WrongSubject, match="step offer_approved needs .* offer, got mentor 109"):
        asyncio.run(_Core()._step(Effect.OFFER_APPROVED, subject=Ref.mentor(109)))

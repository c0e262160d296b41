"""Events and tasks keep the kind of their subject next to its id, and the projection refuses a
step or a task whose subject is of another kind than its effect or task kind names."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import RankInput, StepInput, TaskSpec
from mentorship.rules.stages import Effect, OfferStatus, Role, Stage, TaskKind
from mentorship.rules.subjects import Ref, WrongSubject
from mentorship.services import projection, ranking
from mentorship.store.db import transaction
from mentorship.store.models import Event, MatchOffer, Task, User
from scripted.journey import submit


def _proposed(sessions: sessionmaker[Session], sme: User) -> tuple[int, int, int]:
    """A request with round 1 ranked: its id, its first offer and that offer's mentor."""
    request_id = submit(sessions, sme)
    with transaction(sessions) as session:
        offer = ranking.rank_candidates(session, RankInput(request_id, 1, []))[0]
    return request_id, offer.offer_id, offer.mentor_id


def _status(session: Session, offer_id: int) -> str | None:
    return session.scalar(select(MatchOffer.status).where(MatchOffer.id == offer_id))


def test_a_step_records_the_kind_of_its_subject(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id, offer_id, _ = _proposed(sessions, people["sme"])
    step = StepInput(
        "k:approve",
        request_id,
        Stage.MATCHING,
        Effect.OFFER_APPROVED,
        [],
        subject=Ref.offer(offer_id),
    )
    with transaction(sessions) as session:
        projection.apply_step(session, step)
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.key == "k:approve")).one()
        assert (event.subject_kind, event.subject_id) == ("offer", offer_id)
        assert _status(session, offer_id) == OfferStatus.APPROVED


def test_a_step_whose_subject_is_of_another_kind_is_refused_and_writes_nothing(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id, offer_id, _ = _proposed(sessions, people["sme"])
    step = StepInput(
        "k:wrong",
        request_id,
        Stage.MATCHING,
        Effect.OFFER_APPROVED,
        [],
        subject=Ref.mentor(offer_id),
    )
    refused = pytest.raises(WrongSubject, match="needs a subject of kind offer, got mentor")
    with refused, transaction(sessions) as session:
        projection.apply_step(session, step)
    with sessions() as session:
        assert session.scalars(select(Event).where(Event.key == "k:wrong")).all() == []
        assert _status(session, offer_id) == OfferStatus.PROPOSED


def test_an_open_task_keeps_its_subject_kind_and_one_of_another_kind_is_refused(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id, offer_id, mentor_id = _proposed(sessions, people["sme"])
    answer = TaskSpec(TaskKind.ANSWER_OFFER, Role.MENTOR, mentor_id, Ref.offer(offer_id))
    for n in (1, 2):  # the same task wanted again stays the one row
        step = StepInput(f"k:{n}", request_id, Stage.MATCHING, Effect.ESCALATED, [answer])
        with transaction(sessions) as session:
            projection.apply_step(session, step)
    with sessions() as session:
        rows = session.execute(
            select(Task.subject_kind, Task.subject_id, Task.closed_at).where(
                Task.kind == TaskKind.ANSWER_OFFER
            )
        ).all()
        assert [tuple(r) for r in rows] == [("offer", offer_id, None)]
    wrong = TaskSpec(TaskKind.ANSWER_OFFER, Role.MENTOR, mentor_id, Ref.agreement(offer_id))
    step = StepInput("k:3", request_id, Stage.MATCHING, Effect.ESCALATED, [wrong])
    refused = pytest.raises(WrongSubject, match="task answer_offer needs .* offer, got agreement")
    with refused, transaction(sessions) as session:
        projection.apply_step(session, step)

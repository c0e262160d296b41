"""Each activity's database write happens once, however often Temporal runs it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import (
    PROPOSAL_TASKS,
    Proposal,
    RankInput,
    RenderInput,
    StepInput,
    TaskSpec,
)
from mentorship.rules.stages import Effect, Role, Stage, TaskKind
from mentorship.rules.subjects import Ref
from mentorship.services import pledges, projection, ranking, reservation, signing
from mentorship.store.db import transaction
from mentorship.store.models import (
    Event,
    MatchOffer,
    MatchRound,
    MentorProfile,
    Mentorship,
    Notification,
    Organisation,
    PledgeEntry,
    SupportRequest,
    Task,
    User,
)
from scripted.journey import submit

REVIEW = TaskSpec(TaskKind.REVIEW_INTAKE, Role.COORDINATOR)


def count(session: Session, column: object) -> int:
    return session.scalar(select(func.count(column))) or 0  # type: ignore[arg-type]


def test_a_submitted_request_shows_its_review_task_and_notifies_the_lead_at_once(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    submit(sessions, people["sme"])
    with sessions() as session:
        assert session.scalars(select(Event.kind)).all() == ["submitted"]
        task = session.scalars(select(Task)).one()
        assert (task.kind, task.role, task.closed_at) == (REVIEW.kind, "coordinator", None)
        notified = session.scalars(select(Notification.user_id)).all()
        assert notified == [people["coordinator"].id]  # Claire leads; Tomás reads the inbox


def test_a_repeated_step_writes_once_and_closes_the_tasks_it_no_longer_wants(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    step = StepInput(
        "mentorship-1:1:intake_approved",
        request_id,
        Stage.MATCHING,
        Effect.INTAKE_APPROVED,
        [],
        actor_id=people["coordinator"].id,
    )
    for _ in range(3):
        with transaction(sessions) as session:
            projection.apply_step(session, step)
    with sessions() as session:
        assert session.scalars(select(Event.kind)).all() == ["submitted", "intake_approved"]
        assert session.scalar(select(Task.closed_at)) is not None
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.MATCHING


def _intake_approval(request_id: int, coordinator_id: int, tasks: list[TaskSpec]) -> StepInput:
    """The intake approval's step as the workflow sends it: ranking round 1 and proposing."""
    return StepInput(
        f"mentorship-{request_id}:2:intake_approved",
        request_id,
        Stage.MATCHING,
        Effect.INTAKE_APPROVED,
        tasks,
        actor_id=coordinator_id,
        proposal=Proposal(
            RankInput(request_id, 1, []),
            f"mentorship-{request_id}:1:candidates_proposed",
            PROPOSAL_TASKS,
        ),
    )


def test_a_repeated_intake_approval_ranks_and_proposes_once(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    """The step that ranks in its own transaction (payloads.Proposal) and the proposing step
    after it are written once; every run answers the same candidates."""
    proposing = submit(sessions, people["sme"])
    nobody = submit(sessions, people["sme"], languages=["mt"])  # no demo mentor speaks it
    answers: dict[int, list[list[int]]] = {proposing: [], nobody: []}
    for request_id in (proposing, nobody) * 2:
        step = _intake_approval(request_id, people["coordinator"].id, [])
        with transaction(sessions) as session:
            result = projection.apply_step(session, step)
        answers[request_id].append([r.offer_id for r in result.ranked])
    with sessions() as session:
        proposed = select(MatchOffer.id).where(MatchOffer.request_id == proposing)
        offers = session.scalars(proposed.order_by(MatchOffer.rank)).all()
        assert offers and answers[proposing] == [list(offers)] * 2
        assert answers[nobody] == [[], []]

        def kinds(request_id: int) -> list[str]:
            return list(
                session.scalars(
                    select(Event.kind).where(Event.request_id == request_id).order_by(Event.id)
                )
            )

        assert kinds(proposing) == ["submitted", "intake_approved", "candidates_proposed"]
        assert kinds(nobody) == ["submitted", "intake_approved"]
        open_tasks = session.execute(
            select(Task.request_id, Task.kind).where(Task.closed_at.is_(None))
        ).all()
        assert open_tasks == [(proposing, TaskKind.APPROVE_MATCH)]
        assert count(session, MatchRound.id) == 2  # one round each, ranked once


def test_a_task_the_proposal_replaces_in_its_transaction_is_neither_opened_nor_told(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    """The tasks are written once, as the proposing step leaves them: a task the carrying
    step would have opened never reaches the inbox, nor its assignee's mail."""
    request_id = submit(sessions, people["sme"])
    reviewer = people["coordinator2"].id
    step = _intake_approval(
        request_id,
        people["coordinator"].id,
        [TaskSpec(TaskKind.REVIEW_INTAKE, Role.COORDINATOR, reviewer)],
    )
    with transaction(sessions) as session:
        assert projection.apply_step(session, step).ranked
    with sessions() as session:
        tasks = session.execute(
            select(Task.kind, Task.user_id, Task.closed_at).where(Task.request_id == request_id)
        ).all()
        assert [(kind, user) for kind, user, closed in tasks if closed is None] == [
            (TaskKind.APPROVE_MATCH, None)
        ]
        assert all(user != reviewer for _, user, _ in tasks)
        told = session.scalars(
            select(Notification.key).where(
                Notification.request_id == request_id, Notification.user_id == reviewer
            )
        ).all()
        assert told == []


def test_ranking_a_round_twice_proposes_the_same_offers(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        first = ranking.rank_candidates(session, RankInput(request_id, 1, []))
    with transaction(sessions) as session:
        again = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert again == first and count(session, MatchOffer.id) == len(first) == 2


def test_accepting_twice_makes_one_mentorship_and_withdraws_the_other_offers(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
    reserved = []
    for _ in range(2):
        with transaction(sessions) as session:
            reserved.append(reservation.reserve_mentorship(session, offers[0].offer_id))
            projection.apply_step(
                session,
                StepInput(
                    "k:9",
                    request_id,
                    Stage.NDA,
                    Effect.OFFER_ACCEPTED,
                    [],
                    subject=Ref.offer(offers[0].offer_id),
                    mentorship_id=reserved[-1],
                ),
            )
    with sessions() as session:
        mentorship = session.scalars(select(Mentorship)).one()
        assert reserved == [mentorship.id, mentorship.id]
        statuses = dict(session.execute(select(MatchOffer.id, MatchOffer.status)).all())
        assert statuses == {offers[0].offer_id: "accepted", offers[1].offer_id: "withdrawn"}


def test_a_mentor_with_no_room_left_cannot_take_a_second_mentorship(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    anna = people["mentor"].id
    with transaction(sessions) as session:
        profile = session.get(MentorProfile, anna)
        assert profile is not None
        profile.capacity = 1
    first, second = (submit(sessions, people["sme"]) for _ in range(2))
    with transaction(sessions) as session:
        offer_1 = ranking.rank_candidates(session, RankInput(first, 1, []))[0]
        offer_2 = ranking.rank_candidates(session, RankInput(second, 1, []))[0]
    assert offer_1.mentor_id == offer_2.mentor_id == anna  # both proposed her at once
    with transaction(sessions) as session:
        assert reservation.reserve_mentorship(session, offer_1.offer_id) is not None
    with transaction(sessions) as session:
        assert reservation.reserve_mentorship(session, offer_2.offer_id) is None


def test_a_company_at_its_cap_cannot_take_one_more_mentorship(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    with transaction(sessions) as session:
        nordvik = session.get(Organisation, people["mentor"].organisation_id)
        assert nordvik is not None
        nordvik.mentor_cap = 1
    first, second = (submit(sessions, people["sme"]) for _ in range(2))
    with transaction(sessions) as session:
        anna = ranking.rank_candidates(session, RankInput(first, 1, []))[0]
        jonas = ranking.rank_candidates(session, RankInput(second, 1, [people["mentor"].id]))[0]
    assert jonas.mentor_id == people["mentor2"].id  # same company, other mentor
    with transaction(sessions) as session:
        assert reservation.reserve_mentorship(session, anna.offer_id) is not None
    with transaction(sessions) as session:
        assert reservation.reserve_mentorship(session, jonas.offer_id) is None


def test_a_pledge_entry_and_an_agreement_are_written_once(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        mentorship_id = reservation.reserve_mentorship(session, offers[0].offer_id)
    assert mentorship_id is not None
    render = RenderInput(mentorship_id, 1, "2026-12-08T10:00:00")
    with transaction(sessions) as session:
        signers = signing.signer_slots(session, mentorship_id)
        first = signing.store_agreement(session, render, b"%PDF-1", "a" * 64, signers)
        second = signing.store_agreement(session, render, b"%PDF-2", "b" * 64, signers)
        assert first.id == second.id and second.sha256 == "a" * 64
    for _ in range(2):
        with transaction(sessions) as session:
            pledges.record_pledge_entry(session, mentorship_id)
    with sessions() as session:
        entry = session.scalars(select(PledgeEntry)).one()
        assert (entry.smes_supported, entry.mentor_hours) == (1, 0.0)


def test_a_ranking_records_who_each_hard_rule_excluded(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        ranking.rank_candidates(session, RankInput(request_id, 1, [people["mentor2"].id]))
    with sessions() as session:
        excluded = session.scalars(select(MatchRound.excluded)).one()
    assert excluded == {
        "conflict of interest: the company's products or competitors overlap the SME": [
            people["mentor3"].id
        ],
        "declined this SME before, or already offered": [people["mentor2"].id],
    }


def test_a_company_at_its_cap_and_an_smes_own_products_exclude_mentors(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    with transaction(sessions) as session:
        nordvik = session.get(Organisation, people["mentor"].organisation_id)
        assert nordvik is not None
        nordvik.mentor_cap = 0
        agrosoft = session.get(Organisation, people["mentor3"].organisation_id)
        assert agrosoft is not None
        agrosoft.product_lines = []  # no conflict with the bakery's sector any more
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert [o.mentor_id for o in offers] == [people["mentor3"].id]
        request = session.get(SupportRequest, request_id)
        assert request is not None
        request.products = ["E_COMMERCE"]  # the SME sells online itself...
        rival = session.get(Organisation, people["mentor3"].organisation_id)
        assert rival is not None
        rival.competitors = ["e_commerce"]  # ...and AgroSoft declares online shops rivals
    with transaction(sessions) as session:
        assert ranking.rank_candidates(session, RankInput(request_id, 2, [])) == []


def test_an_overridden_conflict_is_proposed_and_a_new_round_withdraws_the_old_proposals(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    marta = people["mentor3"].id  # AgroSoft sells to bakeries: a conflict
    with transaction(sessions) as session:
        first = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        assert marta not in [o.mentor_id for o in first]
        second = ranking.rank_candidates(
            session,
            RankInput(request_id, 2, [], preferred_mentor_ids=[marta], conflict_overrides=[marta]),
        )
        assert second[0].mentor_id == marta
        projection.apply_step(
            session,
            StepInput(
                "k:2",
                request_id,
                Stage.MATCHING,
                Effect.CANDIDATES_PROPOSED,
                [],
                subject=Ref.round(2),
            ),
        )
    with sessions() as session:
        statuses = session.execute(
            select(MatchOffer.round, MatchOffer.status).order_by(MatchOffer.round)
        ).all()
    assert {s for r, s in statuses if r == 1} == {"withdrawn"}
    assert {s for r, s in statuses if r == 2} == {"proposed"}


def test_a_mentor_who_declined_an_smes_request_is_not_offered_its_next_one(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    first = submit(sessions, people["sme"])
    anna = people["mentor"].id
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(first, 1, []))
        assert offers[0].mentor_id == anna
        projection.apply_step(
            session,
            StepInput(
                "k:3",
                first,
                Stage.MATCHING,
                Effect.OFFER_DECLINED,
                [],
                subject=Ref.offer(offers[0].offer_id),
            ),
        )
    second = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        assert anna not in [
            o.mentor_id for o in ranking.rank_candidates(session, RankInput(second, 1, []))
        ]
        assert session.scalars(
            select(MatchRound.excluded).where(MatchRound.request_id == second)
        ).one()["declined this SME before, or already offered"] == [anna]

"""The ranking's database reads and the rounds of proposed offers it records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session

from mentorship.rules import matching
from mentorship.rules.assignment import Problem, solve
from mentorship.rules.payloads import RankedOffer, RankInput, RoundProposal
from mentorship.rules.stages import OfferStatus, Stage
from mentorship.store.db import require
from mentorship.store.models import (
    MatchOffer,
    MatchRound,
    MentorProfile,
    Mentorship,
    Organisation,
    SupportRequest,
    User,
)


def rank_candidates(
    session: Session, inp: RankInput, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> list[RankedOffer]:
    """Rank eligible mentors for a request and record them as proposed offers.

    A round already written is returned as it is, so a retried activity proposes the same.
    """
    done = select(MatchRound.id).where(
        MatchRound.request_id == inp.request_id, MatchRound.round == inp.round
    )
    if session.scalar(done) is None:
        request = require(session, SupportRequest, inp.request_id)
        tried = tried_before(session, {request.organisation_id}).get(request.organisation_id, set())
        excluded = sorted(tried | set(inp.excluded_mentor_ids))
        need = need_of(request, excluded, inp.conflict_overrides)
        pool, full = mentor_candidates(session), full_companies(session)
        ranked = matching.rank(
            need,
            pool,
            inp.limit,
            weights=weights,
            full_companies=full,
            preferred=frozenset(inp.preferred_mentor_ids),
        )
        session.add(
            MatchRound(
                request_id=request.id,
                round=inp.round,
                excluded=matching.exclusions(need, pool, full),
            )
        )
        offers = [
            MatchOffer(
                request_id=request.id,
                mentor_id=r.mentor_id,
                round=inp.round,
                rank=position,
                score=r.score,
                breakdown=r.breakdown,
                status=OfferStatus.PROPOSED,
            )
            for position, r in enumerate(ranked, start=1)
        ]
        session.add_all(offers)
        session.flush()
        return [RankedOffer(o.id, o.mentor_id, o.score) for o in offers]
    existing = session.scalars(
        select(MatchOffer)
        .where(MatchOffer.request_id == inp.request_id, MatchOffer.round == inp.round)
        .order_by(MatchOffer.rank)
    ).all()
    return [RankedOffer(o.id, o.mentor_id, o.score) for o in existing]


def need_of(
    request: SupportRequest,
    excluded_mentor_ids: list[int],
    conflict_overrides: Sequence[int] = (),
) -> matching.Need:
    org = request.organisation
    return matching.Need(
        challenge_areas=frozenset(request.challenge_areas),
        languages=frozenset(request.languages),
        country=org.country,
        sector=org.nace,
        format=request.format,
        products=frozenset(request.products or ()),
        excluded_mentor_ids=frozenset(excluded_mentor_ids),
        request_id=request.id,
        conflict_overrides=frozenset(conflict_overrides),
    )


def _active_by(column: Any) -> Any:
    return (
        select(column.label("key"), func.count().label("n"))
        .select_from(Mentorship)
        .where(Mentorship.status == "active")
        .group_by(column)
        .subquery()
    )


# The ranking's queries, built once: every intake approval ranks, and building them (their
# subqueries above all) cost as much as running them (a ranking in-process 4.4 -> 2.5 ms).
def _company_room_query() -> Any:
    active = _active_by(Mentorship.company_id)
    return (
        select(Organisation.id, Organisation.mentor_cap - func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.key == Organisation.id)
        .where(Organisation.mentor_cap.is_not(None))
    )


def _tried_before_query() -> Any:
    smes: BindParameter[int] = bindparam("organisation_ids", expanding=True)
    declined = (
        select(SupportRequest.organisation_id, MatchOffer.mentor_id)
        .join(MatchOffer, MatchOffer.request_id == SupportRequest.id)
        .where(
            SupportRequest.organisation_id.in_(smes),
            MatchOffer.status == OfferStatus.DECLINED,
        )
    )
    lapsed = (
        select(SupportRequest.organisation_id, Mentorship.mentor_id)
        .join(Mentorship, Mentorship.request_id == SupportRequest.id)
        .where(SupportRequest.organisation_id.in_(smes), Mentorship.status == "released")
    )
    return declined.union(lapsed)


def _mentor_rows_query() -> Any:
    active = _active_by(Mentorship.mentor_id)
    return (
        select(MentorProfile, Organisation, func.coalesce(active.c.n, 0))
        .join(User, User.id == MentorProfile.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(active, active.c.key == MentorProfile.user_id)
    )


COMPANY_ROOM_QUERY = _company_room_query()
TRIED_BEFORE_QUERY = _tried_before_query()
MENTOR_ROWS_QUERY = _mentor_rows_query()


def company_room(session: Session) -> dict[int, int]:
    """How many more mentorships each company with a cap may take on."""
    rows = session.execute(COMPANY_ROOM_QUERY)
    return {company: max(0, int(room or 0)) for company, room in rows}


def full_companies(session: Session) -> frozenset[int]:
    """Companies whose mentors already run as many mentorships as the company's cap."""
    return frozenset(company for company, room in company_room(session).items() if room == 0)


def tried_before(session: Session, organisation_ids: set[int]) -> dict[int, set[int]]:
    """Per SME, the mentors who declined one of its requests or let an agreement lapse:
    none is proposed to that SME again."""
    rows = session.execute(TRIED_BEFORE_QUERY, {"organisation_ids": sorted(organisation_ids)})
    tried: dict[int, set[int]] = {}
    for organisation_id, mentor_id in rows:
        tried.setdefault(organisation_id, set()).add(mentor_id)
    return tried


def plan_round(
    session: Session, top_k: int, weights: matching.Weights = matching.DEFAULT_WEIGHTS
) -> list[RoundProposal]:
    """One global assignment for every request waiting for a mentor (a matching round).

    Mentors a request declined or whose agreement lapsed are not proposed to it again.
    """
    waiting = session.scalars(
        select(SupportRequest)
        .where(SupportRequest.stage == Stage.AWAITING_MENTORS)
        .order_by(SupportRequest.created_at)
    ).all()
    if not waiting:
        return []
    tried = tried_before(session, {r.organisation_id for r in waiting})
    pool = mentor_candidates(session)
    needs = [need_of(r, sorted(tried.get(r.organisation_id, ()))) for r in waiting]
    problem = Problem(needs, pool, company_room(session), weights)
    result = solve(problem, top_k=top_k)
    return [RoundProposal(waiting[i].id, pool[j].mentor_id) for i, j in result.pairs]


def mentor_candidates(session: Session) -> list[matching.Candidate]:
    """Every mentor with their load and their company's declarations, for ranking."""
    rows = session.execute(MENTOR_ROWS_QUERY).all()
    used: dict[int, int] = {}
    room: dict[int, int] = {}
    for profile, company, n in rows:
        used[company.id] = used.get(company.id, 0) + n
        room[company.id] = room.get(company.id, 0) + profile.capacity
    return [
        matching.Candidate(
            mentor_id=profile.user_id,
            expertise=frozenset(profile.proficiency),
            proficiency=dict(profile.proficiency),
            languages=frozenset(profile.languages),
            countries=frozenset(profile.countries),
            formats=frozenset(profile.formats),
            sectors=frozenset(profile.sectors),
            capacity=profile.capacity,
            active_mentorships=n,
            company_id=company.id,
            company_product_lines=frozenset(company.product_lines or ()),
            company_competitors=frozenset(company.competitors or ()),
            company_load=used[company.id] / room[company.id] if room[company.id] else 1.0,
        )
        for profile, company, n in rows
    ]

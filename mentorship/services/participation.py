"""Who takes part in a request, and as what: the one rule that pages, the API, the version
endpoint, documents and e-mails ask before they show a request or the SME's confidential
details.

The parts derive from the rows, nothing else: the SME owns the request; a mentor of one of
its mentorships (an accepted offer made one, current or past) is its mentor; a mentor whose
offer is open (approved and asked, or accepted) is a candidate; the admin of a company whose
mentor has or had one of its mentorships takes part for the company; coordinators run the
programme. A mentor whose offer was declined or withdrawn takes no part: they see at most
that offer's outcome, on their own pages.

The SME's confidential details (its name, size, own words, digital-intensity score) are read
by the SME, coordinators, and a mentor once an agreement of their own mentorship of this
request is signed by all; never by a candidate or a company admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import Session

from mentorship.rules.stages import OfferStatus, Role
from mentorship.services.signing import FULLY_SIGNED
from mentorship.store.models import Agreement, MatchOffer, Mentorship, SupportRequest, User

OPEN_OFFERS = (OfferStatus.APPROVED, OfferStatus.ACCEPTED)


class Part(StrEnum):
    SME = "sme"
    MENTOR = "mentor"  # of a current or past mentorship of the request
    CANDIDATE = "candidate"  # a mentor with an open offer
    COMPANY = "company"  # an admin of a company whose mentor has or had a mentorship of it
    COORDINATOR = "coordinator"


def _taking_part(user: User, request_id: Any) -> list[tuple[Part, ColumnElement[bool]]]:
    """The parts a mentor or a company admin could take in the request ``request_id`` (a
    value or a column), each with the condition on the rows that makes it."""
    if user.role == Role.MENTOR:
        mentored = exists().where(
            Mentorship.request_id == request_id, Mentorship.mentor_id == user.id
        )
        offered = exists().where(
            MatchOffer.request_id == request_id,
            MatchOffer.mentor_id == user.id,
            MatchOffer.status.in_(OPEN_OFFERS),
        )
        return [(Part.MENTOR, mentored), (Part.CANDIDATE, offered)]
    if user.role == Role.COMPANY_ADMIN:
        ours = exists().where(
            Mentorship.request_id == request_id, Mentorship.company_id == user.organisation_id
        )
        return [(Part.COMPANY, ours)]
    return []


def part_in(session: Session, user: User, request: SupportRequest) -> Part | None:
    """The part ``user`` takes in ``request``, or None: then it is as if it did not exist."""
    if user.role == Role.COORDINATOR:
        return Part.COORDINATOR
    if user.role == Role.SME:
        return Part.SME if request.organisation_id == user.organisation_id else None
    for part, condition in _taking_part(user, request.id):
        if session.scalar(select(condition)):
            return part
    return None


def visible_requests(user: User) -> Select[SupportRequest]:
    """The requests ``user`` takes part in, as one query (``part_in`` for many at once)."""
    every = select(SupportRequest)
    if user.role == Role.COORDINATOR:
        return every
    if user.role == Role.SME:
        return every.where(SupportRequest.organisation_id == user.organisation_id)
    conditions = [condition for _, condition in _taking_part(user, SupportRequest.id)]
    return every.where(or_(*conditions) if conditions else false())


def reads_sme_details(session: Session, user: User, request: SupportRequest) -> bool:
    """May ``user`` read the SME's confidential details in ``request``?"""
    return request.id in sme_details_readable(session, user, [request])


def sme_details_readable(
    session: Session, user: User, requests: Sequence[SupportRequest]
) -> set[int]:
    """The ids of those of ``requests`` in which ``user`` reads the SME's details."""
    if user.role == Role.COORDINATOR:
        return {r.id for r in requests}
    if user.role == Role.SME:
        return {r.id for r in requests if r.organisation_id == user.organisation_id}
    if user.role != Role.MENTOR or not requests:
        return set()
    signed = (
        select(Mentorship.request_id)
        .join(Agreement, Agreement.mentorship_id == Mentorship.id)
        .where(
            Mentorship.request_id.in_([r.id for r in requests]),
            Mentorship.mentor_id == user.id,
            Agreement.status.in_(FULLY_SIGNED),
        )
    )
    return set(session.scalars(signed))

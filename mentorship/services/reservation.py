"""Reserving a mentorship: where a mentor's and a company's capacity is decided."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mentorship.store.db import require
from mentorship.store.models import MatchOffer, MentorProfile, Mentorship, Organisation, User


def reserve_mentorship(session: Session, offer_id: int) -> int | None:
    """Create the mentorship of an accepted offer if its mentor and company still have room.

    Mentors can be proposed to several requests at once; this is where capacity is decided.
    The mentor's (and a capped company's) row is written first, which locks it on PostgreSQL
    and takes SQLite's write lock, so two acceptances cannot both take the last place.
    Returns the mentorship's id, or None when there is no room. Idempotent per offer.
    """
    offer = require(session, MatchOffer, offer_id)
    existing = session.scalar(select(Mentorship.id).where(Mentorship.offer_id == offer.id))
    if existing is not None:
        return existing
    mentor = require(session, User, offer.mentor_id)
    company = require(session, Organisation, mentor.organisation_id)
    session.execute(
        update(MentorProfile)
        .where(MentorProfile.user_id == mentor.id)
        .values(capacity=MentorProfile.capacity)
    )
    if company.mentor_cap is not None:
        session.execute(
            update(Organisation)
            .where(Organisation.id == company.id)
            .values(mentor_cap=Organisation.mentor_cap)
        )
    profile = require(session, MentorProfile, mentor.id)
    active = select(func.count(Mentorship.id)).where(Mentorship.status == "active")
    if (session.scalar(active.where(Mentorship.mentor_id == mentor.id)) or 0) >= profile.capacity:
        return None
    company_active = session.scalar(active.where(Mentorship.company_id == company.id)) or 0
    if company.mentor_cap is not None and company_active >= company.mentor_cap:
        return None
    mentorship = Mentorship(
        request_id=offer.request_id,
        offer_id=offer.id,
        mentor_id=mentor.id,
        company_id=company.id,
        status="active",
    )
    session.add(mentorship)
    session.flush()
    return mentorship.id

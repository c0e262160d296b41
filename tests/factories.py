"""Test data beyond the demo seed: an intake form and a submitted request."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from mentorship import services
from mentorship.db import transaction
from mentorship.models import User
from mentorship.stages import Actor, Role

INTAKE = services.IntakeForm(
    challenge_areas=["e_commerce", "digital_marketing"],
    languages=["it", "en"],
    description="We want to sell our bread online and reach tourists before they arrive.",
    format="remote",
    employees=14,
    turnover_eur=1_800_000,
    balance_sheet_eur=900_000,
)


def actor(user: User) -> Actor:
    return Actor(user.id, Role(user.role), user.organisation_id)


def submit(sessions: sessionmaker[Session], sme: User, planned: int = 2) -> int:
    """An SME's request, committed with its workflow not yet started."""
    with transaction(sessions) as session:
        request = services.create_request(
            session, session.merge(sme), INTAKE, planned, uuid.uuid4().hex
        )
        return request.id

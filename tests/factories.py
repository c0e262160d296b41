"""Test data beyond the demo seed: an intake form and a submitted request."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from mentorship import services
from mentorship.config import Settings
from mentorship.db import transaction
from mentorship.models import MentorProfile, SupportRequest, User
from mentorship.stages import Actor, Role, Stage
from tests.driver import Driver
from workflows.starter import start_mentorship

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


def submit(sessions: sessionmaker[Session], sme: User, planned: int = 2, **changes: Any) -> int:
    """An SME's request, committed with its workflow not yet started."""
    form = replace(INTAKE, **changes)
    with transaction(sessions) as session:
        request = services.create_request(
            session, session.merge(sme), form, planned, uuid.uuid4().hex
        )
        return request.id


async def waiting_for_a_mentor(
    client: Client, settings: Settings, sessions: sessionmaker[Session], people: dict[str, User]
) -> Driver:
    """A request in Maltese, which no demo mentor speaks, approved and waiting for a mentor
    both in its workflow and in the database."""
    request_id = submit(sessions, people["sme"], languages=["mt"])
    org_id = people["sme"].organisation_id or 0
    await start_mentorship(client, settings, request_id, org_id, 2)
    wf = Driver(client, request_id)
    await wf.approve_intake(actor(people["coordinator"]))
    await wf.wait_for(stage=Stage.AWAITING_MENTORS)
    for _ in range(200):  # the database shows the stage just after the workflow does
        with sessions() as session:
            request = session.get(SupportRequest, request_id)
            if request is not None and request.stage == Stage.AWAITING_MENTORS:
                return wf
        await asyncio.sleep(0.05)
    raise AssertionError(f"request {request_id} never showed as waiting for a mentor")


def speaks_maltese(sessions: sessionmaker[Session], *mentors: User) -> None:
    with transaction(sessions) as session:
        for mentor in mentors:
            profile = session.get(MentorProfile, mentor.id)
            assert profile is not None
            profile.languages = [*profile.languages, "mt"]

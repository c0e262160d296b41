"""Test data beyond the demo seed: a submitted request (``submit``, from the scripted
journey), and one waiting for a mentor."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from mentorship.config import Settings
from mentorship.rules.stages import Stage
from mentorship.store.db import transaction
from mentorship.store.models import MentorProfile, SupportRequest, User
from scripted.driver import Driver
from scripted.journey import actor, submit
from temporal_client.starts import start_mentorship


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

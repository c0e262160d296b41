"""Freed mentor capacity wakes the requests that wait for a mentor."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.mentorship import MentorshipActivities
from digivol.worker import build_worker
from mentorship import services
from mentorship.config import Settings
from mentorship.db import transaction
from mentorship.models import MentorProfile, SupportRequest, User
from mentorship.stages import Stage, TaskKind
from tests.driver import Driver
from tests.factories import INTAKE, actor
from tests.temporal import dev_server
from workflows.starter import start_mentorship


def test_a_request_waiting_for_a_mentor_is_matched_once_one_is_free(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    maltese = replace(INTAKE, languages=["mt"])  # no demo mentor speaks Maltese
    with transaction(sessions) as session:
        sme = session.merge(people["sme"])
        request_id = services.create_request(session, sme, maltese, 2, uuid.uuid4().hex).id

    async def scenario() -> None:
        async with dev_server() as env:
            settings = Settings(task_queue=f"q-{uuid.uuid4().hex}")
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    org_id = people["sme"].organisation_id or 0
                    await start_mentorship(env.client, settings, request_id, org_id, 2)
                    wf = Driver(env.client, request_id)
                    await wf.wait_for(TaskKind.REVIEW_INTAKE)
                    await wf.approve_intake(actor(people["coordinator"]))
                    await wf.wait_for(stage=Stage.AWAITING_MENTORS)
                    await _projected(sessions, request_id, Stage.AWAITING_MENTORS)

                    with transaction(sessions) as session:  # a Maltese speaker has time now
                        profile = session.get(MentorProfile, people["mentor2"].id)
                        assert profile is not None
                        profile.languages = [*profile.languages, "mt"]
                    activities = MentorshipActivities(sessions, env.client)
                    told = await ActivityEnvironment().run(activities.announce_mentor_pool_changed)
                    assert told == 1
                    status = await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
                    assert status.stage == Stage.MATCHING

    asyncio.run(scenario())


async def _projected(sessions: sessionmaker[Session], request_id: int, stage: Stage) -> None:
    """Wait for the database to show the stage the workflow is in: it is written just after."""
    for _ in range(200):
        with sessions() as session:
            request = session.get(SupportRequest, request_id)
            if request is not None and request.stage == stage:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"request {request_id} never showed stage {stage}")

"""Freed mentor capacity wakes the requests that wait for a mentor."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.mentorship import MentorshipActivities
from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.rules.stages import Stage, TaskKind
from mentorship.store.models import User
from scripted.servers import dev_server
from tests.factories import speaks_maltese, waiting_for_a_mentor


def test_a_request_waiting_for_a_mentor_is_matched_once_one_is_free(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with dev_server() as env:
            settings = Settings(data_dir=tmp_path, task_queue=f"q-{uuid.uuid4().hex}")
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    wf = await waiting_for_a_mentor(env.client, settings, sessions, people)
                    speaks_maltese(sessions, people["mentor2"])  # and has time now
                    activities = MentorshipActivities(
                        sessions,
                        env.client,
                        seal_identity=settings.seal_identity(),
                        render_pool=settings.render_pool(),
                    )
                    told = await ActivityEnvironment().run(activities.announce_mentor_pool_changed)
                    assert told == 1
                    status = await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
                    assert status.stage == Stage.MATCHING

    asyncio.run(scenario())

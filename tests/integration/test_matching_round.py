"""A matching round proposes mentors to waiting requests; a schedule runs rounds."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from digivol.schedules import ensure_schedules
from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.rules.payloads import RankInput, RoundInput
from mentorship.rules.stages import Stage, TaskKind
from mentorship.services import ranking
from mentorship.store.db import transaction
from mentorship.store.models import User
from scripted.servers import dev_server
from tests.factories import speaks_maltese, waiting_for_a_mentor
from workflows.matching_round import ROUND_SCHEDULE_ID, MatchingRoundWorkflow


def test_a_round_proposes_its_pick_to_a_waiting_request_which_ranks_it_first(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with dev_server() as env:
            settings = Settings(data_dir=tmp_path, task_queue=f"q-{uuid.uuid4().hex}")
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    wf = await waiting_for_a_mentor(env.client, settings, sessions, people)
                    request_id = int(wf.handle.id.removeprefix("mentorship-"))
                    speaks_maltese(sessions, people["mentor"], people["mentor2"])
                    with transaction(sessions) as session:
                        planned = ranking.plan_round(session, top_k=5)
                    # Anna fits the bakery best (marketing and e-commerce): the round picks her.
                    assert [(p.request_id, p.mentor_id) for p in planned] == [
                        (request_id, people["mentor"].id)
                    ]
                    told = await env.client.execute_workflow(
                        MatchingRoundWorkflow.run,
                        RoundInput(top_k=5),
                        id=f"round-{uuid.uuid4().hex}",
                        task_queue=settings.task_queue,
                    )
                    assert told == 1
                    await wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)
                    with sessions() as session:
                        offers = ranking.rank_candidates(session, RankInput(request_id, 2, []))
                    assert offers[0].mentor_id == people["mentor"].id

    asyncio.run(scenario())


def test_the_round_schedule_is_created_once_and_follows_the_configured_cadence() -> None:
    async def scenario() -> None:
        async with dev_server() as env:
            await ensure_schedules(env.client, Settings(matching_round_every_seconds=3600))
            await ensure_schedules(env.client, Settings(matching_round_every_seconds=600))
            described = await env.client.get_schedule_handle(ROUND_SCHEDULE_ID).describe()
            intervals = described.schedule.spec.intervals
            assert [i.every for i in intervals] == [timedelta(minutes=10)]
            listed = [s.id async for s in await env.client.list_schedules()]
            assert listed.count(ROUND_SCHEDULE_ID) == 1

    asyncio.run(scenario())

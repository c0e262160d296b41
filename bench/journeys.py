"""Benchmark: whole mentorships through the real worker, activities and file-backed servers.

Prints JSON: the round trip of each kind of update (the handler awaits its database write,
so this is what a person waits for after clicking) and whole journeys per second.

    .venv/bin/python -m bench.journeys [--journeys 20] [--concurrency 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from digivol.demo import seed
from digivol.devserver import binary
from digivol.worker import build_worker
from mentorship import completion, plans, services, signing
from mentorship.config import Settings
from mentorship.db import make_engine, make_session_factory, migrate, transaction
from mentorship.models import Agreement, Mentorship, User
from mentorship.stages import (
    Actor,
    Decision,
    FeedbackRef,
    OfferChoice,
    PlanChoice,
    PlanRef,
    Role,
    SessionRef,
    SignatureRef,
    Stage,
    StatusView,
    TaskKind,
    workflow_id,
)
from workflows.mentorship import STAGE_ATTRIBUTE, MentorshipWorkflow
from workflows.starter import start_mentorship

INTAKE = services.IntakeForm(
    ["e_commerce"], ["en"], "A benchmark need, long enough.", "remote", 10, 1_000_000, 500_000
)


class Journey:
    def __init__(
        self,
        client: Client,
        sessions: sessionmaker[Session],
        people: dict[str, Actor],
        timings: dict[str, list[float]],
    ) -> None:
        self.client, self.sessions, self.people, self.timings = client, sessions, people, timings

    async def update(self, request_id: int, name: str, arg: Any) -> None:
        began = time.perf_counter()
        handle = self.client.get_workflow_handle(workflow_id(request_id))
        await handle.execute_update(name, arg, id=uuid.uuid4().hex)
        self.timings[name].append((time.perf_counter() - began) * 1000)

    async def wait(
        self, request_id: int, kind: TaskKind | None = None, stage: Stage | None = None
    ) -> StatusView:
        handle = self.client.get_workflow_handle(workflow_id(request_id))
        while True:
            status: StatusView = await handle.query(MentorshipWorkflow.status)
            if any(t.kind == kind for t in status.tasks) or status.stage == stage:
                return status
            await asyncio.sleep(0.01)

    def write(self, fn: Any, *args: Any) -> Any:
        with transaction(self.sessions) as session:
            return fn(session, *args)

    async def run(self, settings: Settings) -> None:
        p = self.people
        request_id = await asyncio.to_thread(self.write, _create, p["sme"].user_id)
        await start_mentorship(self.client, settings, request_id, p["sme"].organisation_id or 0, 2)
        await self.wait(request_id, TaskKind.REVIEW_INTAKE)
        await self.update(request_id, "approve_intake", Decision(p["coordinator"]))
        await self.wait(request_id, TaskKind.APPROVE_MATCH)
        offer = await asyncio.to_thread(self.write, _first_offer, request_id)
        await self.update(request_id, "approve_match", OfferChoice(p["coordinator"], offer))
        mentor = (
            p["mentor"]
            if await asyncio.to_thread(self.write, _mentor_of, offer) == p["mentor"].user_id
            else p["mentor2"]
        )
        await self.update(request_id, "accept_offer", OfferChoice(mentor, offer))
        status = await self.wait(request_id, TaskKind.SIGN_AGREEMENT)
        # Nordvik Cloud, the demo mentors' company, countersigns: its admin signs last.
        for signer in (p["sme"], mentor, p["admin"]):
            sig, sha = await asyncio.to_thread(
                self.write, _signature, status.agreement_id, signer.user_id
            )
            await self.update(
                request_id, "sign", SignatureRef(signer, sig, status.agreement_id or 0, sha)
            )
        status = await self.wait(request_id, TaskKind.PROPOSE_PLAN)
        plan = await asyncio.to_thread(self.write, _plan, status.mentorship_id, mentor.user_id)
        await self.update(request_id, "propose_plan", PlanRef(mentor, plan, 2, "2099-12-31"))
        await self.update(request_id, "accept_plan", PlanChoice(p["sme"], plan))
        status = await self.wait(request_id, TaskKind.LOG_SESSION)
        for _ in range(2):
            log = await asyncio.to_thread(
                self.write, _session_log, status.mentorship_id, mentor.user_id
            )
            await self.update(request_id, "log_session", SessionRef(mentor, log))
            await self.update(request_id, "confirm_session", SessionRef(p["sme"], log))
        await self.wait(request_id, TaskKind.GIVE_FEEDBACK)
        for author in (p["sme"], mentor):
            feedback = await asyncio.to_thread(self.write, _feedback, request_id, author.user_id)
            await self.update(request_id, "give_feedback", FeedbackRef(author, feedback))
        await self.wait(request_id, TaskKind.APPROVE_COMPLETION)
        await self.update(request_id, "approve_completion", Decision(p["coordinator2"]))
        # The pledge entry is the journey's end; the workflow then waits months for surveys.
        await self.wait(request_id, stage=Stage.COMPLETED)


def _create(session: Session, user_id: int) -> int:
    user = session.get(User, user_id)
    assert user is not None
    return services.create_request(session, user, INTAKE, 2, uuid.uuid4().hex).id


def _first_offer(session: Session, request_id: int) -> int:
    return services.rank_candidates(session, services.RankInput(request_id, 1, []))[0].offer_id


def _mentor_of(session: Session, offer_id: int) -> int:
    from mentorship.models import MatchOffer

    offer = session.get(MatchOffer, offer_id)
    assert offer is not None
    return offer.mentor_id


def _signature(session: Session, agreement_id: int, user_id: int) -> tuple[int, str]:
    doc, user = session.get(Agreement, agreement_id), session.get(User, user_id)
    assert doc is not None and user is not None
    sig = signing.write_signature(
        session, uuid.uuid4().hex, doc, user, user.name, doc.sha256, "127.0.0.1", "bench"
    )
    return sig.id, doc.sha256


def _plan(session: Session, mentorship_id: int, user_id: int) -> int:
    mentorship, user = session.get(Mentorship, mentorship_id), session.get(User, user_id)
    assert mentorship is not None and user is not None
    ends_on = date(2099, 12, 31)
    goals = [plans.GoalDraft("Sell online", "10 orders a month", ends_on)]
    draft = plans.PlanDraft(2, 3.0, "fortnightly", ends_on, goals)
    return plans.write_plan(session, uuid.uuid4().hex, mentorship, user, draft).id


def _feedback(session: Session, request_id: int, user_id: int) -> int:
    user = session.get(User, user_id)
    assert user is not None
    text = "Useful sessions, benchmark."
    return completion.write_feedback(session, uuid.uuid4().hex, request_id, user, 5, text, text).id


def _session_log(session: Session, mentorship_id: int, user_id: int) -> int:
    user = session.get(User, user_id)
    assert user is not None
    return services.write_session_log(
        session, uuid.uuid4().hex, mentorship_id, user, date(2026, 11, 1), 1.5, "bench"
    ).id


async def main(journeys: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
        migrate(url)
        sessions = make_session_factory(make_engine(url))
        with transaction(sessions) as session:
            seed(session)
            for profile in session.scalars(select(User)):  # room for every journey
                if profile.mentor_profile:
                    profile.mentor_profile.capacity = journeys
            people = {
                u.email.split("@")[0]: Actor(u.id, Role(u.role), u.organisation_id)
                for u in session.scalars(select(User))
            }
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
            dev_server_database_filename=str(Path(tmp) / "temporal.sqlite3"),
            dev_server_extra_args=[
                "--sqlite-pragma",
                "journal_mode=WAL",
                "--sqlite-pragma",
                "synchronous=NORMAL",
            ],
            search_attributes=[STAGE_ATTRIBUTE],
        )
        timings: dict[str, list[float]] = defaultdict(list)
        settings = Settings(data_dir=Path(tmp), task_queue="bench", planned_sessions=2)
        try:
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    limit = asyncio.Semaphore(concurrency)

                    async def one() -> None:
                        async with limit:
                            await Journey(env.client, sessions, people, timings).run(settings)

                    began = time.perf_counter()
                    await asyncio.gather(*(one() for _ in range(journeys)))
                    elapsed = time.perf_counter() - began
        finally:
            await env.shutdown()
    everything = [ms for values in timings.values() for ms in values]
    return {
        "benchmark": "journeys",
        "journeys": journeys,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "journeys_per_second": round(journeys / elapsed, 2),
        "update_ms_median": round(statistics.median(everything), 1),
        "update_ms_p95": round(statistics.quantiles(everything, n=20)[18], 1),
        "update_ms_median_by_name": {
            name: round(statistics.median(values), 1) for name, values in sorted(timings.items())
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()
    json.dump(asyncio.run(main(args.journeys, args.concurrency)), sys.stdout, indent=2)
    print()

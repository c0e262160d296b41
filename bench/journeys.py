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
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from bench import cli
from digivol.demo import seed
from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.rules.stages import Stage, Update
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import MentorProfile, User
from scripted.driver import Driver
from scripted.journey import Journey, submit
from scripted.script import EMAILS
from scripted.servers import dev_server


def timed(timings: dict[str, list[float]]) -> type[Driver]:
    """A driver that times each update's round trip into ``timings``, by update."""

    class Timed(Driver):
        async def update(self, name: Update, arg: Any, nonce: str | None = None) -> Any:
            began = time.perf_counter()
            result = await super().update(name, arg, nonce)
            timings[name].append((time.perf_counter() - began) * 1000)
            return result

    return Timed


async def one_journey(
    client: Client,
    sessions: sessionmaker[Session],
    people: dict[str, User],
    settings: Settings,
    timings: dict[str, list[float]],
) -> None:
    """The scripted mentorship to its pledge entry; the workflow then waits months for its
    surveys, which the benchmark does not."""
    request_id = await asyncio.to_thread(submit, sessions, people["sme"])
    journey = Journey(client, sessions, people, request_id, driver=timed(timings))
    await journey.start(settings)
    await journey.play()
    await journey.wf.wait_for(stage=Stage.COMPLETED)


async def main(journeys: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
        migrate(url)
        sessions = make_session_factory(make_engine(url))
        with transaction(sessions) as session:
            seed(session)
            # One mentor with room for every journey: each offer goes to her.
            anna = session.scalars(select(User).where(User.email == EMAILS["mentor"])).one()
            for profile in session.scalars(select(MentorProfile)):
                profile.capacity = journeys + 5 if profile.user_id == anna.id else 0
            people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        timings: dict[str, list[float]] = defaultdict(list)
        settings = Settings(data_dir=Path(tmp), task_queue="bench", planned_sessions=2)
        async with dev_server(Path(tmp) / "temporal.sqlite3") as env:
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    limit = asyncio.Semaphore(concurrency)

                    async def one() -> None:
                        async with limit:
                            await one_journey(env.client, sessions, people, settings, timings)

                    began = time.perf_counter()
                    await asyncio.gather(*(one() for _ in range(journeys)))
                    elapsed = time.perf_counter() - began
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
    args = cli.parse(parser, {"journeys": 1, "concurrency": 1})
    json.dump(asyncio.run(main(args.journeys, args.concurrency)), sys.stdout, indent=2)
    print()

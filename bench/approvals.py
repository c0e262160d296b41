"""Benchmark: approval latency as coordinators feel it.

The service runs as processes (dev server, worker, web; see bench.lifecycle). 50 coordinators,
each signed in with a browser of their own, act on one of their open tasks every 2 s on
average (exponential think time) for 60 s: open the request's page from the inbox, press
"Approve intake". Timed: from the press to the rendered page after the redirect. Prints JSON
with p50/p95/p99 and the errors.

In the same run, the *floor*: as many simulated users at the same pace sending the same
kind of update straight through a Temporal client, to bare workflows whose update runs one
activity that inserts one row (bench.lifecycle's floor write): what Temporal alone costs on
this machine, with no web, no ranking, no projection. Its figures say how much of the
latency is the service's own.

    .venv/bin/python -m bench.approvals [--users 50] [--seconds 60] [--think 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from bench import cli
from bench.lifecycle import (
    FloorInsert,
    Service,
    cpu_seconds,
    own_cpu,
    percentile,
    quiet_runtime,
    start_service,
)
from digivol.demo import DEMO_PASSWORD
from mentorship.services import accounts, intake
from mentorship.store.db import make_engine, make_session_factory, transaction
from mentorship.store.models import User, utcnow
from scripted.browser import Browser
from temporal_client.starts import start_mentorship

INTAKE = intake.IntakeForm(
    ["e_commerce"], ["en"], "A benchmark need, long enough to read.", "remote", 10,
    1_000_000, 500_000,
)  # fmt: skip


def prepare(url: str, users: int, requests: int) -> list[tuple[int, int]]:
    """Coordinators who will approve, and requests waiting for an intake review."""
    sessions = make_session_factory(make_engine(url))
    with transaction(sessions) as session:
        hashed = accounts.hash_password(DEMO_PASSWORD)
        for i in range(users):
            session.add(User(email=f"coordinator-{i}@bench.eu", name=f"Coordinator {i}",
                             role="coordinator", password_hash=hashed,
                             email_verified_at=utcnow()))  # fmt: skip
        sme = session.scalars(select(User).where(User.email == "sme@demo.eu")).one()
        return [
            (intake.create_request(session, sme, INTAKE, 2, uuid.uuid4().hex).id,
             sme.organisation_id or 0)
            for _ in range(requests)
        ]  # fmt: skip


async def start_all(address: str, url: str, pending: list[tuple[int, int]], data_dir: Path) -> None:
    from mentorship.config import Settings

    client = await Client.connect(address)
    settings = Settings(data_dir=data_dir, database_url=url, planned_sessions=2)
    limit = asyncio.Semaphore(50)
    sessions = make_session_factory(make_engine(url))

    async def one(request_id: int, org_id: int) -> None:
        async with limit:
            await start_mentorship(client, settings, request_id, org_id, 2)
            with transaction(sessions) as session:
                intake.mark_workflow_started(session, request_id)

    await asyncio.gather(*(one(r, o) for r, o in pending))


@workflow.defn(name="FloorApproval", sandboxed=False)
class FloorApproval:
    """A bare intake review: it waits for one approval, whose update writes one row."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.approved)

    @workflow.update
    async def approve(self) -> None:
        await workflow.execute_activity(
            "floor_insert", args=[workflow.info().workflow_id, "approve"],
            start_to_close_timeout=timedelta(seconds=60),
        )  # fmt: skip
        self.approved = True


def latencies(timings: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "max_ms": round(max(timings), 1),
    }


async def floor(
    service: Service, url: str, users: int, seconds: float, think: float, workflows: int,
    quiet: int = 3,
) -> dict[str, Any]:  # fmt: skip
    """The same pace of approvals as bare updates through a client (see the module's doc)."""
    client = await Client.connect(service.temporal_address, runtime=quiet_runtime())
    acts = FloorInsert(url)
    queue = f"floor-approvals-{uuid.uuid4().hex[:8]}"
    ids = [f"{queue}-{i}" for i in range(workflows)]
    timings: list[float] = []
    with ThreadPoolExecutor(32) as pool:
        async with Worker(
            client, task_queue=queue, workflows=[FloorApproval], activities=[acts.insert],
            activity_executor=pool, max_concurrent_activities=32,
        ):  # fmt: skip
            limit = asyncio.Semaphore(50)

            async def start(workflow_id: str) -> None:
                async with limit:
                    await client.start_workflow(FloorApproval.run, id=workflow_id, task_queue=queue)

            await asyncio.gather(*(start(i) for i in ids))
            # every one waits for its approval
            await asyncio.to_thread(service.wait_idle, quiet_seconds=quiet)
            random.shuffle(ids)

            async def approver(i: int, deadline: float) -> None:
                rng = random.Random(i)
                await asyncio.sleep(rng.uniform(0, think))
                while time.monotonic() < deadline and ids:
                    handle = client.get_workflow_handle(ids.pop())
                    began = time.perf_counter()
                    await handle.execute_update(FloorApproval.approve)
                    timings.append((time.perf_counter() - began) * 1000)
                    await asyncio.sleep(rng.expovariate(1 / think))

            # The worker runs in this process, with the driver: this process's tree, less the
            # service's processes (its children too).
            service_before, tree_before = service.cpu(), cpu_seconds(os.getpid())
            deadline = time.monotonic() + seconds
            await asyncio.gather(*(approver(i, deadline) for i in range(users)))
            service_after, tree_after = service.cpu(), cpu_seconds(os.getpid())
    used = {k: service_after[k] - service_before[k] for k in service_after}
    return {
        "approvals": len(timings),
        **latencies(timings),
        "cpu_seconds": {
            "server": round(used["server"], 1),
            "worker_and_driver": round(tree_after - tree_before - sum(used.values()), 1),
        },
    }


def main(
    users: int, seconds: float, think: float, database: str = "", quiet: int = 3
) -> dict[str, Any]:
    """``quiet``: the seconds the service must have been idle before a measurement starts
    (one at smoke size, whose figures mean nothing)."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = database or f"sqlite:///{data_dir / 'app.sqlite3'}"
        # Enough waiting requests that nobody runs out: one per expected action, and a margin.
        expected = int(users * seconds / think * 1.2) + users
        service = start_service(data_dir, url, lifecycles=1)
        try:
            pending = prepare(url, users, expected)
            asyncio.run(start_all(service.temporal_address, url, pending, data_dir))
            # every workflow waits at its intake review before we measure
            service.wait_idle(quiet_seconds=quiet)
            queue.extend(request_id for request_id, _ in pending)
            random.shuffle(queue)

            def signed_in(i: int) -> Browser:
                browser = Browser(service.web_url)
                browser.login(f"coordinator-{i}@bench.eu")
                return browser

            def coordinator(i: int, browser: Browser, deadline: float) -> None:
                rng = random.Random(i)
                time.sleep(rng.uniform(0, think))  # not all at the same instant
                while time.monotonic() < deadline:
                    with lock:
                        if not queue:
                            return
                        request_id = queue.pop()
                    page = browser.get(f"/requests/{request_id}")
                    try:
                        form = page.form("/intake/approve")
                    except AssertionError:
                        with lock:
                            errors.append(f"no approval form on request {request_id}")
                        continue
                    began = time.perf_counter()
                    answer = browser.submit(form)
                    elapsed = (time.perf_counter() - began) * 1000
                    with lock:
                        timings.append(elapsed)
                        if answer.status != 200 or "Intake approved" not in answer.text:
                            errors.append(f"{answer.status} on request {request_id}")
                    time.sleep(rng.expovariate(1 / think))

            with ThreadPoolExecutor(users) as pool:
                # Signing in (a deliberately slow password hash) is not acting on a task: all
                # coordinators are signed in before the clock starts.
                browsers = list(pool.map(signed_in, range(users)))
                cpu_before, own_before = service.cpu(), own_cpu()
                deadline = time.monotonic() + seconds
                list(pool.map(coordinator, range(users), browsers, [deadline] * users))
            cpu = {k: round(v - cpu_before[k], 1) for k, v in service.cpu().items()}
            cpu["browsers"] = round(own_cpu() - own_before, 1)  # the 50 scripted coordinators
            floor_figures = asyncio.run(floor(service, url, users, seconds, think, expected, quiet))
        finally:
            service.stop()
    return {
        "benchmark": "approvals",
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "users": users,
        "seconds": seconds,
        "think_seconds": think,
        "approvals": len(timings),
        "per_second": round(len(timings) / seconds, 1),
        **latencies(timings),
        "errors": len(errors),
        "error_examples": errors[:5],
        "cpu_seconds": cpu,
        "floor": floor_figures,
        "p99_to_floor": round(percentile(timings, 99) / floor_figures["p99_ms"], 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between actions")
    parser.add_argument("--database", default="", help="an empty PostgreSQL database's URL")
    # At smoke size each coordinator (and each of the floor's users) still acts at least
    # once: the first action comes within ``think`` of the start.
    args = cli.parse(parser, {"users": 2, "seconds": 1.0, "think": 0.5})
    quiet = 1 if args.smoke else 3
    figures = main(args.users, args.seconds, args.think, args.database, quiet)
    json.dump(figures, sys.stdout, indent=2)
    print()

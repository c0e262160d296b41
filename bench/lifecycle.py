"""Benchmark: whole mentorship lifecycles through the whole service, against a floor.

The service runs as production runs it, one process each: the Temporal dev server on its
file, `digivol worker`, `digivol web`. Scripted people drive N lifecycles at once (default 100
in flight) through HTTP, as browsers do: intake, match, three signatures, plan, two sessions,
feedback, completion, up to the pledge entry. Every action is timed from request to rendered
page: the intake, each form that sends a step to a workflow, the pages people open and reload
while they wait for their turn ("view"), and their pages asking whether the request moved on
("check": as web/static/follow.js does every 3 to 20 s, here every 0.5 s, so that the
lifecycles wait on the service rather than on their people), and each person's whole wait
for their turn ("wait"); ``latency_ms_by_action`` gives p50/p95/p99 of each, ``errors``
counts answers of 400 and above, and ``missed_changes`` pages that showed a person's turn only
once they had given up (their version had not moved: a defect). The load run is
``--lifecycles 200``.

In the same run, the *floor*: a minimal workflow with the same number of updates and
activities, whose activities do only the essential work (the same NDA render and seal, one
database insert each), driven straight through the Temporal client: no web layer, no
projection, no event bookkeeping. ``ratio_to_floor`` says how much of the floor's speed the
real service keeps. The floor's writes are regular activities, as the service's steps are (a
step written by a local activity would reach the pages before its workflow task is recorded,
and a person acting on it then would send an update that a replay handles out of order:
workflows.mentorship, REMOTE_STEPS), except as many as the service ran locally (the ranking).

    .venv/bin/python -m bench.lifecycle [--lifecycles 100] [--database POSTGRES_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.worker import Worker

from bench import cli
from digivol import devserver
from digivol.demo import seed
from digivol.up import wait_for_port
from mentorship.config import Settings
from mentorship.rules.stages import Stage
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import (
    Agreement,
    MentorProfile,
    Mentorship,
    Organisation,
    SupportRequest,
    User,
)
from scripted.pages import STEP_KINDS, PageJourney, People
from scripted.processes import clean_environment, free_ports

IDLE_SERVER_CPU = 0.25  # CPU seconds a second of a server with nothing to dispatch


# ---------------------------------------------------------------------------------------
# The service, one process each, and the CPU each used.


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and all its descendants, live (the render pool's
    processes) or reaped, from /proc (Linux)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended while we looked
    children: dict[int, list[int]] = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)  # fields[1] is the parent
    ticks, todo = 0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            ticks += sum(int(v) for v in stats[current][11:15])  # utime stime cutime cstime
        todo.extend(children.get(current, []))
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """This process's own CPU, every thread, without its children: the scripted people."""
    times = os.times()
    return times.user + times.system


@dataclass
class Service:
    procs: dict[str, subprocess.Popen[bytes]]
    web_url: str
    temporal_address: str

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(proc.pid) for name, proc in self.procs.items()}

    def wait_idle(self, seconds: float = 600, quiet_seconds: int = 3) -> None:
        """Until the server and the worker have had nothing to do for ``quiet_seconds``
        running: work set up before a measurement is done before it starts."""
        deadline, quiet, last = time.monotonic() + seconds, 0, self.cpu()
        while quiet < quiet_seconds:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service was still busy after {seconds} s")
            time.sleep(1)
            now = self.cpu()
            busy = {k: now[k] - last[k] for k in ("server", "worker")}
            # Idle, the server still keeps house (namespaces, task queues): up to an eighth of
            # a core with a few thousand workflows, seen to go on for minutes.
            idle = busy["worker"] < 0.05 and busy["server"] < IDLE_SERVER_CPU
            quiet, last = (quiet + 1 if idle else 0), now

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_service(data_dir: Path, database_url: str, lifecycles: int) -> Service:
    migrate(database_url)
    settings = Settings(data_dir=data_dir, database_url=database_url).resolved()
    settings.seal_identity()
    sessions = make_session_factory(make_engine(database_url))
    with transaction(sessions) as session:
        seed(session)
        # One mentor with room for every lifecycle: each offer goes to her.
        anna = session.scalars(select(User).where(User.email == "mentor@demo.eu")).one()
        for profile in session.scalars(select(MentorProfile)):
            profile.capacity = lifecycles + 5 if profile.user_id == anna.id else 0
        for org in session.scalars(select(Organisation)):
            org.mentor_cap = None
    web_port, temporal_port, ui_port = free_ports()
    env = {
        **clean_environment(),
        "DIGIVOL_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "DIGIVOL_PLANNED_SESSIONS": "2",
        "DIGIVOL_SECRET_KEY": "bench",
    }
    log = (data_dir / "service.log").open("ab")
    me = [sys.executable, "-m", "digivol"]
    procs = {
        "server": subprocess.Popen(
            devserver.command(data_dir, temporal_port, ui_port), stdout=log, stderr=log
        )
    }
    wait_for_port(temporal_port, 60, procs["server"], "the Temporal dev server")
    procs["worker"] = subprocess.Popen([*me, "worker"], env=env, stdout=log, stderr=log)
    procs["web"] = subprocess.Popen(
        [*me, "web", "--port", str(web_port)], env=env, stdout=log, stderr=log
    )
    wait_for_port(web_port, 60, procs["web"], "the web app")
    return Service(procs, f"http://127.0.0.1:{web_port}", f"127.0.0.1:{temporal_port}")


def lifecycle(people: People) -> None:
    """One request, from the SME's intake to the pledge entry."""
    journey = PageJourney(people)
    journey.play()
    journey.finished()


# ---------------------------------------------------------------------------------------
# The floor: the same number of updates and activities, each doing only what it must.

FLOOR_TABLE = Table(
    "bench_floor_rows", MetaData(),
    Column("id", Integer, primary_key=True), Column("run", String(64)), Column("step", String(32)),
)  # fmt: skip


@dataclass
class FloorInput:
    run: str
    updates: int
    inserts: int  # activities besides the render and the seal, one insert each
    local_inserts: int  # of which local activities, as many as the service ran


class FloorInsert:
    """The floor's short write: one row, nothing else."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        FLOOR_TABLE.create(self.engine, checkfirst=True)

    @activity.defn(name="floor_insert")
    def insert(self, run: str, step: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(FLOOR_TABLE).values(run=run, step=step))


class FloorActivities(FloorInsert):
    def __init__(self, database_url: str, agreement_id: int, settings: Settings) -> None:
        super().__init__(database_url)
        self.sessions = make_session_factory(self.engine)
        self.agreement_id, self.settings = agreement_id, settings

    @activity.defn(name="floor_render")
    def render(self, run: str) -> str:
        from mentorship.adapters.agreements import render_agreement_safely, sha256_hex
        from mentorship.rules.payloads import RenderInput
        from mentorship.services import signing

        with transaction(self.sessions) as session:
            doc = session.get(Agreement, self.agreement_id)
            assert doc is not None
            inp = RenderInput(doc.mentorship_id, doc.attempt, doc.expires_at.isoformat())
            context = signing.agreement_context(
                session, inp, signing.signer_slots(session, doc.mentorship_id)
            )
        pdf = render_agreement_safely(context, self.settings.render_pool())
        self.insert(run, "render")
        return sha256_hex(pdf)

    @activity.defn(name="floor_seal")
    def seal(self, run: str) -> str:
        from activities.mentorship import SEAL_REASON
        from mentorship.adapters.agreements import render_certificate_safely, sha256_hex
        from mentorship.adapters.seal import append_pages, seal_pdf
        from mentorship.services import evidence

        with transaction(self.sessions) as session:
            doc = session.get(Agreement, self.agreement_id)
            assert doc is not None
            context, pdf = evidence.certificate_context(session, doc), doc.pdf
        certificate = render_certificate_safely(context, self.settings.render_pool())
        sealed = seal_pdf(
            append_pages(pdf, certificate), self.settings.seal_identity(),
            reason=SEAL_REASON, location="Digital Volunteers platform",
        )  # fmt: skip
        self.insert(run, "seal")
        return sha256_hex(sealed)


@workflow.defn(name="FloorLifecycle", sandboxed=False)
class FloorLifecycle:
    def __init__(self) -> None:
        self.done = 0

    @workflow.run
    async def run(self, inp: FloorInput) -> int:
        timeout = timedelta(seconds=60)
        await workflow.wait_condition(lambda: self.done >= 3)  # after the three signatures
        await workflow.execute_activity("floor_render", inp.run, start_to_close_timeout=timeout)
        await workflow.execute_activity("floor_seal", inp.run, start_to_close_timeout=timeout)
        for i in range(inp.inserts):  # a short write, local where the service's is local
            local = i < inp.local_inserts
            execute = workflow.execute_local_activity if local else workflow.execute_activity
            await execute(
                "floor_insert", args=[inp.run, f"extra-{i}"], start_to_close_timeout=timeout
            )
        await workflow.wait_condition(lambda: self.done >= inp.updates)
        return self.done

    @workflow.update
    async def step(self, name: str) -> None:
        await workflow.execute_activity(
            "floor_insert", args=[workflow.info().workflow_id, name],
            start_to_close_timeout=timedelta(seconds=60),
        )  # fmt: skip
        self.done += 1


def quiet_runtime() -> Runtime:
    """The SDK's own warnings (a slow workflow task, under this load) reach stderr through
    Python's logging, not stdout: stdout carries the JSON."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    warnings = LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                             forwarding=forwarding)  # fmt: skip
    return Runtime(telemetry=TelemetryConfig(logging=warnings))


async def floor(
    address: str, database_url: str, agreement_id: int, settings: Settings, n: int,
    updates: int, inserts: int, local_inserts: int,
) -> float:  # fmt: skip
    """Floor lifecycles per second, N in flight, driven straight through the client."""
    client = await Client.connect(address, runtime=quiet_runtime())
    acts = FloorActivities(database_url, agreement_id, settings)
    queue = f"floor-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(n + 16) as pool:  # no activity waits for a thread
        async with Worker(
            client, task_queue=queue, workflows=[FloorLifecycle],
            activities=[acts.insert, acts.render, acts.seal], activity_executor=pool,
            max_concurrent_activities=n + 8, max_concurrent_local_activities=n + 8,
        ):  # fmt: skip

            async def one() -> None:
                run = uuid.uuid4().hex
                handle = await client.start_workflow(
                    FloorLifecycle.run, FloorInput(run, updates, inserts, local_inserts),
                    id=f"floor-{run}", task_queue=queue,
                )  # fmt: skip
                for i in range(updates):
                    await handle.execute_update(FloorLifecycle.step, f"step-{i}")
                await handle.result()

            began = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - began)


async def _activities_and_updates(address: str, request_id: int) -> tuple[int, int, int]:
    """How many activities (local ones included), local activities and updates one real
    lifecycle ran."""
    client = await Client.connect(address)
    activities = local = updates = 0
    async for event in client.get_workflow_handle(
        f"mentorship-{request_id}"
    ).fetch_history_events():
        kind = event.WhichOneof("attributes") or ""
        # A local activity's marker; a patch's marker ("core_patch") is not one.
        is_local = (
            kind == "marker_recorded_event_attributes"
            and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )
        activities += kind == "activity_task_scheduled_event_attributes" or is_local
        local += is_local
        updates += kind == "workflow_execution_update_accepted_event_attributes"
    return activities, local, updates


# ---------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(lifecycles: int, database: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = database or f"sqlite:///{data_dir / 'app.sqlite3'}"
        service = start_service(data_dir, url, lifecycles)
        try:
            people = People(service.web_url)
            cpu_before, own_before = service.cpu(), own_cpu()
            began = time.perf_counter()
            with ThreadPoolExecutor(lifecycles) as pool:
                failures = [f for f in pool.map(_safely(lifecycle), [people] * lifecycles) if f]
            seconds = time.perf_counter() - began
            cpu = {k: round(v - cpu_before[k], 1) for k, v in service.cpu().items()}
            cpu["browsers"] = round(own_cpu() - own_before, 1)  # the scripted people
            if len(failures) == lifecycles:
                raise SystemExit(f"every lifecycle failed, e.g. {failures[0]}")
            # One real lifecycle that completed, for its counts and its sealed agreement (the
            # floor's seal certifies its signatures): not one a failed person left half-signed.
            with make_engine(url).connect() as conn:
                first = conn.execute(
                    select(Agreement.id, Mentorship.request_id)
                    .join(Mentorship)
                    .join(SupportRequest, SupportRequest.id == Mentorship.request_id)
                    .where(SupportRequest.stage == Stage.COMPLETED)
                    .order_by(Agreement.id)
                    .limit(1)
                ).one()
            activities, local, updates = asyncio.run(
                _activities_and_updates(service.temporal_address, first.request_id)
            )
            settings = Settings(data_dir=data_dir, database_url=url).resolved()
            # The floor's worker runs here, its render pool as our children: this process's
            # tree, less the service's processes (our children too).
            service_before, tree_before = service.cpu(), cpu_seconds(os.getpid())
            floor_per_s = asyncio.run(
                floor(
                    service.temporal_address, url, first.id, settings,
                    lifecycles, updates, max(0, activities - updates - 2), local,
                )
            )  # fmt: skip
            service_after, tree_after = service.cpu(), cpu_seconds(os.getpid())
            used = {k: service_after[k] - service_before[k] for k in service_after}
            floor_cpu = {
                "server": round(used["server"], 1),
                "worker_and_driver": round(tree_after - tree_before - sum(used.values()), 1),
            }
        finally:
            service.stop()
    steps = [ms for name in STEP_KINDS for ms in people.timings[name]]
    per_s = (lifecycles - len(failures)) / seconds
    return {
        "benchmark": "lifecycle",
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "lifecycles": lifecycles,
        "completed": lifecycles - len(failures),
        "failures": failures[:5],
        "errors": len(people.errors),
        "errors_by_step": dict(Counter(people.errors)),
        "missed_changes": len(people.missed_changes),
        "seconds": round(seconds, 1),
        "lifecycles_per_s": round(per_s, 2),
        "floor_per_s": round(floor_per_s, 2),
        "ratio_to_floor": round(per_s / floor_per_s, 2),
        "updates_per_lifecycle": updates,
        "activities_per_lifecycle": activities,
        "local_activities_per_lifecycle": local,
        "update_p50_ms": round(statistics.median(steps), 1),
        "update_p99_ms": round(percentile(steps, 99), 1),
        "latency_ms_by_action": {
            name: {
                "n": len(v),
                "p50": round(statistics.median(v), 1),
                "p95": round(percentile(v, 95), 1),
                "p99": round(percentile(v, 99), 1),
            }
            for name, v in people.timings.items()
            if v
        },
        "cpu_seconds": cpu,
        "floor_cpu_seconds": floor_cpu,
    }


def _safely(fn: Any) -> Any:
    def run(*args: Any) -> str | None:
        try:
            fn(*args)
            return None
        except Exception as exc:  # one failed lifecycle is reported, the others go on
            return f"{type(exc).__name__}: {exc}"

    return run


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (default: SQLite)")
    args = cli.parse(parser, {"lifecycles": 2})
    json.dump(main(args.lifecycles, args.database), sys.stdout, indent=2)
    print()

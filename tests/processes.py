"""Parts of the service as processes of their own, for tests that kill and restart them."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from scripted.processes import clean_environment


def worker_env(database_url: str, temporal: str, queue: str, data_dir: Path) -> dict[str, str]:
    """A worker's whole configuration, from the environment only (as compose gives it)."""
    return {
        **clean_environment(),
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal,
        "DIGIVOL_TASK_QUEUE": queue,
        "DIGIVOL_DATA_DIR": str(data_dir),  # one seal for all workers, as a shared volume gives
    }


class Worker:
    """`digivol worker` as its own process; its log is kept to show when it fails."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digivol", "worker"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    async def polling(self, seconds: float = 60) -> None:
        for _ in range(int(seconds * 10)):
            if "worker polling task queue" in self.log.read_text():
                return
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log.read_text()}"
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} never polled:\n{self.log.read_text()}")

    def kill(self) -> None:
        self.proc.kill()  # no goodbye: what it held is timed out and retried elsewhere
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

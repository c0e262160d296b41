"""Parts of the service as processes of their own, for tests that kill and restart them."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripted.processes import clean_environment, free_ports


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


class Gunicorn:
    """The web app as production serves it (gunicorn, settings from the environment only),
    with no Temporal behind it: pages that need none still answer."""

    def __init__(self, database_url: str, data_dir: Path, workers: int, threads: int) -> None:
        port, nowhere, _ = free_ports()
        (data_dir / "metrics").mkdir(exist_ok=True)
        env = {
            **clean_environment(),
            "DATABASE_URL": database_url,
            "DIGIVOL_DATA_DIR": str(data_dir),
            "DIGIVOL_SECRET_KEY": "test-secret",
            "TEMPORAL_ADDRESS": f"127.0.0.1:{nowhere}",
            "DIGIVOL_LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [str(gunicorn), f"--bind=127.0.0.1:{port}", f"--workers={workers}",
             f"--threads={threads}", "--graceful-timeout=10", "web.wsgi:app"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def answering(self, seconds: float = 30) -> tuple[int, bytes]:
        """Wait until it answers /healthz; its status and body."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return get(self.base + "/healthz")
            except OSError:
                assert self.proc.poll() is None, self.proc.communicate()[0]
                assert time.monotonic() < deadline, "gunicorn never answered"
                time.sleep(0.2)

    def stop(self) -> str:
        """SIGTERM, a graceful stop; what it printed."""
        self.proc.send_signal(signal.SIGTERM)
        output, _ = self.proc.communicate(timeout=30)
        return output


def get(url: str) -> tuple[int, bytes]:
    """A GET's status and body, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()

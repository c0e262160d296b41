"""`digivol up` keeps what it starts running: the worker and the Temporal dev server, killed
with SIGKILL, are started again while the web keeps answering; so is the web; and Ctrl-C
still stops all of it. With Temporal gone, a click is answered "busy" within the timeout."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from temporalio.client import Client

from digivol.up import Child, Supervisor
from mentorship.config import Settings
from scripted.browser import Browser
from scripted.servers import dev_server
from tests.processes import get
from tests.service import Service
from web.temporal import ServiceBusy, TemporalGateway

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

BUSY_OR_STARTED = ("The service is busy", "A matching round has started")


class Output:
    """What `digivol up` prints, read by a thread of its own as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        stdout, self.proc, self.lines = proc.stdout, proc, list[str]()
        self.reader = threading.Thread(target=lambda: self.lines.extend(stdout), daemon=True)
        self.reader.start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, times: int = 1, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(re.findall(pattern, self.text)) < times:
            assert self.proc.poll() is None, f"digivol up exited:\n{self.text}"
            assert time.monotonic() < deadline, f"never printed {pattern!r}:\n{self.text}"
            time.sleep(0.1)


def processes() -> dict[int, tuple[int, int, str]]:
    """Every live process by pid (a zombie is dead already): its parent, its process group
    and its command line."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except FileNotFoundError:  # gone meanwhile
                continue
            state, ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            if state != "Z":
                found[int(entry)] = (int(ppid), int(pgrp), cmdline.replace(b"\0", b" ").decode())
    return found


def child(parent: int, command: str, other_than: int = 0, seconds: float = 30) -> int:
    """The pid of ``parent``'s child whose command line has ``command`` in it."""
    deadline = time.monotonic() + seconds
    while True:
        pids = [
            pid
            for pid, (ppid, _, cmdline) in processes().items()
            if ppid == parent and command in cmdline and pid != other_than
        ]
        if pids:
            return pids[0]
        assert time.monotonic() < deadline, f"no {command!r} under {parent}"
        time.sleep(0.1)


def listening(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, f"nothing listens on {port}"
        time.sleep(0.1)


def ready(service: Service, seconds: float = 30) -> None:
    """Wait until the web answers and finds Temporal and a worker polling it."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, body = get(service.url + "/readyz")
        except OSError as exc:  # not listening yet
            status, body = 0, str(exc).encode()
        if status == 200:
            return
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


async def workflow_ids(port: int) -> set[str]:
    client = await Client.connect(f"127.0.0.1:{port}")
    return {w.id async for w in client.list_workflows()}


def test_up_restarts_a_killed_worker_and_dev_server_while_the_web_answers(tmp_path: Path) -> None:
    service = Service(tmp_path / "data")
    service.start()
    assert service.proc is not None
    up, output = service.proc.pid, Output(service.proc)
    try:
        coordinator = Browser(service.url)
        coordinator.login("coordinator@demo.eu")
        page = coordinator.submit(coordinator.get("/inbox").form("/matching-rounds"))
        assert "A matching round has started" in page.text
        temporal = child(up, "server start-dev")
        worker = child(up, "digivol worker")
        web = child(up, "digivol web")
        seen = {temporal, worker, web}

        os.kill(worker, signal.SIGKILL)
        assert get(service.url + "/login")[0] == 200
        output.wait_for(r"the worker exited with code -9 \(SIGKILL\); restarting it in 0\.5 s")
        worker = child(up, "digivol worker", other_than=worker)
        seen.add(worker)
        output.wait_for("worker polling task queue", times=2)
        assert coordinator.get("/inbox").status == 200

        workflows = asyncio.run(workflow_ids(service.temporal_port))
        assert workflows  # the round at least
        os.kill(temporal, signal.SIGKILL)
        # A click that needs Temporal gets an answer: busy while it is away, or the round
        # started if it came back within the click's retries.
        page = coordinator.submit(coordinator.get("/inbox").form("/matching-rounds"))
        assert page.status in (200, 503) and any(t in page.text for t in BUSY_OR_STARTED)
        assert get(service.url + "/login")[0] == 200
        output.wait_for(r"the Temporal dev server exited with code -9 \(SIGKILL\); restarting")
        temporal = child(up, "server start-dev", other_than=temporal)
        seen.add(temporal)
        listening(service.temporal_port)
        ready(service)  # and the worker polls the new server
        assert workflows <= asyncio.run(workflow_ids(service.temporal_port))  # kept in its file
        page = coordinator.submit(coordinator.get("/inbox").form("/matching-rounds"))
        assert page.status == 200 and "A matching round has started" in page.text
        assert child(up, "digivol worker") == worker and child(up, "digivol web") == web

        os.kill(web, signal.SIGKILL)  # the web itself comes back too
        output.wait_for(r"the web app exited with code -9 \(SIGKILL\); restarting it in 0\.5 s")
        web = child(up, "digivol web", other_than=web)
        seen.add(web)
        ready(service)
        assert coordinator.get("/inbox").status == 200  # the session outlives the process
    finally:
        service.proc.send_signal(signal.SIGINT)  # Ctrl-C
        service.proc.wait(timeout=60)
        output.reader.join(timeout=10)  # all of it read before the pipe is closed
        code = service.stop()
    assert code == 0, output.text
    assert "stopping…" in output.text
    left = [cmd for pid, (_, pgrp, cmd) in processes().items() if pgrp in seen or pid in seen]
    assert left == []  # nor anything they started, such as the worker's render pool


def test_with_the_dev_server_gone_a_click_is_busy_within_the_rpc_timeout() -> None:
    async def scenario() -> float:
        async with dev_server() as env:
            target = env.client.service_client.config.target_host
            gateway = TemporalGateway(Settings(temporal_address=target, rpc_timeout_seconds=1.0))
            try:
                await asyncio.to_thread(gateway.start_round)  # connected, and then...
                await env.shutdown()  # ...killed, as a crashed dev server would be
                began = time.monotonic()
                with pytest.raises(ServiceBusy):
                    await asyncio.to_thread(gateway.start_round)
                return time.monotonic() - began
            finally:
                gateway.close()

    # Not the SDK's 10 s of retries (nor our 6 s safety net): a person's click is answered.
    assert asyncio.run(scenario()) < 3


def test_up_gives_up_on_a_child_that_keeps_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    crashing = Child("worker", [sys.executable, "-c", "raise SystemExit(3)"], wait=0.1)
    supervisor = Supervisor([crashing])
    supervisor.start(crashing)
    try:
        assert supervisor.supervise() == 1
    finally:
        supervisor.stop()
    said = capsys.readouterr().err
    waits = re.findall(r"the worker exited with code 3; restarting it in ([\d.]+) s", said)
    assert waits == ["0.1", "0.2", "0.4", "0.8"]  # doubled each time
    assert "the worker exited 5 times within 60 s, the last with code 3; giving up" in said

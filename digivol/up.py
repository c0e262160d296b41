"""`digivol up`: the dev server, the worker and the web app, kept running until Ctrl-C.

`up` supervises what it starts. A child that exits on its own (a crash, `kill -9`, the
out-of-memory killer) is started again after a back-off: 0.5 s after its first exit, doubled
after each further one up to 30 s, and back to 0.5 s once it has stayed up for a minute. Each
restart is one line on stderr naming the child, its exit code and the wait. The others keep
running meanwhile: the dev server keeps its workflows in its file, so a new one carries on
where the killed one stopped; a new worker waits for Temporal and polls again; the web keeps
answering, and a click that needs Temporal gets "The service is busy" (503) until it is back.
Whatever a dead child left in its process group (the worker's render pool) is killed first.

A child that exits five times within a minute is broken, not unlucky (a bad setting, a full
disk, a port taken by something else): `up` says which one and how it last exited, stops the
rest and exits 1, rather than restart it forever. Ctrl-C or SIGTERM stops everything, the web
first, then the worker, then the dev server, and exits 0.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from digivol import devserver, extras
from digivol.demo import ACCOUNTS, DEMO_PASSWORD, seed
from mentorship.config import Settings
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction

FIRST_WAIT = 0.5  # seconds before a child that exited is started again...
LONGEST_WAIT = 30.0  # ...doubled after each exit up to this,
STEADY = 60.0  # and back to FIRST_WAIT once it has stayed up this long
GIVE_UP_EXITS, GIVE_UP_WITHIN = 5, 60.0  # this many exits within these seconds: broken
STOP_GRACE = 15.0  # seconds a child has to stop after SIGTERM before it is killed
TICK = 0.2


class Stopping(Exception):
    """SIGINT or SIGTERM arrived while the children were starting."""


@dataclass(eq=False)
class Child:
    """One process `up` starts and keeps running: how to start it, and how it fared."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None
    log: Path | None = None  # its output is appended here rather than shown with ours
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    wait: float = FIRST_WAIT
    exits: deque[float] = field(default_factory=deque)
    swept: bool = False  # whether what it left behind is killed already

    def start(self) -> None:
        # In a session of its own: a Ctrl-C at the terminal reaches `up` only, which then
        # stops the children in order.
        if self.log is None:
            self.proc = subprocess.Popen(self.command, env=self.env, start_new_session=True)
        else:
            with open(self.log, "ab") as out:
                self.proc = subprocess.Popen(
                    self.command,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self.started, self.swept = time.monotonic(), False

    def exited(self, now: float) -> float:
        """Note that it exited at ``now``; the seconds to wait before starting it again."""
        self._kill_leftovers()
        if now - self.started >= STEADY:
            self.wait = FIRST_WAIT
        wait, self.wait = self.wait, min(self.wait * 2, LONGEST_WAIT)
        self.exits.append(now)
        while now - self.exits[0] > GIVE_UP_WITHIN:
            self.exits.popleft()
        return wait

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """Kill what the exited child left in its process group (its id is the child's pid,
        which stays reserved while the group has members), once, right after the exit: the
        pid is not handed out again by then."""
        assert self.proc is not None
        if not self.swept:
            self.swept = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)


def wait_for_port(
    port: int,
    seconds: float,
    proc: subprocess.Popen[bytes],
    what: str,
    stopping: Callable[[], bool] = lambda: False,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stopping():
            raise Stopping
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {describe(proc.returncode)} while starting")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(TICK)
    raise RuntimeError(f"{what} did not open port {port} within {seconds:.0f} s")


def describe(code: int) -> str:
    if code < 0:
        return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


class Supervisor:
    """Starts the children in order, restarts any that exits, stops them all in reverse."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stopping = False

    def on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def start(self, child: Child, port: int | None = None) -> None:
        """Start ``child`` and wait until it listens on ``port``, if it has one."""
        child.start()
        assert child.proc is not None
        if port is not None:
            wait_for_port(port, 60, child.proc, f"the {child.name}", lambda: self.stopping)

    def supervise(self) -> int:
        """Keep the children running until a signal (0) or one that keeps exiting (1)."""
        due: dict[Child, float] = {}  # the exited children, and when to start each again
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child in due:
                    if now >= due[child]:
                        del due[child]
                        child.restarts += 1
                        child.start()
                    continue
                assert child.proc is not None
                code = child.proc.poll()
                if code is None:
                    continue
                wait = child.exited(now)
                if len(child.exits) >= GIVE_UP_EXITS:
                    print(
                        f"digivol up: the {child.name} exited {len(child.exits)} times within"
                        f" {GIVE_UP_WITHIN:.0f} s, the last with {describe(code)}; giving up"
                        " and stopping the rest",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
                print(
                    f"digivol up: the {child.name} exited with {describe(code)};"
                    f" restarting it in {wait:.1f} s (restart {child.restarts + 1})",
                    file=sys.stderr,
                    flush=True,
                )
                due[child] = now + wait
            time.sleep(TICK)
        return 0

    def stop(self) -> None:
        for child in reversed(self.children):  # web, worker, then Temporal
            child.stop()


def run_up(settings: Settings, *, web_port: int, temporal_port: int, demo: bool) -> int:
    # The embedded default's parts (the `embedded` extra), before anything starts.
    extras.require_module("waitress", "digivol up")
    devserver.binary("temporal")
    ui_port = temporal_port + 1000
    try:
        for port, flag in (
            (web_port, "--port"),
            (temporal_port, "--temporal-port"),
            (ui_port, "--temporal-port"),
        ):
            devserver.ensure_free(port, flag)
    except devserver.PortInUse as exc:
        print(f"digivol up: {exc}", file=sys.stderr)
        return 2

    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    settings.seal_identity()  # made once, here, before the worker and the web read it
    if demo:
        with transaction(make_session_factory(make_engine(settings.database_url))) as session:
            seed(session)

    env = dict(
        os.environ,
        DIGIVOL_DATA_DIR=str(data_dir),
        DATABASE_URL=settings.database_url,
        TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
    )
    env.setdefault("DIGIVOL_BASE_URL", f"http://127.0.0.1:{web_port}")  # links in e-mails
    me = [sys.executable, "-m", "digivol"]
    temporal = Child(
        "Temporal dev server",
        devserver.command(data_dir, temporal_port, ui_port),
        log=data_dir / "temporal.log",
    )
    worker = Child("worker", [*me, "worker"], env=env)
    web = Child("web app", [*me, "web", "--port", str(web_port)], env=env)
    supervisor = Supervisor([temporal, worker, web])

    # Both stop everything: SIGINT explicitly too, since a shell that starts us in the
    # background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, supervisor.on_signal)
    signal.signal(signal.SIGINT, supervisor.on_signal)
    try:
        supervisor.start(temporal, temporal_port)
        supervisor.start(worker)
        supervisor.start(web, web_port)
        _announce(web_port, ui_port, data_dir, demo, mail_outbox=not settings.smtp_url)
        code = supervisor.supervise()
        if code == 0:
            print("\nstopping…", flush=True)
        return code
    except Stopping:
        print("\nstopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"digivol up: {exc}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop()


def _announce(web_port: int, ui_port: int, data_dir: Path, demo: bool, mail_outbox: bool) -> None:
    lines = [
        "",
        "Digital Volunteers is running.",
        f"  Web app:      http://127.0.0.1:{web_port}/",
        f"  Temporal UI:  http://127.0.0.1:{ui_port}/",
        f"  Data:         {data_dir}",
    ]
    if mail_outbox:
        lines.append(f"  E-mails:      http://127.0.0.1:{web_port}/dev/mail (no SMTP_URL set)")
    if demo:
        lines.append(f"  Demo logins (password '{DEMO_PASSWORD}'):")
        lines += [f"    {email:<22} {role}" for email, _name, role, _org in ACCOUNTS]
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)

"""`digivol up`: the dev server, the worker and the web app, stopped together on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from digivol import devserver
from digivol.demo import ACCOUNTS, DEMO_PASSWORD, seed
from mentorship.config import Settings
from mentorship.db import make_engine, make_session_factory, migrate, transaction


def wait_for_port(port: int, seconds: float, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not open port {port} within {seconds:.0f} s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):  # web, worker, then Temporal
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_up(settings: Settings, *, web_port: int, temporal_port: int, demo: bool) -> int:
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
    procs: list[subprocess.Popen[bytes]] = []

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both stop everything: SIGINT explicitly too, since a shell that starts us in the
    # background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with open(data_dir / "temporal.log", "ab") as temporal_log:
            temporal = subprocess.Popen(
                devserver.command(data_dir, temporal_port, ui_port),
                stdout=temporal_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.append(temporal)
        wait_for_port(temporal_port, 60, temporal, "the Temporal dev server")
        procs.append(subprocess.Popen([*me, "worker"], env=env, start_new_session=True))
        web = subprocess.Popen(
            [*me, "web", "--port", str(web_port)], env=env, start_new_session=True
        )
        procs.append(web)
        wait_for_port(web_port, 60, web, "the web app")
        _announce(web_port, ui_port, data_dir, demo, mail_outbox=not settings.smtp_url)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = next(i for i, p in enumerate(procs) if p.poll() is not None)
        print(
            f"digivol up: the {('Temporal dev server', 'worker', 'web app')[failed]} exited"
            f" with code {procs[failed].returncode}; stopping the rest",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"digivol up: {exc}", file=sys.stderr)
        return 1
    finally:
        _stop(procs)


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

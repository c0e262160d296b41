"""`digivol up` as a subprocess in a temporary data dir, for tests through HTTP or a browser."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_ports() -> tuple[int, int, int]:
    """A web port and a Temporal port whose UI port (+1000) is free too."""
    while True:
        web, temporal = random.sample(range(20000, 29000), 2)
        ports = (web, temporal, temporal + 1000)
        if len(set(ports)) == 3 and all(_free(p) for p in ports):
            return ports


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Service:
    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.env = env
        self.web_port, self.temporal_port, _ = free_ports()
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digivol",
                "up",
                "--demo",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.web_port),
                "--temporal-port",
                str(self.temporal_port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        output = []
        for line in self.proc.stdout:
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        else:
            raise AssertionError("digivol up did not start:\n" + "".join(output))
        assert f"http://127.0.0.1:{self.web_port}/" in "".join(output)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as response:
                    health = json.loads(response.read())
                    if health["worker"] == "ok":
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the service never became healthy"
            time.sleep(0.3)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return code

"""`digivol up` as a subprocess in a temporary data dir, for tests through HTTP or a browser."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scripted.processes import free_ports


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
                    if json.loads(response.read()) == {"status": "ready"}:
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

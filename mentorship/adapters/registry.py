"""The outbound adapter to the Coalition's pledge registry: one JSON POST per pledge entry.

Each entry carries an ``Idempotency-Key`` derived from its mentorship, so a retry after a lost
response is answered by the registry's duplicate detection instead of making a second record.
A 5xx answer, a timeout or a refused connection is ``RegistryUnavailable`` (try again later);
any other 4xx is a ``Rejected`` answer with the registry's message, which a person must read.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

MAX_MESSAGE = 2000  # of a registry's error text kept for the coordinator


@dataclass(frozen=True)
class RegistryConfig:
    url: str  # the registry's base URL; entries go to <url>/v1/entries
    token: str = ""
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Pushed:
    registry_id: str
    duplicate: bool  # the registry had it already: a retry after a lost response


@dataclass(frozen=True)
class Rejected:
    status: int
    message: str


class RegistryUnavailable(Exception):
    """The registry did not take the entry this time (5xx, timeout, no connection)."""


def idempotency_key(mentorship_id: int) -> str:
    """One key per mentorship: a completed mentorship is one entry, however often sent."""
    return f"digivol-mentorship-{mentorship_id}"


def push(config: RegistryConfig, key: str, payload: dict[str, Any]) -> Pushed | Rejected:
    """POST one entry; raise RegistryUnavailable when it is worth trying again later."""
    request = urllib.request.Request(
        config.url.rstrip("/") + "/v1/entries",
        data=json.dumps(payload, sort_keys=True).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": key,
            **({"Authorization": f"Bearer {config.token}"} if config.token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:
            body = _json(response.read())
            return Pushed(str(body.get("id", "")), bool(body.get("duplicate", False)))
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code in (408, 429):
            raise RegistryUnavailable(f"the registry answered HTTP {exc.code}") from None
        message = str(_json(exc.read()).get("error") or exc.reason or "no message")
        return Rejected(exc.code, message[:MAX_MESSAGE])
    except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError, OSError) as exc:
        raise RegistryUnavailable(f"no answer from the registry ({type(exc).__name__})") from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

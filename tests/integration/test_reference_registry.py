"""The reference registry's own contract, over HTTP against the real process."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_registry_sync import TOKEN, Registry

ENTRY = {
    "pledger": "Nordvik Cloud",
    "pledge": "Digital Volunteers: Nordvik Cloud",
    "mentorship": "DV-1",
    "completed_on": "2026-11-25",
    "indicators": {
        "smes_supported": 1,
        "mentor_hours": 3.5,
        "employees_upskilled": 4,
        "digital_intensity_uplift": 2,
    },
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry") / "entries.sqlite3")
    reg.start()
    yield reg
    reg.stop()


def post(
    registry: Registry, body: Any, key: str | None, token: str = TOKEN
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(
        registry.url + "/v1/entries", json.dumps(body).encode(), headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def stored(registry: Registry, key: str) -> list[dict[str, Any]]:
    return [e for e in registry.entries() if e["key"] == key]


def test_an_entry_is_stored_once_per_key(registry: Registry) -> None:
    status, first = post(registry, ENTRY, "k-once")
    assert status == 201 and first["duplicate"] is False and first["id"].startswith("DSJC-")
    status, again = post(registry, ENTRY, "k-once")
    assert (status, again) == (200, {"id": first["id"], "duplicate": True})
    assert [e["entry"] for e in stored(registry, "k-once")] == [ENTRY]
    changed = {**ENTRY, "mentorship": "DV-2"}
    status, clash = post(registry, changed, "k-once")
    assert status == 409 and "different entry" in clash["error"]


@pytest.mark.parametrize(
    ("body", "key", "token", "status", "message"),
    [
        (ENTRY, None, TOKEN, 400, "Idempotency-Key"),
        (ENTRY, "k-auth", "wrong", 401, "bearer token"),
        ({**ENTRY, "completed_on": "soon"}, "k-date", TOKEN, 400, "'completed_on'"),
        ({**ENTRY, "pledger": ""}, "k-pledger", TOKEN, 400, "'pledger'"),
        (
            {**ENTRY, "indicators": {**ENTRY["indicators"], "mentor_hours": -1}},  # type: ignore[dict-item]
            "k-hours",
            TOKEN,
            400,
            "'indicators.mentor_hours'",
        ),
        ([1, 2], "k-list", TOKEN, 400, "JSON object"),
    ],
)
def test_bad_requests_are_refused_with_a_message_naming_the_problem(
    registry: Registry, body: Any, key: str | None, token: str, status: int, message: str
) -> None:
    got, answer = post(registry, body, key, token)
    assert got == status and message in answer["error"]
    assert key is None or stored(registry, key) == []


def test_ten_concurrent_posts_of_one_key_make_one_record(registry: Registry) -> None:
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: post(registry, ENTRY, "k-race"), range(10)))
    assert sorted(status for status, _ in answers) == [200] * 9 + [201]
    assert len({answer["id"] for _, answer in answers}) == 1
    assert len(stored(registry, "k-race")) == 1


def test_a_taken_port_is_a_clear_error(registry: Registry, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "digivol", "registry", "serve"]
    done = subprocess.run(
        [*command, "--port", str(registry.port), "--db", str(tmp_path / "x.sqlite3")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{registry.port}" in done.stderr
    assert "Traceback" not in done.stderr

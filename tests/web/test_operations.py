"""What operations watch: liveness, readiness of each part, request metrics by route."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from tests.web.conftest import FakeGateway, login
from web import observability


def test_the_process_is_alive_while_it_answers_whatever_its_parts_say(
    client: FlaskClient, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway, "health", lambda: {"temporal": "error: down", "worker": "ok"})
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}


def test_ready_says_ready_and_nothing_more(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_not_ready_tells_the_log_which_part_is_missing_and_the_caller_nothing_else(
    client: FlaskClient,
    gateway: FakeGateway,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = {"temporal": "unreachable: ConnectError", "worker": "no worker polling"}
    monkeypatch.setattr(gateway, "health", lambda: health)
    with caplog.at_level(logging.WARNING, logger="web.observability"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready"}
    assert "not ready: temporal unreachable: ConnectError, worker no worker polling" in caplog.text


def test_a_broken_database_is_not_ready_without_naming_the_driver_error(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def execute(self, *_: object) -> None:
            raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    monkeypatch.setattr(observability, "db", Broken)
    with caplog.at_level(logging.WARNING, logger="web.observability"):
        response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (503, {"status": "not ready"})
    assert "OperationalError" not in response.get_data(as_text=True)
    assert "not ready: database error: OperationalError" in caplog.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_requests_are_counted_and_timed_by_route_never_by_path(client: FlaskClient) -> None:
    def count(text: str, line: str) -> float:
        for row in text.splitlines():
            if row.startswith(line):
                return float(row.rsplit(" ", 1)[1])
        return 0.0

    inbox = 'digivol_http_requests_total{endpoint="coordinator.inbox",method="GET",status="200"}'
    before = count(client.get("/metrics").get_data(as_text=True), inbox)
    login(client, "coordinator@demo.eu")
    client.get("/inbox")
    client.get("/inbox?stage=matching")
    client.get("/requests/987654")  # no such request: counted under its route, not its id
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.mimetype == "text/plain"
    text = metrics.get_data(as_text=True)
    assert count(text, inbox) == before + 2
    assert 'endpoint="mentorships.detail",method="GET",status="404"' in text
    # Names, labels and comments, without the samples' values: a value is a float, and a
    # creation timestamp once read 1.79668911987654e+09 (CI saw it).
    labelled = "\n".join(
        row if row.startswith("#") else row.rsplit(" ", 1)[0] for row in text.splitlines()
    )
    assert "987654" not in labelled and "coordinator@demo.eu" not in text
    assert 'digivol_http_request_seconds_bucket{endpoint="coordinator.inbox"' in text

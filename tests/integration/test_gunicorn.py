"""The web app as production runs it: gunicorn with several processes, settings from the
environment, metrics added up across processes, a graceful stop on SIGTERM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mentorship.store.db import migrate
from tests.processes import Gunicorn, get

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


def test_gunicorn_serves_the_app_and_stops_gracefully(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    migrate(url)
    server = Gunicorn(url, tmp_path, workers=2, threads=2)
    base = server.base
    try:
        status, body = server.answering()
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get(base + "/readyz")
        assert (status, json.loads(body)) == (503, {"status": "not ready"})  # no Temporal here
        for _ in range(6):  # spread over both processes
            assert get(base + "/login")[0] == 200
        status, body = get(base + "/metrics")
        line = 'digivol_http_requests_total{endpoint="auth.login",method="GET",status="200"} 6.0'
        assert status == 200 and line in body.decode()
        get(base + "/account/reset/Reset-Token-4711?next=x")  # a token in the path
        get(base + "/inbox?q=Boulangerie+Dupont")  # what a coordinator searched
    finally:
        output = server.stop()
    assert server.proc.returncode == 0, output
    assert "Shutting down: Master" in output
    access = [json.loads(row) for row in output.splitlines() if '"logger": "web.access"' in row]
    by_route = {a["route"]: a for a in access}
    reset, inbox = by_route["/account/reset/<signed>"], by_route["/inbox"]
    assert (reset["endpoint"], reset["method"], reset["status"]) == ("account.reset", "GET", 410)
    assert (inbox["endpoint"], inbox["status"]) == ("coordinator.inbox", 302)  # to sign in
    assert len([a for a in access if a["endpoint"] == "auth.login"]) == 6 + 1  # the redirect
    assert "Reset-Token-4711" not in output and "Boulangerie" not in output
    assert not [a for a in access if "?" in a["message"]]

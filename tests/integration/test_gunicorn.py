"""The web app as production runs it: gunicorn with several processes, settings from the
environment, metrics added up across processes, a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mentorship.db import migrate
from scripted.processes import clean_environment, free_ports

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_gunicorn_serves_the_app_and_stops_gracefully(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    migrate(url)
    port, nowhere, _ = free_ports()
    env = {
        **clean_environment(),
        "DATABASE_URL": url,
        "DIGIVOL_DATA_DIR": str(tmp_path),
        "DIGIVOL_SECRET_KEY": "test-secret",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{nowhere}",  # no Temporal: the web still serves
        "DIGIVOL_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), f"--bind=127.0.0.1:{port}", "--workers=2", "--threads=2",
         "--graceful-timeout=10", "web.wsgi:app"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = get(base + "/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "gunicorn never answered"
                time.sleep(0.2)
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get(base + "/readyz")
        ready = json.loads(body)
        assert status == 503 and ready["database"] == "ok" and ready["temporal"] != "ok"
        for _ in range(6):  # spread over both processes
            assert get(base + "/login")[0] == 200
        status, body = get(base + "/metrics")
        line = 'digivol_http_requests_total{endpoint="auth.login",method="GET",status="200"} 6.0'
        assert status == 200 and line in body.decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Shutting down: Master" in output

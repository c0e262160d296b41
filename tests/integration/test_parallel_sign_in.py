"""Twenty wrong passwords for one account, sent at once to a real server process (gunicorn,
several processes and threads): the count and the check are one step
(accounts.take_attempt), so exactly the limit of five are checked and the rest are refused,
on SQLite and PostgreSQL. Before, eleven or twelve were checked (issue 27)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest

from mentorship.accounts import ACCOUNT_LIMIT
from scripted.browser import Browser, Form
from scripted.processes import clean_environment, free_ports

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

GUESSES = 20


def _serving(database_url: str, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    port, nowhere, _ = free_ports()
    env = {
        **clean_environment(),
        "DATABASE_URL": database_url,
        "DIGIVOL_DATA_DIR": str(tmp_path),
        "DIGIVOL_SECRET_KEY": "test-secret",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{nowhere}",  # no Temporal: signing in needs none
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), f"--bind=127.0.0.1:{port}", "--workers=2", "--threads=10",
         "web.wsgi:app"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return proc, base
        except OSError:
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "gunicorn never answered"
            time.sleep(0.2)


def test_twenty_parallel_guesses_check_no_more_passwords_than_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    proc, base = _serving(database_url, tmp_path)
    try:
        guessers = [Browser(base) for _ in range(GUESSES)]
        forms: list[Form] = [b.get("/login").form("/login") for b in guessers]
        together = Barrier(GUESSES)

        def guess(n: int) -> int:
            together.wait()  # all at once
            answer = guessers[n].submit(forms[n], email="sme@demo.eu", password=f"guess {n}")
            return answer.status

        with ThreadPoolExecutor(GUESSES) as pool:
            statuses = list(pool.map(guess, range(GUESSES)))
        # The right password is refused now too: the account is locked.
        right = Browser(base)
        page = right.submit(right.get("/login").form("/login"), email="sme@demo.eu",
                            password="digivol-demo")  # fmt: skip
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    checked, refused = statuses.count(401), statuses.count(429)
    assert (checked, refused) == (ACCOUNT_LIMIT.failures, GUESSES - ACCOUNT_LIMIT.failures), (
        statuses,
        output[-2000:],
    )
    assert page.status == 429

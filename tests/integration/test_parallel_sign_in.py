"""Twenty wrong passwords for one account, sent at once to a real server process (gunicorn,
several processes and threads): the count and the check are one step
(throttle.take_attempt), so exactly the limit of five are checked and the rest are refused,
on SQLite and PostgreSQL. Before, eleven or twelve were checked (issue 27)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest

from mentorship.services.throttle import ACCOUNT_LIMIT
from scripted.browser import Browser, Form
from tests.processes import Gunicorn

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

GUESSES = 20


def test_twenty_parallel_guesses_check_no_more_passwords_than_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    server = Gunicorn(database_url, tmp_path, workers=2, threads=10)
    base = server.base
    try:
        server.answering()
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
        output = server.stop()
    checked, refused = statuses.count(401), statuses.count(429)
    assert (checked, refused) == (ACCOUNT_LIMIT.failures, GUESSES - ACCOUNT_LIMIT.failures), (
        statuses,
        output[-2000:],
    )
    assert page.status == 429

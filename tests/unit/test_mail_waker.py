"""MailWaker: activity threads ask for a wake without waiting; a burst of asks costs two
wakes, the last one after the last ask; a failed wake is logged and the next ask works."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from temporal_client.mail import MailWaker


def test_a_burst_of_asks_from_threads_makes_two_wakes_at_most_the_last_after_the_last_ask() -> None:
    wakes: list[float] = []
    asked: list[float] = []
    took: list[float] = []

    async def wake() -> None:
        wakes.append(time.monotonic())
        await asyncio.sleep(0.2)  # an RPC under way

    async def scenario() -> None:
        waker = MailWaker(wake, asyncio.get_running_loop())

        def step() -> None:  # as an activity's thread, once its transaction committed
            began = time.monotonic()
            asked.append(began)
            waker()
            took.append(time.monotonic() - began)

        threads = [threading.Thread(target=step) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            await asyncio.to_thread(thread.join)
        await asyncio.sleep(0.6)

    asyncio.run(scenario())
    assert max(took) < 0.05  # no step waited for a wake
    assert 1 <= len(wakes) <= 2  # not one a step
    assert wakes[-1] >= max(asked)  # the last wake tells of the last step's mail too


def test_a_failed_wake_is_logged_not_raised_and_the_next_ask_wakes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = [RuntimeError("Temporal is away"), None]
    done = 0

    async def wake() -> None:
        nonlocal done
        answer = answers[done]
        done += 1
        if answer is not None:
            raise answer

    async def scenario() -> None:
        waker = MailWaker(wake, asyncio.get_running_loop())
        waker()
        await asyncio.sleep(0.1)
        waker()
        await asyncio.sleep(0.1)

    with caplog.at_level(logging.WARNING, logger="digivol.mail"):
        asyncio.run(scenario())
    assert done == 2
    assert "could not wake the mail outbox: Temporal is away" in caplog.text


def test_an_ask_after_the_loop_closed_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def wake() -> None:
        raise AssertionError("no wake after the worker stopped")

    loop = asyncio.new_event_loop()
    waker = MailWaker(wake, loop)
    loop.close()
    with caplog.at_level(logging.WARNING, logger="digivol.mail"):
        waker()  # a step committing while the worker stops: no exception into the step
    assert "the worker is stopping" in caplog.text

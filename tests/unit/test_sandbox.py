"""The bounded process pool: results come back, and runaway calls cost a worker, not the caller."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from mentorship.adapters.sandbox import (
    BoundedPool,
    SandboxCrashed,
    SandboxError,
    SandboxMemoryError,
    SandboxTimeout,
)

MEMORY = 512 * 1024 * 1024


# The calls run in worker processes, which import them from this module by name.
def add(a: int, b: int) -> int:
    return a + b


def sleep_for(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def allocate(size: int) -> int:
    return len(bytearray(size))


def die_by_signal() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail(message: str) -> None:
    raise LookupError(message)


def fail_to_warm_up() -> None:
    raise RuntimeError("the fonts are missing")


@pytest.fixture(scope="module")
def pool() -> Iterator[BoundedPool]:
    with BoundedPool(timeout_seconds=1.0, memory_bytes=MEMORY, processes=2) as running:
        yield running


def test_results_come_back(pool: BoundedPool) -> None:
    assert pool.call(add, 2, 3) == 5
    assert pool.call(sleep_for, 0.01) == 0.01


def test_a_warm_worker_is_reused(pool: BoundedPool) -> None:
    pool.call(os.getpid)
    started = time.perf_counter()
    pids = {pool.call(os.getpid) for _ in range(20)}
    assert len(pids) <= 2 and os.getpid() not in pids
    assert time.perf_counter() - started < 1.0  # no process start per call


def test_the_call_s_own_exception_reaches_the_caller_with_its_traceback(pool: BoundedPool) -> None:
    with pytest.raises(LookupError, match="no such mentor") as caught:
        pool.call(fail, "no such mentor")
    assert "raised in the sandbox process" in caught.value.__notes__[0]
    assert pool.call(add, 1, 1) == 2


def test_a_call_past_the_timeout_is_killed_and_the_next_call_works(pool: BoundedPool) -> None:
    started = time.perf_counter()
    with pytest.raises(SandboxTimeout, match="longer than 1 s"):
        pool.call(sleep_for, 30)
    assert time.perf_counter() - started < 5
    assert pool.call(add, 20, 22) == 42


def test_a_call_beyond_the_memory_limit_raises_and_the_next_call_works(pool: BoundedPool) -> None:
    with pytest.raises(SandboxMemoryError, match="512 MiB"):
        pool.call(allocate, 2 * MEMORY)
    assert pool.call(allocate, 32 * 1024 * 1024) == 32 * 1024 * 1024


def test_a_worker_killed_by_the_os_gives_a_clear_error(pool: BoundedPool) -> None:
    with pytest.raises(SandboxCrashed, match="killed by SIGKILL"):
        pool.call(die_by_signal)
    assert pool.call(add, 1, 2) == 3


def test_calls_from_several_threads_each_get_their_own_result(pool: BoundedPool) -> None:
    results: dict[int, int] = {}

    def caller(n: int) -> None:
        results[n] = pool.call(add, n, 1000)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert results == {n: n + 1000 for n in range(12)}


class Interrupted(Exception):
    pass


def interrupt(thread: threading.Thread) -> None:
    """Raise Interrupted in ``thread`` as soon as it runs Python again: how Temporal cancels a
    sync activity in its thread."""
    assert thread.ident is not None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(Interrupted)
    )


def call_in_thread(pool: BoundedPool, fn: object, *args: object) -> tuple[threading.Thread, list]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(pool.call(fn, *args))  # type: ignore[arg-type]
        except Interrupted as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_call_interrupted_in_its_thread_never_hands_its_result_to_the_next_call() -> None:
    with BoundedPool(timeout_seconds=5, memory_bytes=MEMORY) as pool:
        pool.call(add, 0, 0)  # started and warm
        thread, outcome = call_in_thread(pool, sleep_for, 0.5)
        time.sleep(0.2)
        interrupt(thread)  # it leaves once the sleep's reply arrives, without reading it
        thread.join(timeout=5)
        assert isinstance(outcome[0], Interrupted)
        assert pool.call(add, 1, 2) == 3  # its own result, not the 0.5 left in the pipe


def test_a_waiting_call_interrupted_leaves_the_free_worker_to_the_next_in_line() -> None:
    with BoundedPool(timeout_seconds=5, memory_bytes=MEMORY) as pool:
        pool.call(add, 0, 0)
        busy, _ = call_in_thread(pool, sleep_for, 0.5)
        time.sleep(0.1)
        first, first_outcome = call_in_thread(pool, add, 1, 1)  # waits for the only worker
        time.sleep(0.1)
        second, second_outcome = call_in_thread(pool, add, 2, 2)  # waits behind it
        time.sleep(0.1)
        interrupt(first)  # woken for the worker, it leaves without taking it
        for thread in (busy, first, second):
            thread.join(timeout=10)
        assert isinstance(first_outcome[0], Interrupted)
        assert second_outcome == [4]


def test_a_function_that_cannot_be_pickled_is_refused_before_anything_runs(
    pool: BoundedPool,
) -> None:
    with pytest.raises(TypeError, match="top-level function"):
        pool.call(lambda: 1)


def test_a_worker_is_replaced_after_its_quota_of_calls() -> None:
    with BoundedPool(timeout_seconds=5, memory_bytes=MEMORY, calls_per_process=2) as pool:
        first = [pool.call(os.getpid) for _ in range(2)]
        assert first[0] == first[1]
        assert pool.call(os.getpid) != first[0]


def test_a_worker_that_cannot_start_says_why() -> None:
    with (
        BoundedPool(timeout_seconds=5, memory_bytes=MEMORY, warm_up=fail_to_warm_up) as pool,
        pytest.raises(SandboxCrashed, match="RuntimeError: the fonts are missing"),
    ):
        pool.call(add, 1, 2)


def test_a_closed_pool_refuses_calls() -> None:
    pool = BoundedPool(timeout_seconds=5, memory_bytes=MEMORY)
    pool.close()
    with pytest.raises(SandboxError, match="closed"):
        pool.call(add, 1, 2)


def _make_temporary_file() -> str:
    import tempfile

    handle, path = tempfile.mkstemp()
    os.close(handle)
    return path


def test_a_workers_temporary_files_go_when_the_worker_goes() -> None:
    pool = BoundedPool(timeout_seconds=10, memory_bytes=512 * 1024 * 1024)
    path = pool.call(_make_temporary_file)
    assert os.path.exists(path) and "digivol-sandbox-" in path
    pool.close()
    assert not os.path.exists(path)

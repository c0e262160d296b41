"""A small pool of warm worker processes that run one call at a time within time and memory bounds.

Used to render documents: a renderer that loops, or swells on hostile input, costs one worker
process, never the caller. Workers come from a ``forkserver`` (never ``fork``: the callers hold
threads and a Temporal client), preloaded with the modules the calls need, so a replacement
worker is ready in milliseconds and a call costs about what the function costs in-process.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import pickle
import resource
import shutil
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

R = TypeVar("R")

# Measured on the development machine with WeasyPrint preloaded: a spawned worker is ready after
# ~900 ms, a worker forked from a preloaded forkserver after ~12 ms (the server itself costs the
# ~900 ms once per process). "fork" is ruled out: it would copy the caller's threads' locks.
START_METHOD = "forkserver"


class SandboxError(Exception):
    """The sandboxed call could not complete; the message says why."""


class SandboxTimeout(SandboxError):
    """The call ran past its time limit; its worker process was killed and replaced."""


class SandboxMemoryError(SandboxError):
    """The call needed more memory than its worker may have; the worker was replaced."""


class SandboxCrashed(SandboxError):
    """The worker process died during the call (a signal, the OOM killer, a crash in C code)."""


class BoundedPool:
    """A fixed number of warm worker processes; each call runs in one, bounded in time and memory.

    Args:
        timeout_seconds: how long one call may run in its worker.
        memory_bytes: the address-space limit (RLIMIT_AS) of each worker.
        processes: how many calls may run at once; further callers wait for a free worker.
        preload: modules each worker imports before taking calls (and the forkserver too, when
            this pool is the one to start it), so no call pays for the imports.
        warm_up: an optional picklable top-level function each worker runs once before taking
            calls, e.g. one small render, so caches are warm for the first real call.
        start_timeout_seconds: how long a new worker may take to become ready.
        calls_per_process: a worker is retired after this many calls, so slow leaks in the
            called code never accumulate up to the memory limit.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float,
        memory_bytes: int,
        processes: int = 1,
        preload: Sequence[str] = (),
        warm_up: Callable[[], object] | None = None,
        start_timeout_seconds: float = 60.0,
        calls_per_process: int = 500,
    ) -> None:
        if timeout_seconds <= 0 or start_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if memory_bytes < 64 * 1024 * 1024:
            raise ValueError("memory_bytes must be at least 64 MiB: Python alone needs that")
        if processes < 1 or calls_per_process < 1:
            raise ValueError("processes and calls_per_process must be at least 1")
        self.timeout_seconds = timeout_seconds
        self.memory_bytes = memory_bytes
        self._preload = tuple(preload)
        self._warm_up = warm_up
        self._start_timeout = start_timeout_seconds
        self._calls_per_process = calls_per_process
        self._context = multiprocessing.get_context(START_METHOD)
        if self._preload:
            # Only effective if the forkserver is not running yet; workers import the modules
            # themselves anyway, so this is a speed-up, never a requirement.
            self._context.set_forkserver_preload(list(self._preload))  # type: ignore[attr-defined]
        self._condition = threading.Condition()
        self._closed = False
        self._idle: list[_Worker] = [self._start_worker() for _ in range(processes)]

    def call(self, fn: Callable[..., R], *args: Any) -> R:
        """Run ``fn(*args)`` in a worker and return its result; its exceptions are re-raised.

        Raises:
            SandboxTimeout: the call ran longer than ``timeout_seconds``.
            SandboxMemoryError: the call exceeded ``memory_bytes``.
            SandboxCrashed: the worker died during the call.
            SandboxError: the pool is closed, or the result could not be sent back.
            TypeError: ``fn`` or the arguments cannot be pickled.
        """
        try:
            request = pickle.dumps((fn, args))
        except Exception as exc:
            raise TypeError(f"a sandboxed call needs a top-level function: {exc}") from exc
        worker = self._check_out()
        try:
            return worker.run(request, self.timeout_seconds, self._start_timeout)
        finally:
            self._check_in(worker)

    def close(self) -> None:
        """Stop the idle workers now and the busy ones when their calls return."""
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            self._condition.notify_all()
        for worker in idle:
            worker.stop()

    def __enter__(self) -> BoundedPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._context, self.memory_bytes, self._preload, self._warm_up)
        # A failed start must not lose the slot, or callers would wait forever: the next call
        # on this worker retries the start and reports the failure.
        with contextlib.suppress(Exception):
            worker.start()
        return worker

    def _check_out(self) -> _Worker:
        with self._condition:
            while not self._idle and not self._closed:
                # Re-checked every second: a caller woken for a free worker may leave without
                # it (an exception raised into its thread, as Temporal does to cancel a sync
                # activity), and the wake-up would otherwise be lost to everyone waiting.
                self._condition.wait(timeout=1.0)
            if self._closed:
                raise SandboxError("the sandbox pool is closed")
            return self._idle.pop()

    def _check_in(self, worker: _Worker) -> None:
        # A call left before its reply came (an exception raised into the caller's thread):
        # that reply must never reach the next call, so the worker goes.
        if worker.broken or worker.owes_reply or worker.calls >= self._calls_per_process:
            worker.stop()
            # Started outside the lock: other callers keep using the other workers meanwhile.
            worker = self._start_worker()
        with self._condition:
            if not self._closed:
                self._idle.append(worker)
                self._condition.notify()
                return
        worker.stop()


class _Worker:
    """The parent's handle on one worker process and the pipe to it."""

    def __init__(
        self,
        context: BaseContext,
        memory_bytes: int,
        preload: tuple[str, ...],
        warm_up: Callable[[], object] | None,
    ) -> None:
        self._memory_bytes = memory_bytes
        # The worker's own temporary directory, removed by the parent once the worker is gone:
        # a worker that is killed cannot clean up its temporary files (WeasyPrint's fonts).
        self._tmpdir = tempfile.mkdtemp(prefix="digivol-sandbox-")
        self._connection, child_end = context.Pipe(duplex=True)
        self._process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child_end, memory_bytes, preload, warm_up, self._tmpdir),
            name="sandbox-worker",
            daemon=True,  # never outlives the caller, even if close() is never called
        )
        self._child_end: Connection | None = child_end
        self.ready = False
        self.broken = False
        self.owes_reply = False  # a request was sent and its reply not read yet
        self.calls = 0

    def start(self) -> None:
        """Start the process; it imports and warms up while the caller goes on."""
        if self._child_end is None:
            return
        self._process.start()
        # Our copy of the child's end must go, or a dead child would never read as EOF.
        self._child_end.close()
        self._child_end = None

    def run(self, request: bytes, timeout: float, start_timeout: float) -> Any:
        if self._child_end is not None:
            try:
                self.start()
            except Exception as exc:
                self.broken = True
                raise SandboxCrashed(f"the sandbox process could not be started: {exc}") from exc
        if not self.ready:
            status, detail = self._receive(start_timeout, "to start")
            if status != "ready":
                self.broken = True
                raise SandboxCrashed(f"the sandbox process failed to start: {detail}")
            self.ready = True
        self.calls += 1
        self.owes_reply = True
        try:
            self._connection.send_bytes(request)
        except OSError as exc:
            self.broken = True
            raise SandboxCrashed(f"the sandbox process is gone: {exc}") from exc
        reply = self._receive(timeout, "for the call")
        self.owes_reply = False
        status = reply[0]
        if status == "ok":
            return reply[1]
        if status == "memory":
            self.broken = True  # a MemoryError may have left the worker half-initialised
            raise SandboxMemoryError(
                f"the call needed more than its memory limit of {self._memory_bytes >> 20} MiB"
            )
        if status == "error":
            raised, remote_traceback = reply[1], reply[2]
            if isinstance(raised, BaseException):
                raised.add_note(f"raised in the sandbox process:\n{remote_traceback}")
                raise raised
            raise SandboxError(f"the call failed in the sandbox process:\n{remote_traceback}")
        self.broken = True
        raise SandboxError(f"unexpected reply from the sandbox process: {status!r}")

    def _receive(self, timeout: float, purpose: str) -> tuple[Any, ...]:
        # Waiting on the process sentinel too: a worker killed by the OS wakes us at once.
        ready = wait([self._connection, self._process.sentinel], timeout)
        if not ready:
            self.broken = True
            self._kill()
            raise SandboxTimeout(f"the sandbox process took longer than {timeout:g} s {purpose}")
        if self._connection.poll():
            try:
                data = self._connection.recv_bytes()
            except (EOFError, OSError):
                pass  # the process died: described below
            else:
                try:
                    reply = pickle.loads(data)
                except Exception as exc:
                    raise SandboxError(f"the sandbox result could not be read: {exc}") from exc
                assert isinstance(reply, tuple)
                return reply
        self.broken = True
        self._process.join(timeout=5)
        raise SandboxCrashed(f"the sandbox process died {purpose}: {self._exit_description()}")

    def _exit_description(self) -> str:
        code = self._process.exitcode
        if code is None:
            return "it closed its pipe but is still running"
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (the kernel's OOM killer sends this)" if -code == signal.SIGKILL else ""
            return f"killed by {name}{hint}"
        return f"exit status {code}"

    def _kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)

    def stop(self) -> None:
        """Ask the worker to exit; kill it if it does not; remove its temporary files."""
        if self._child_end is not None:  # never started
            self._child_end.close()
            self._connection.close()
        else:
            if not self.broken:
                with contextlib.suppress(OSError):  # already gone: nothing to ask
                    self._connection.send_bytes(pickle.dumps(None))
                self._process.join(timeout=1)
            self._kill()
            self._connection.close()
        shutil.rmtree(self._tmpdir, ignore_errors=True)


def _serve(
    connection: Connection,
    memory_bytes: int,
    preload: tuple[str, ...],
    warm_up: Callable[[], object] | None,
    tmpdir: str,
) -> None:
    """The worker's loop: limit itself, import, warm up, then run calls until told to stop."""
    # Ctrl-C is for the parent, which stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["TMPDIR"] = tempfile.tempdir = tmpdir
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        for name in preload:
            importlib.import_module(name)
        if warm_up is not None:
            warm_up()
    except BaseException as exc:
        connection.send_bytes(pickle.dumps(("failed", f"{type(exc).__name__}: {exc}")))
        return
    connection.send_bytes(pickle.dumps(("ready", os.getpid())))
    while True:
        try:
            data = connection.recv_bytes()
        except (EOFError, OSError):
            return  # the parent is gone
        reply = _run(data)
        if reply is None:
            return
        connection.send_bytes(reply)
        if reply == _MEMORY_REPLY:
            return  # the parent replaces us; exiting frees whatever the failed call held


_MEMORY_REPLY = pickle.dumps(("memory",))


def _run(data: bytes) -> bytes | None:
    """Run one pickled call and return the pickled reply (None: stop serving)."""
    try:
        request = pickle.loads(data)
        if request is None:
            return None
        fn, args = request
        result = fn(*args)
    except MemoryError:
        return _MEMORY_REPLY
    except BaseException as exc:
        return _error_reply(exc)
    try:
        return pickle.dumps(("ok", result))
    except MemoryError:
        return _MEMORY_REPLY
    except Exception as exc:
        return _error_reply(SandboxError(f"the result could not be pickled: {exc}"))


def _error_reply(exc: BaseException) -> bytes:
    remote_traceback = "".join(traceback.format_exception(exc))
    # SystemExit, KeyboardInterrupt… would mean something else in the caller.
    sent = exc if isinstance(exc, Exception) else SandboxError(f"the call ended with {exc!r}")
    try:
        return pickle.dumps(("error", sent, remote_traceback))
    except Exception:
        return pickle.dumps(("error", None, remote_traceback))

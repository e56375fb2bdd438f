"""Extraction on a Dask distributed cluster; the caller (the parent) writes to the store.

Given a scheduler address, tasks go to that cluster: documents travel as bytes, so its
workers need no shared file system, only the nianbao package installed. Without one, a
local cluster is started for the run: ``workers`` worker processes of one thread each,
each under a nanny. Extraction is pure Python and holds the GIL, so threads of one
process would not add up; processes do. The local workers are held to the same bounds as
the process pool's: an address-space cap per worker, and a worker whose task overruns its
time is restarted (a running task cannot be cancelled on a worker, only its process ended),
so a document that hangs costs its own time and no more.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Iterator

from distributed import WorkerPlugin

Result = tuple[object, bool, object]


class AddressSpaceCap(WorkerPlugin):
    """A worker plugin capping the worker's address space (``RLIMIT_AS``), as the process pool's workers are.

    Registered with the scheduler, it runs on every worker, and on each restarted one.
    """

    name = "nianbao-address-space"

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb

    def setup(self, worker=None):
        import resource
        limit = self.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class DaskEngine:
    """A connection to a Dask cluster, or a local cluster of its own, that extracts documents.

    One engine may run several batches (:meth:`run`) and is closed once (a context manager).
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, memory_mb: int | None = None):
        from distributed import Client
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            self.cluster = _local_cluster(max(1, workers))
            try:
                self.client = Client(self.cluster)
                if memory_mb:
                    self.client.register_plugin(AddressSpaceCap(memory_mb))
            except BaseException:
                self.cluster.close()
                raise
        self.memory_mb = memory_mb if self.local else None  # a remote cluster's workers keep their own bounds

    @property
    def local(self) -> bool:
        """Whether the workers are this machine's own processes (they read files by path, and may be restarted)."""
        return self.cluster is not None

    def threads(self) -> int:
        return sum(self.client.nthreads().values())

    def worker_pids(self) -> dict[str, int]:
        """Worker address → its process id."""
        import os
        return self.client.run(os.getpid)

    def run(self, tasks: Iterable[tuple[object, tuple]], timeout: float | None = None,
            ready: Callable[[], bool] | None = None, in_flight: int | None = None) -> Iterator[list[Result]]:
        """Yield lists of ``(key, ok, record or error)`` (those that ended together) as the cluster extracts.

        ``tasks``: ``(key, (path, data, name, extractor))`` as for :func:`nianbao.ingest.worker.extract_task`.
        A task past ``timeout`` seconds is reported failed; on a local cluster its worker is
        restarted, on a remote one it is cancelled and the batch goes on without it.
        ``ready``: while it returns False no task is submitted (the writer is behind).
        """
        from distributed import wait

        from .pool import describe, memory_message, timeout_message
        from .worker import extract_task

        # no more in flight than threads: a task's clock starts at its submission, and a worker restarted
        # for an overrunning task holds no other task that would fail with it
        limit = in_flight or max(1, self.threads())
        todo = iter(tasks)
        running: dict = {}  # future → (key, submitted at)
        exhausted = False
        try:
            while True:
                while not exhausted and len(running) < limit and (ready is None or ready()):
                    nxt = next(todo, None)
                    if nxt is None:
                        exhausted = True
                        break
                    key, (path, data, name, extractor) = nxt
                    if data is None and not self.local:  # remote workers may not see this file system
                        with open(path, "rb") as fh:
                            data = fh.read()
                    if data is not None:
                        path = None
                    fut = self.client.submit(extract_task, path, data, name, extractor, pure=False,
                                             key=f"nianbao-{time.monotonic_ns()}")
                    running[fut] = (key, time.monotonic())
                if not running:
                    if exhausted:
                        return
                    time.sleep(0.05)  # the writer is behind: let it catch up
                    continue
                wait_for = None
                if timeout:
                    wait_for = max(0.05, min(s for _, s in running.values()) + timeout - time.monotonic())
                if not exhausted and ready is not None and not ready():
                    wait_for = min(wait_for or 0.2, 0.2)  # look again soon whether to submit
                done = _wait_first(wait, list(running), wait_for)
                out: list[Result] = []
                finished = [f for f in done if f.status == "finished"]
                values = self.client.gather(finished, errors="skip") if finished else []
                for fut, value in zip(finished, values):
                    out.append((running.pop(fut)[0], True, value))
                for fut in done:
                    if fut not in running:
                        continue
                    key = running.pop(fut)[0]
                    exc = fut.exception() if fut.status == "error" else None
                    out.append((key, False, _failure(exc, fut.status, self.memory_mb, describe, memory_message)))
                if timeout:
                    now = time.monotonic()
                    late = [f for f, (_, s) in running.items() if now - s >= timeout]
                    if late:
                        self._drop(late)
                        for fut in late:
                            out.append((running.pop(fut)[0], False, timeout_message(timeout)))
                if out:
                    yield out
        finally:
            if running:  # an abandoned or failed run leaves nothing queued behind it
                try:
                    self.client.cancel(list(running))
                except Exception:  # noqa: BLE001  (the cluster may be gone already)
                    pass

    def _drop(self, futures: list) -> None:
        """Stop overrunning tasks: restart the local workers running them, else cancel them."""
        if self.local:
            keys = {f.key for f in futures}
            busy = [w for w, ks in self.client.processing().items() if keys & set(ks)]
            if busy:
                # the worker is gone before the task is released: nothing else is sent to it meanwhile
                self.client.restart_workers(busy, timeout=60, raise_for_error=False)
        self.client.cancel(futures)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_dask(tasks: Iterable[tuple[object, tuple]], scheduler: str | None = None, workers: int = 2,
             timeout: float | None = None, memory_mb: int | None = None, ready: Callable[[], bool] | None = None,
             in_flight: int | None = None) -> Iterator[list[Result]]:
    """:meth:`DaskEngine.run` on an engine opened for these tasks and closed after them."""
    with DaskEngine(scheduler, workers=workers, memory_mb=memory_mb) as engine:
        yield from engine.run(tasks, timeout=timeout, ready=ready, in_flight=in_flight)


def _local_cluster(workers: int):
    import dask
    from distributed import LocalCluster
    with dask.config.set({
        # a worker that dies ran a document that killed it (a crash, the address-space cap): that
        # document fails at once, as in the process pool, instead of killing three more workers
        "distributed.scheduler.allowed-failures": 0,
        # extraction holds the GIL for seconds: that is no sign of a stuck event loop
        "distributed.admin.tick.limit": "3600s",
    }):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            # loopback only, on a free port: no dashboard, and no fixed port that two runs share
                            dashboard_address=None,
                            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                            # no memory manager: its pause at 80 % could stall a worker for good;
                            # the address-space cap bounds a document instead
                            memory_limit=0, silence_logs=logging.ERROR)


def _failure(exc, status: str, memory_mb, describe, memory_message) -> str:
    if exc is None:
        return f"任务未完成 (task {status})"
    name = type(exc).__name__
    if name == "KilledWorker":
        return "抽取进程崩溃 (worker died)"
    # native libraries say the address-space cap was hit in their own words
    if isinstance(exc, MemoryError) or (memory_mb and any(s in str(exc) for s in (
            "bad_alloc", "failed to map segment", "Cannot allocate memory"))):
        return memory_message(memory_mb)
    return describe(exc)


def _wait_first(wait, futures, seconds):
    from distributed.utils import TimeoutError as DaskTimeout
    try:
        done, _ = wait(futures, timeout=seconds, return_when="FIRST_COMPLETED")
        return done
    except (TimeoutError, DaskTimeout):
        return set()

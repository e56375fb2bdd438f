"""Extraction on a Dask distributed cluster; the caller (the parent) writes to the store.

Given a scheduler address, tasks go to that cluster: documents travel as bytes, so its
workers need no shared file system, only the nianbao package installed. Without one, a
local cluster is started for the run: ``workers`` worker processes of one thread each,
each under a nanny. Extraction is pure Python and holds the GIL, so threads of one
process would not add up; processes do.

The local workers are held to the process pool's bounds. Each worker's address space is
capped. A task past its time is reported failed and its worker restarted (a running task
cannot be cancelled, only its process ended). A worker that dies fails the document it
was running, and only that one: each worker notes which task it is running, so the tasks
that merely waited on it run again elsewhere.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from typing import Callable, Iterable, Iterator

from distributed import WorkerPlugin

Result = tuple[object, bool, object]
RESUBMIT = 3  # times a task that only waited on workers that died is sent again


class LocalWorker(WorkerPlugin):
    """On each worker of a local cluster (and each restarted one): the address-space cap, the
    garbage collector set as in the process pool's workers, and a note of the task running (a
    file per worker, so that it outlives the worker)."""

    name = "nianbao-local-worker"

    def __init__(self, memory_mb: int | None, folder: str):
        self.memory_mb, self.folder = memory_mb, folder
        self.note = None

    def setup(self, worker):
        if self.memory_mb:
            import resource
            limit = self.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from .collector import tune
        tune()  # a worker process does nothing but extract
        self.note = _note_path(self.folder, worker.address)

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" or start == "executing":
            with open(self.note, "w") as fh:
                fh.write(str(key) if finish == "executing" else "")


class DaskEngine:
    """A connection to a Dask cluster, or a local cluster of its own, that extracts documents.

    One engine may run several batches (:meth:`run`) and is closed once (a context manager).
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, memory_mb: int | None = None):
        from distributed import Client
        self.cluster = None
        self.notes = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            self.notes = tempfile.mkdtemp(prefix="nianbao-dask-")
            try:
                self.cluster = _local_cluster(max(1, workers))
                self.client = Client(self.cluster)
                self.client.register_plugin(LocalWorker(memory_mb, self.notes))
            except BaseException:
                self._close_local()
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
        return self.client.run(os.getpid)

    def run(self, tasks: Iterable[tuple[object, tuple]], timeout: float | None = None,
            ready: Callable[[], bool] | None = None, in_flight: int | None = None) -> Iterator[list[Result]]:
        """Yield lists of ``(key, ok, record or error)`` (those that ended together) as the cluster extracts.

        ``tasks``: ``(key, (path, data, name, extractor))`` as for :func:`nianbao.ingest.worker.extract_task`.
        A task past ``timeout`` seconds is reported failed; on a local cluster its worker is
        restarted, on a remote one it is cancelled and the batch goes on without it.
        ``ready``: while it returns False no task is submitted (the writer is behind).
        ``in_flight``: tasks submitted and not ended at most (default: two a worker thread).
        """
        from distributed import wait

        from .pool import describe, memory_message, timeout_message

        slots = max(1, self.threads())
        # a task waits on its worker for the thread to free, not on a round trip to this process
        limit = in_flight or 2 * slots
        todo = iter(tasks)
        # future → [key, started, args, times sent]; in submission order, the order workers take them in
        running: dict = {}
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
                    self._submit(running, key, (path, data, name, extractor), 1)
                if not running:
                    if exhausted:
                        return
                    time.sleep(0.05)  # the writer is behind: let it catch up
                    continue
                _start_clocks(running, slots)
                wait_for = None
                if timeout:
                    first = min(s for _, s, _, _ in running.values() if s is not None)
                    wait_for = max(0.05, first + timeout - time.monotonic())
                if not exhausted and ready is not None and not ready():
                    wait_for = min(wait_for or 0.2, 0.2)  # look again soon whether to submit
                done = _wait_first(wait, list(running), wait_for)
                out: list[Result] = []
                for fut, ok, value in self._collect(done):
                    key, _, args, sent = running.pop(fut)
                    if ok:
                        out.append((key, True, value))
                    elif self._waited_only(fut, value) and sent <= RESUBMIT:
                        self._submit(running, key, args, sent + 1)  # its worker died running another
                    else:
                        out.append((key, False, _failure(value, self.memory_mb, describe, memory_message)))
                if timeout:
                    now = time.monotonic()
                    late = [f for f, (_, s, _, _) in running.items() if s is not None and now - s >= timeout]
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

    def _submit(self, running: dict, key, args: tuple, sent: int) -> None:
        from .worker import extract_task
        fut = self.client.submit(extract_task, *args, pure=False, key=f"nianbao-{time.monotonic_ns()}")
        running[fut] = [key, None, args, sent]

    def _collect(self, done) -> list[tuple[object, bool, object]]:
        """``(future, ok, result or exception)`` of the futures that ended: their results fetched in one go."""
        finished = [f for f in done if f.status == "finished"]
        out = []
        try:
            values = self.client.gather(finished) if finished else []
            out += [(f, True, v) for f, v in zip(finished, values)]
        except Exception:  # noqa: BLE001  one result lost with its worker: fetch them one by one
            for f in finished:
                try:
                    out.append((f, True, f.result()))
                except Exception as exc:  # noqa: BLE001
                    out.append((f, False, exc))
        for f in done:
            if f.status != "finished":
                out.append((f, False, f.exception() if f.status == "error" else f.status))
        return out

    def _waited_only(self, fut, exc) -> bool:
        """Whether a task lost with a local worker was only waiting on it (not the one it was running)."""
        if not self.local or type(exc).__name__ != "KilledWorker":
            return False
        try:
            with open(_note_path(self.notes, exc.last_worker.address)) as fh:
                running = fh.read()
        except OSError:
            return True  # nothing noted: the worker died before it ran anything
        return running != str(fut.key)

    def _drop(self, futures: list) -> None:
        """Stop overrunning tasks: cancelled, and on a local cluster the workers running them restarted."""
        busy = []
        if self.local:
            keys = {f.key for f in futures}
            busy = [w for w, ks in self.client.processing().items() if keys & set(ks)]
        # released first, so that the restart does not send them to another worker; a task that
        # waited on the same worker dies with it, and is sent again
        self.client.cancel(futures)
        if busy:
            self.client.restart_workers(busy, timeout=60, raise_for_error=False)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self._close_local()

    def _close_local(self) -> None:
        try:
            if self.cluster is not None:
                self.cluster.close(timeout=30)
        finally:
            if self.notes:
                shutil.rmtree(self.notes, ignore_errors=True)

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
        # a task on a worker that died is not sent again by the scheduler: run() knows whether
        # it was the one running (it fails, as in the process pool) or one that waited (sent again)
        "distributed.scheduler.allowed-failures": 0,
        # extraction holds the GIL for seconds: that is no sign of a stuck event loop
        "distributed.admin.tick.limit": "3600s",
        # the statistical profiler walks the extracting thread's stack every 10 ms: CPU taken from extraction
        "distributed.worker.profile.enabled": False,
    }):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            # loopback only, on a free port: no dashboard, and no fixed port that two runs share
                            dashboard_address=None,
                            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                            # no memory manager: its pause at 80 % could stall a worker for good;
                            # the address-space cap bounds a document instead
                            memory_limit=0,
                            # a document's failure is reported by ingest, not logged by each worker too
                            silence_logs=logging.CRITICAL)


def _note_path(folder: str, address: str) -> str:
    return os.path.join(folder, re.sub(r"[^0-9A-Za-z.]+", "_", address))


def _failure(exc, memory_mb, describe, memory_message) -> str:
    if not isinstance(exc, BaseException):
        return f"任务未完成 (task {exc})"
    if type(exc).__name__ == "KilledWorker":
        return "抽取进程崩溃 (worker died)"
    # native libraries say the address-space cap was hit in their own words
    if isinstance(exc, MemoryError) or (memory_mb and any(s in str(exc) for s in (
            "bad_alloc", "failed to map segment", "Cannot allocate memory"))):
        return memory_message(memory_mb)
    return describe(exc)


def _start_clocks(running: dict, slots: int) -> None:
    """A task's clock starts when a worker thread is free for it: at most ``slots`` are counted running,
    the oldest first (a worker takes its tasks in the order they were submitted)."""
    started = sum(1 for entry in running.values() if entry[1] is not None)
    if started >= slots:
        return
    now = time.monotonic()
    for entry in running.values():
        if entry[1] is None:
            entry[1] = now
            started += 1
            if started >= slots:
                return


def _wait_first(wait, futures, seconds):
    from distributed.utils import TimeoutError as DaskTimeout
    try:
        done, _ = wait(futures, timeout=seconds, return_when="FIRST_COMPLETED")
        return done
    except (TimeoutError, DaskTimeout):
        return set()

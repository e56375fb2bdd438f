"""Extraction on a Dask distributed cluster; the caller (the parent) writes to the store.

Documents travel as bytes, so workers need no shared file system; only the
nianbao package must be installed on them. Without a scheduler address a
LocalCluster runs in this process (threads), which is what the tests use.
"""
from __future__ import annotations

import time
from typing import Iterable, Iterator


def run_dask(tasks: Iterable[tuple[object, tuple]], scheduler: str | None = None, workers: int = 2,
             timeout: float | None = None, in_flight: int | None = None) -> Iterator[list[tuple[object, bool, object]]]:
    """Yield lists of ``(key, ok, record or error)`` (those that ended together) as a Dask cluster extracts.

    A task past ``timeout`` is reported failed and cancelled (a running task
    cannot be killed on a worker; the batch goes on without waiting for it).
    """
    from distributed import Client, LocalCluster, wait

    from .pool import describe, timeout_message
    from .worker import extract_task

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=1, threads_per_worker=max(1, workers), processes=False,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        # no more in flight than threads: a task's deadline counts from its submission
        limit = in_flight or max(1, sum(client.nthreads().values()) or workers)
        todo = iter(tasks)
        running: dict = {}  # future → (key, submitted at)
        exhausted = False
        while True:
            while not exhausted and len(running) < limit:
                nxt = next(todo, None)
                if nxt is None:
                    exhausted = True
                    break
                key, args = nxt
                path, data, name, extractor = args
                if data is None:  # workers may not see this file system: ship the bytes
                    with open(path, "rb") as fh:
                        data = fh.read()
                fut = client.submit(extract_task, None, data, name, extractor, pure=False, key=f"nianbao-{key}-{time.monotonic_ns()}")
                running[fut] = (key, time.monotonic())
            if not running:
                return
            deadline = None
            if timeout:
                deadline = max(0.05, min(t for _, t in running.values()) + timeout - time.monotonic())
            done, _ = wait(list(running), timeout=deadline, return_when="FIRST_COMPLETED") \
                if deadline is None else _wait(wait, list(running), deadline)
            out = []
            for fut in done:
                key, _ = running.pop(fut)
                if fut.status == "finished":
                    out.append((key, True, fut.result()))
                else:
                    out.append((key, False, describe(fut.exception())))
            if timeout:
                now = time.monotonic()
                for fut, (key, started) in list(running.items()):
                    if now - started >= timeout:
                        running.pop(fut)
                        fut.cancel()
                        out.append((key, False, timeout_message(timeout)))
            if out:
                yield out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _wait(wait, futures, seconds):
    from distributed.utils import TimeoutError as DaskTimeout
    try:
        return wait(futures, timeout=seconds, return_when="FIRST_COMPLETED")
    except (TimeoutError, DaskTimeout):
        return set(), set(futures)

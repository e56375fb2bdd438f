"""A process pool whose tasks have a deadline: a worker that overruns is killed and replaced.

``concurrent.futures.ProcessPoolExecutor`` cannot kill one task (killing a worker
breaks the whole pool), so extraction runs in plain worker processes, one pipe
each. Workers come from a fork server: no re-import per worker, and no fork of a
parent that runs threads (the progress bar).
"""
from __future__ import annotations

import importlib
import multiprocessing as mp
import time
from multiprocessing.connection import wait
from typing import Callable, Iterable, Iterator


def _resolve(name: str) -> Callable:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def describe(exc: BaseException) -> str:
    """A failure as users read it: a SourceError's own (bilingual) message, else the exception type too."""
    if type(exc).__name__ == "SourceError":
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _worker(conn, fn_name: str) -> None:
    fn = _resolve(fn_name)
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        key, args = task
        try:
            result = (key, True, fn(*args))
        except Exception as exc:  # one bad document never stops the worker
            result = (key, False, describe(exc))
        try:
            conn.send(result)
        except Exception as exc:  # an unpicklable result
            conn.send((key, False, f"结果无法传回 (result not transferable): {exc}"))


class _Slot:
    def __init__(self, ctx, fn_name: str):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, fn_name), daemon=True)
        self.proc.start()
        child.close()
        self.key = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_tasks(fn_name: str, tasks: Iterable[tuple[object, tuple]], workers: int = 2,
              timeout: float | None = None) -> Iterator[tuple[object, bool, object]]:
    """Run ``fn(*args)`` for each ``(key, args)``; yield ``(key, ok, result or error message)``.

    Results come in completion order. A task running longer than ``timeout``
    seconds yields ``(key, False, "timeout…")`` and its worker is replaced.
    """
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([fn_name.partition(":")[0]])
    todo = iter(tasks)
    slots = [_Slot(ctx, fn_name) for _ in range(max(1, workers))]
    exhausted = False
    try:
        while True:
            for slot in slots:
                if slot.key is None and not exhausted:
                    nxt = next(todo, None)
                    if nxt is None:
                        exhausted = True
                        break
                    slot.key, args = nxt
                    slot.started = time.monotonic()
                    slot.conn.send((slot.key, args))
            busy = [s for s in slots if s.key is not None]
            if not busy:
                return
            wait_for = None
            if timeout:
                wait_for = max(0.0, min(s.started + timeout for s in busy) - time.monotonic())
            ready = wait([s.conn for s in busy], timeout=wait_for)
            for i, slot in enumerate(slots):
                if slot.key is None:
                    continue
                if slot.conn in ready:
                    try:
                        key, ok, payload = slot.conn.recv()
                    except (EOFError, OSError):
                        code = slot.proc.exitcode if not slot.proc.is_alive() else None
                        key, ok, payload = slot.key, False, f"抽取进程崩溃 (worker died, exit code {code})"
                        slot.stop(kill=True)
                        slots[i] = _Slot(ctx, fn_name)
                    else:
                        slot.key = None
                    yield key, ok, payload
                elif timeout and time.monotonic() - slot.started >= timeout:
                    key = slot.key
                    slot.stop(kill=True)
                    slots[i] = _Slot(ctx, fn_name)
                    yield key, False, f"超时 {timeout:g} 秒 (timed out after {timeout:g} s)"
    finally:
        for slot in slots:
            slot.stop(kill=slot.key is not None)

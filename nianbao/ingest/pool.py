"""A process pool whose tasks are bounded in time and memory: a worker that overruns is killed and replaced.

``concurrent.futures.ProcessPoolExecutor`` cannot kill one task (killing a worker
breaks the whole pool), so extraction runs in plain worker processes, one pipe
each. Workers come from a fork server: no re-import per worker, and no fork of a
parent that runs threads (the progress bar, the web server). Each worker's address
space is capped (``RLIMIT_AS``), so a document that balloons fails alone with reason
``memory`` instead of taking the machine; the defaults are those of folder runs
(:func:`nianbao.sources.limits.limits`).
"""
from __future__ import annotations

import collections
import importlib
import os
import multiprocessing as mp
import resource
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


def timeout_message(seconds: float) -> str:
    return f"超时 {seconds:g} 秒 (timed out after {seconds:g} s)"


def memory_message(mb: int | None) -> str:
    return f"内存超限（上限 {mb} MB）(out of memory: limit {mb} MB)" if mb else "内存不足 (out of memory)"


def _worker(conn, fn_name: str, memory_mb: int | None, nice: int = 0) -> None:
    if nice:
        os.nice(nice)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    fn = _resolve(fn_name)
    from .collector import tune
    tune()  # the worker does nothing else: what is loaded now stays, the rest is short-lived
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
        except MemoryError:
            result = (key, False, memory_message(memory_mb))
        except Exception as exc:  # one bad document never stops the worker
            text = describe(exc)
            # native libraries say the address-space cap was hit in their own words
            if memory_mb and any(s in text for s in ("bad_alloc", "failed to map segment", "Cannot allocate memory")):
                text = memory_message(memory_mb)
            result = (key, False, text)
        try:
            conn.send(result)
        except MemoryError:
            conn.send((key, False, memory_message(memory_mb)))
        except Exception as exc:  # an unpicklable result
            conn.send((key, False, f"结果无法传回 (result not transferable): {exc}"))


class _Slot:
    def __init__(self, ctx, fn_name: str, memory_mb: int | None, nice: int = 0):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, fn_name, memory_mb, nice), daemon=True)
        self.proc.start()
        child.close()
        self.sent: collections.deque = collections.deque()  # (key, args) sent, in the worker's order
        self.started = 0.0  # when the worker began the first of them
        self.undelivered: set = set()  # keys whose sending failed: the worker had died already

    @property
    def key(self):
        """The task the worker is on (None: idle)."""
        return self.sent[0][0] if self.sent else None

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


class Pool:
    """Workers running ``fn(*args)`` for each submitted ``(key, args)``.

    ``poll`` hands out queued tasks to idle workers and returns the results ready
    (``(key, ok, result or error message)``), waiting up to ``wait`` seconds for the
    first. A task past ``timeout`` seconds comes back as a failure and its worker is
    replaced; one that dies (a crash, the kernel's OOM killer) likewise.
    """

    # A task whose arguments pickle to more than this is never sent ahead: a worker blocked sending
    # its result while the parent is blocked sending it a large task would wait for each other forever.
    AHEAD_BYTES = 16 * 1024

    def __init__(self, fn_name: str, workers: int = 2, timeout: float | None = None,
                 memory_mb: int | None = None, nice: int = 0, ahead: bool = False):
        """``nice``: lower the workers' CPU priority (a server's workers yield to the server).

        ``ahead``: send each worker its next (small) task while it works on the current one, so
        that it starts the next at once even when this process is slow to answer (a writer thread
        holding the interpreter); its time limit counts from when it begins."""
        self.fn_name, self.timeout, self.memory_mb, self.nice = fn_name, timeout, memory_mb, nice
        self.depth = 2 if ahead else 1
        self.ctx = mp.get_context("forkserver")
        self.ctx.set_forkserver_preload([fn_name.partition(":")[0]])
        self.slots = [_Slot(self.ctx, fn_name, memory_mb, nice) for _ in range(max(1, workers))]
        self.queue: collections.deque = collections.deque()
        self._redelivered: collections.Counter = collections.Counter()

    def submit(self, key, args: tuple) -> None:
        self.queue.append((key, args))

    @property
    def busy(self) -> int:
        return sum(1 for s in self.slots if s.key is not None)

    @property
    def pending(self) -> int:
        """Tasks not finished: queued, sent or running."""
        return len(self.queue) + sum(len(s.sent) for s in self.slots)

    def idle(self) -> int:
        """How many more tasks the workers would take now."""
        return sum(self.depth - len(s.sent) for s in self.slots) - len(self.queue)

    def _dispatch(self) -> None:
        for slot in self.slots:  # an idle worker first, then one task ahead for busy ones
            if not slot.sent and self.queue:
                self._send(slot, *self.queue.popleft())
        for slot in self.slots:
            while self.queue and len(slot.sent) < self.depth and self._small(self.queue[0][1]):
                self._send(slot, *self.queue.popleft())

    @staticmethod
    def _send(slot: _Slot, key, args) -> None:
        if not slot.sent:
            slot.started = time.monotonic()
        slot.sent.append((key, args))
        try:
            slot.conn.send((key, args))
        except OSError:  # the worker died since the last poll: the poll that sees it sends this one again
            slot.undelivered.add(key)

    def _small(self, args: tuple) -> bool:
        size = 0
        for a in args:
            if isinstance(a, (bytes, bytearray, str)):
                size += len(a)
        return size <= self.AHEAD_BYTES

    def _replace(self, i: int) -> list[tuple]:
        """A new worker in slot ``i``; returns the tasks sent to the old one that it never began."""
        old = self.slots[i]
        old.stop(kill=True)
        self.slots[i] = _Slot(self.ctx, self.fn_name, self.memory_mb, self.nice)
        return list(old.sent)[1:]

    def poll(self, wait_for: float | None = None) -> list[tuple[object, bool, object]]:
        self._dispatch()
        busy = [s for s in self.slots if s.key is not None]
        if not busy:
            return []
        limit = wait_for
        if self.timeout:
            first_deadline = max(0.0, min(s.started + self.timeout for s in busy) - time.monotonic())
            limit = first_deadline if limit is None else min(limit, first_deadline)
        ready = wait([s.conn for s in busy], timeout=limit)
        out = []
        unstarted: list[tuple] = []
        for i, slot in enumerate(self.slots):
            if slot.key is None:
                continue
            if slot.conn in ready:
                try:
                    key, ok, payload = slot.conn.recv()
                except (EOFError, OSError):
                    head = slot.key
                    if head in slot.undelivered and self._redelivered[head] < 2:
                        # it died before it had the task: nothing of ours failed (twice at most: a worker
                        # that cannot start fails the task as any dead worker does)
                        self._redelivered[head] += 1
                        unstarted += list(slot.sent)
                        self._replace(i)
                        continue
                    code = slot.proc.exitcode if not slot.proc.is_alive() else None
                    key, ok = slot.key, False
                    payload = (memory_message(self.memory_mb) if code == -9 and self.memory_mb
                               else f"抽取进程崩溃 (worker died, exit code {code})")
                    unstarted += self._replace(i)
                else:
                    assert key == slot.key, (key, slot.key)  # a worker answers in the order it was sent
                    slot.sent.popleft()
                    slot.started = time.monotonic()  # the worker goes straight on to the next one sent
                out.append((key, ok, payload))
            elif self.timeout and time.monotonic() - slot.started >= self.timeout:
                key = slot.key
                unstarted += self._replace(i)
                out.append((key, False, timeout_message(self.timeout)))
        self.queue.extendleft(reversed(unstarted))  # never begun: they go first, in their order
        self._dispatch()
        return out

    def close(self) -> None:
        for slot in self.slots:
            slot.stop(kill=slot.key is not None)
        self.slots = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_tasks(fn_name: str, tasks: Iterable[tuple[object, tuple]], workers: int = 2,
              timeout: float | None = None, memory_mb: int | None = None,
              ) -> Iterator[list[tuple[object, bool, object]]]:
    """Run ``fn(*args)`` for each ``(key, args)``; yield the results as they come, a list at a time
    (all that were ready together), each ``(key, ok, result or error message)``."""
    todo = iter(tasks)
    with Pool(fn_name, workers=workers, timeout=timeout, memory_mb=memory_mb, ahead=True) as pool:
        exhausted = False
        while True:
            while not exhausted and pool.idle() > 0:
                nxt = next(todo, None)
                if nxt is None:
                    exhausted = True
                else:
                    pool.submit(*nxt)
            if exhausted and pool.pending == 0:
                return
            got = pool.poll()
            if got:
                yield got

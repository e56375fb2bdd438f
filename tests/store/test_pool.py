"""The bounded worker pool sending tasks ahead: order, time limits from when a task begins, and a
killed or crashed worker's unstarted tasks run again elsewhere — never lost, never failed for another."""
from __future__ import annotations

import time

from nianbao.ingest.pool import Pool, run_tasks

ACT = "pool_tasks:act"


def _drain(pool: Pool, until: float = 60) -> dict:
    out = {}
    end = time.monotonic() + until
    while pool.pending and time.monotonic() < end:
        for key, ok, payload in pool.poll(wait_for=1.0):
            assert key not in out, f"{key} answered twice"
            out[key] = (ok, payload)
    assert not pool.pending, "the pool did not finish"
    return out


def test_tasks_are_sent_ahead_and_answered_in_full():
    with Pool(ACT, workers=1, timeout=30, ahead=True) as pool:
        for i in range(6):
            pool.submit(i, ("sleep", 0.05))
        assert pool.idle() == -4  # one running, one sent ahead, four queued
        pool._dispatch()
        assert len(pool.slots[0].sent) == 2 and len(pool.queue) == 4
        got = _drain(pool)
    assert sorted(got) == list(range(6)) and all(ok for ok, _ in got.values())
    ends = [got[i][1][2] for i in range(6)]
    assert ends == sorted(ends)  # one worker answers in the order it was sent


def test_a_task_sent_ahead_of_a_hang_is_not_failed_with_it():
    with Pool(ACT, workers=1, timeout=1.5, ahead=True) as pool:
        pool.submit("hang", ("sleep", 60))
        pool.submit("next", ("sleep", 0.0))
        pool.submit("last", ("sleep", 0.0))
        got = _drain(pool)
    assert got["hang"][0] is False and "timed out" in got["hang"][1]
    assert got["next"][0] is True and got["last"][0] is True


def test_time_limit_counts_from_when_the_task_begins():
    # each task takes 1.2 s of a 2 s limit; sent ahead, the second waits 1.2 s before it begins
    # (counted from sending, it would end at 2.4 s and fail)
    with Pool(ACT, workers=1, timeout=2.0, ahead=True) as pool:
        pool.submit("warm", ("sleep", 0.0))  # the worker process is up before the clock matters
        _drain(pool)
        for i in range(3):
            pool.submit(i, ("sleep", 1.2))
        got = _drain(pool)
    assert all(ok for ok, _ in got.values()), got


def test_a_crash_fails_its_own_task_only():
    with Pool(ACT, workers=1, timeout=30, ahead=True) as pool:
        pool.submit("before", ("sleep", 0.0))
        pool.submit("crash", ("crash",))
        pool.submit("after", ("pid",))
        pool.submit("later", ("pid",))
        got = _drain(pool)
    assert got["before"][0] and got["after"][0] and got["later"][0]
    assert got["crash"][0] is False and "worker died" in got["crash"][1]
    assert got["before"][1][1] != got["after"][1][1]  # a new worker took over


def test_large_tasks_are_not_sent_ahead():
    big = "x" * (Pool.AHEAD_BYTES + 1)
    with Pool(ACT, workers=1, timeout=30, ahead=True) as pool:
        pool.submit("a", ("sleep", 0.3))
        pool.submit("b", ("sleep", 0.0))
        pool.submit("c", ("sleep", 0.0, big))
        pool._dispatch()
        # "b" is small and goes ahead; "c" is large and waits for a free worker
        assert [k for k, _ in pool.slots[0].sent] == ["a", "b"] and [k for k, _ in pool.queue] == ["c"]
        pool.queue.clear()
        got = _drain(pool)
    assert set(got) == {"a", "b"}


def test_run_tasks_yields_every_result_once():
    got = {}
    for batch in run_tasks(ACT, ((i, ("sleep", 0.01 * (i % 3))) for i in range(20)), workers=2, timeout=30):
        for key, ok, payload in batch:
            assert ok and key not in got
            got[key] = payload
    assert sorted(got) == list(range(20))
    assert len({pid for _, pid, _ in got.values()}) == 2


def test_the_collector_is_set_for_a_run_and_given_back():
    import gc
    import weakref

    from nianbao.ingest import collector
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collector.tuned():
        assert gc.get_threshold() == collector.THRESHOLDS and gc.get_freeze_count() > frozen

        class Node:
            pass
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None  # cycles are still collected
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_workers_run_with_the_collector_set():
    with Pool("pool_tasks:collector", workers=1, timeout=30) as pool:
        pool.submit("gc", ())
        got = _drain(pool)
    from nianbao.ingest import collector
    ok, (threshold, frozen) = got["gc"]
    assert ok and tuple(threshold) == collector.THRESHOLDS and frozen > 0


def test_a_worker_dead_between_polls_fails_nothing_sent_to_it():
    with Pool(ACT, workers=1, timeout=30, ahead=True) as pool:
        pool.submit("warm", ("pid",))
        first = _drain(pool)["warm"][1][1]
        pool.slots[0].proc.kill()  # dies while idle: the next tasks are sent to a closed pipe
        pool.slots[0].proc.join()
        for i in range(4):
            pool.submit(i, ("pid",))
        got = _drain(pool)
    assert sorted(got) == [0, 1, 2, 3] and all(ok for ok, _ in got.values()), got
    assert all(payload[1] != first for _, payload in got.values())  # a new worker ran them


def test_a_worker_that_never_starts_fails_the_task_not_the_run():
    with Pool("pool_tasks:never_imported_name", workers=1, timeout=10, ahead=True) as pool:
        pool.submit("x", ())
        got = _drain(pool)
    assert got["x"][0] is False

"""Jobs: uploads extracted by a bounded pool in the background, never in the process that accepted them.

The web server accepts a file, records a job (``queued``, with the bytes) and answers at once.
A :class:`JobRunner` thread in the server claims queued jobs, hands them to a :class:`Pool` of
worker processes capped in time and memory (the limits of folder runs), and writes each record
with ``Store.store_records``; the job ends ``done`` (stored, or a duplicate of a stored file)
or ``failed`` with its reason (timeout, memory, unreadable, a database error …). The server's
own memory and event loop never see the extraction.

Jobs live in the store (table ``jobs``), so several server processes may share one queue: a
job is claimed by one runner (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock).
A job left ``running`` by a server that died is queued again when a runner on the same host
starts.
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
from datetime import datetime, timezone

from sqlalchemy import select, update

from ..store import StoreError, Doc, Store
from ..store.schema import Finding, Job
from .pool import Pool

STATUSES = ("queued", "running", "done", "failed")


def now() -> datetime:
    return datetime.now(timezone.utc)


def job_dict(job: Job) -> dict:
    return {"id": job.id, "kind": job.kind, "status": job.status, "filename": job.filename, "sha256": job.sha256,
            "size": job.size, "report_id": job.report_id, "result": job.result or {}, "reason": job.reason,
            "user": job.user_name, "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at}


def submit_upload(store: Store, data: bytes, filename: str, user: str | None = None) -> dict:
    """Queue one uploaded file; the runner extracts and stores it."""
    with _jobs_session(store) as s, s.begin():
        job = Job(kind="upload", status="queued", filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                  size=len(data), data=data, user_name=user, created_at=now())
        s.add(job)
        s.flush()
        return job_dict(job)


def submit_reextract(store: Store, report_id: int, data: bytes, filename: str | None, user: str | None = None) -> dict:
    """Queue a re-extraction of a stored report's file; the runner reads it again outside this process and
    the store puts the corrections in force back on top (``Store.store_reextraction``)."""
    with _jobs_session(store) as s, s.begin():
        job = Job(kind="reextract", status="queued", filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                  size=len(data), data=data, report_id=report_id, user_name=user, created_at=now())
        s.add(job)
        s.flush()
        return job_dict(job)


def get_job(store: Store, job_id: int) -> dict | None:
    with store.session() as s:
        job = s.get(Job, job_id)
        return job_dict(job) if job else None


def get_jobs(store: Store, ids: list[int]) -> list[dict]:
    with store.session() as s:
        return [job_dict(j) for j in s.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.id))]


def recent_jobs(store: Store, limit: int = 50, user: str | None = None) -> list[dict]:
    with store.session() as s:
        q = select(Job).order_by(Job.id.desc()).limit(limit)
        if user:
            q = q.where(Job.user_name == user)
        return [job_dict(j) for j in s.scalars(q)]


def _jobs_session(store: Store):
    s = store.session(write=True)
    s.info["jobs_only"] = True  # a job's state is not report data: cached aggregates stay valid
    return s


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobRunner:
    """Runs the store's queued jobs in a pool of ``workers`` bounded processes, from a background thread."""

    def __init__(self, store: Store, workers: int = 1, timeout: float | None = None, memory_mb: int | None = None,
                 poll_seconds: float = 0.5):
        from ..sources.limits import limits
        default_timeout, default_memory = limits()
        self.store = store
        self.workers = max(1, workers)
        self.timeout = timeout or default_timeout
        self.memory_mb = memory_mb or default_memory
        self.poll_seconds = poll_seconds
        self.runner = _runner_id()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: Pool | None = None
        self._running: dict[int, Job] = {}

    # ------------------------------------------------------------------ life
    def start(self) -> "JobRunner":
        self._requeue_orphans()
        # the workers run at a lower priority: the server answering its readers comes first
        self._pool = Pool("nianbao.ingest.worker:extract_task", workers=self.workers, timeout=self.timeout,
                          memory_mb=self.memory_mb, nice=10)
        self._thread = threading.Thread(target=self._loop, name="nianbao-jobs", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)
        if self._pool:
            self._pool.close()
        # what was running goes back to the queue: the next runner starts it again
        if self._running:
            with _jobs_session(self.store) as s, s.begin():
                s.execute(update(Job).where(Job.id.in_(list(self._running)), Job.status == "running")
                          .values(status="queued", runner=None, started_at=None))

    def wake(self) -> None:
        self._wake.set()

    def _requeue_orphans(self) -> None:
        host = socket.gethostname()
        with _jobs_session(self.store) as s, s.begin():
            for job in s.scalars(select(Job).where(Job.status == "running")):
                h, _, pid = (job.runner or "").rpartition(":")
                if h == host and pid.isdigit() and not _alive(int(pid)) or not job.runner:
                    job.status, job.runner, job.started_at = "queued", None, None

    # ------------------------------------------------------------------ work
    def _loop(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                self._claim()
                if self._running:
                    for key, ok, payload in self._pool.poll(wait_for=self.poll_seconds):
                        self._finish(key, ok, payload)
                else:
                    self._wake.wait(self.poll_seconds)
                    self._wake.clear()
                pause = 1.0
            except Exception:  # the runner must outlive a bad turn (the database away for a while)
                import logging
                logging.getLogger("nianbao.jobs").warning("job runner: turn failed, again in %.0f s", pause,
                                                          exc_info=pause == 1.0)
                self._stop.wait(pause)
                pause = min(pause * 2, 60.0)

    def _claim(self) -> None:
        free = self.workers - len(self._running)
        if free <= 0:
            return
        with _jobs_session(self.store) as s, s.begin():
            q = select(Job).where(Job.status == "queued").order_by(Job.id).limit(free)
            if self.store.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            jobs = list(s.scalars(q))
            for job in jobs:
                job.status, job.started_at, job.runner = "running", now(), self.runner
        for job in jobs:
            existing = self.store.report_of_sha(job.sha256) if job.sha256 and job.kind == "upload" else None
            if existing is not None:
                self._end(job.id, "done", report_id=existing, result={"status": "duplicate"})
                continue
            self._running[job.id] = job
            self._pool.submit(job.id, (None, job.data, job.filename or "upload"))

    def _finish(self, job_id: int, ok: bool, payload) -> None:
        job = self._running.pop(job_id)
        if not ok:
            self._end(job_id, "failed", reason=str(payload))
            return
        if job.kind == "reextract":
            try:
                res = {"status": "stored", **self.store.store_reextraction(job.report_id, payload, job.user_name)}
            except StoreError as exc:
                res = {"status": "failed", "error": str(exc)}
        else:
            res = self.store.store_records([Doc(record=payload, data=job.data, filename=job.filename,
                                                sha256=job.sha256, size=job.size, author=job.user_name)])[0]
        if res["status"] == "failed":
            self._end(job_id, "failed", reason=res["error"])
            return
        self._end(job_id, "done", report_id=res.get("report_id"),
                  result={"status": res["status"], "reapplied": list(res.get("reapplied") or ()),
                          "version": self._version_number(res.get("version_id")),
                          **self._counts(res.get("version_id"), res.get("report_id"))})

    def _version_number(self, version_id: int | None) -> int | None:
        if version_id is None:
            return None
        from ..store.schema import Version
        with self.store.session() as s:
            return s.scalar(select(Version.number).where(Version.id == version_id))

    def _counts(self, version_id: int | None, report_id: int | None) -> dict:
        """Findings of the stored version by severity (dismissed ones left out), for the upload's row."""
        from sqlalchemy import func
        from ..store.schema import Report
        with self.store.session() as s:
            vid = version_id or s.scalar(select(Report.current_version_id).where(Report.id == report_id))
            rows = s.execute(select(Finding.severity, func.count()).where(Finding.version_id == vid,
                                                                           Finding.status != "dismissed")
                             .group_by(Finding.severity)).all()
        counts = dict(rows)
        return {"errors": counts.get("error", 0), "warnings": counts.get("warning", 0), "infos": counts.get("info", 0)}

    def _end(self, job_id: int, status: str, *, report_id: int | None = None, result: dict | None = None,
             reason: str | None = None) -> None:
        with _jobs_session(self.store) as s, s.begin():
            s.execute(update(Job).where(Job.id == job_id).values(status=status, report_id=report_id, result=result,
                                                                  reason=reason, finished_at=now(), data=None))

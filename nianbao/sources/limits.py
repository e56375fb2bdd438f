"""Per-document limits: read one file in a child process with a memory cap
and a wall-clock timeout, so a pathological file (a parser loop, a page that
explodes in memory) costs only itself and the batch goes on.

The child is a fresh interpreter (``python -m nianbao.sources.limits PATH``)
that shares no threads or state with the caller; it sends the Document back
pickled on stdout. Starting it costs about half a second.
"""
from __future__ import annotations

import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

from .base import Document, SourceError, StageError

TIMEOUT = 300.0     # seconds per document (NIANBAO_DOC_TIMEOUT)
MEMORY_MB = 3072    # address space per document (NIANBAO_DOC_MEMORY_MB)

# Formats whose parsers (PDFium, OCR, LibreOffice) can loop or
# balloon on a hostile file; text, HTML and DOCX are bounded by their size caps.
ISOLATED_FORMATS = frozenset({"pdf", "image", "doc", "wps"})


def limits() -> tuple[float, int]:
    """(seconds, MB) per document: the environment's, read at call time."""
    return (float(os.environ.get("NIANBAO_DOC_TIMEOUT") or TIMEOUT),
            int(os.environ.get("NIANBAO_DOC_MEMORY_MB") or MEMORY_MB))


def read_guarded(path: str | os.PathLike, *, timeout: float | None = None,
                 memory_mb: int | None = None) -> Document:
    """Read one file, in a bounded child process when its format is one of
    :data:`ISOLATED_FORMATS` (the half-second start is small beside their
    parsing), in this process otherwise."""
    from . import read, sniff_format

    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return read(path)  # read() names the problem
    if sniff_format(head, str(path)) not in ISOLATED_FORMATS:
        return read(path)
    return read_limited(path, timeout=timeout, memory_mb=memory_mb)


def read_limited(path: str | os.PathLike, *, timeout: float | None = None,
                 memory_mb: int | None = None) -> Document:
    """:func:`nianbao.sources.read` in a child process bounded in time and
    memory. Raises :class:`SourceError` (reason ``timeout``, ``memory``,
    ``crash`` or the reader's own) instead of hanging or taking the caller down."""
    default_timeout, default_memory = limits()
    timeout = default_timeout if timeout is None else timeout
    memory_mb = default_memory if memory_mb is None else memory_mb
    path = str(path)
    limit = memory_mb * 1024 * 1024

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # the child's temporary files (LibreOffice's profile among them) live in a
    # folder of ours, removed however the child ends; LibreOffice stays in the
    # child's process group, so killing the group ends it too
    tmp = tempfile.mkdtemp(prefix="nianbao-limited-")
    env = dict(os.environ, TMPDIR=tmp, NIANBAO_LIMITED_CHILD="1")
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.sources.limits", path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, preexec_fn=cap,
                            start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(proc.pid)
        proc.communicate()
        raise SourceError(f"处理超时（超过 {timeout:g} 秒）：{path} (reading took longer than {timeout:g} s)",
                          reason="timeout") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        status, payload = pickle.loads(out)
    except Exception:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        if proc.returncode and proc.returncode < 0 or "MemoryError" in tail[0]:
            raise SourceError(f"内存超限（上限 {memory_mb} MB）：{path} (out of memory: limit {memory_mb} MB)",
                              reason="memory") from None
        raise SourceError(f"读取进程异常退出：{path} (the reader process failed: {tail[0][:200]})",
                          reason="crash") from None
    if status == "ok":
        return payload
    if status == "source-error":
        message, reason = payload
        raise SourceError(message, reason=reason)
    if status == "memory":
        raise SourceError(f"内存超限（上限 {memory_mb} MB）：{path} (out of memory: limit {memory_mb} MB)",
                          reason="memory")
    raise SourceError(f"读取时出错：{path} (the reader failed: {payload})", reason="crash")


def _end_group(pgid: int) -> None:
    """Kill the child's process group, before the child is reaped (so the id is still its own)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _main(path: str) -> None:
    from . import read

    try:
        result = ("ok", read(path))
    except StageError as exc:
        # the reader's guard named it; running out of memory is this child's cap, said as such
        result = ("memory", None) if exc.reason == "memory" else ("source-error", (str(exc), exc.reason))
    except SourceError as exc:
        result = ("source-error", (str(exc), exc.reason))
    except MemoryError:
        result = ("memory", None)
    except Exception as exc:  # reported to the caller as a SourceError
        text = f"{type(exc).__name__}: {exc}"
        # native libraries report the address-space cap in their own words
        out_of_memory = any(s in text for s in ("bad_alloc", "failed to map segment", "Cannot allocate memory"))
        result = ("memory", None) if out_of_memory else ("crash", text)
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    _main(sys.argv[1])

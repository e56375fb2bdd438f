"""DOC and WPS: LibreOffice headless converts them to DOCX, then the DOCX
reader does the rest.

soffice is slow to start (about 1.4 s) and silently writes nothing when two
instances share a profile, so: one profile directory per worker process,
many files per call (:func:`convert`), and a timeout scaled by the number of
files; a batch that times out is retried file by file so one bad file only
costs itself.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from .base import Document, SourceError

TIMEOUT_PER_FILE = float(os.environ.get("NIANBAO_SOFFICE_TIMEOUT", "60"))
_lock = threading.Lock()  # one soffice per profile at a time


def soffice() -> str:
    for name in ("soffice", "libreoffice"):
        exe = shutil.which(name)
        if exe:
            return exe
    raise SourceError("未安装 LibreOffice，无法读取 DOC/WPS 文件 (LibreOffice is not installed: cannot read DOC/WPS)",
                      reason="unsupported-format")


def profile_dir() -> Path:
    """This process's own LibreOffice profile (created on first use)."""
    base = Path(tempfile.gettempdir()) / f"nianbao-lo-{os.getuid()}"
    p = base / f"profile-{os.getpid()}"
    if not p.exists():
        p.mkdir(parents=True)
        atexit.register(shutil.rmtree, p, True)
    return p


def _run(args: list[str], timeout: float, env: dict | None = None) -> bool:
    """Run soffice in its own process group; on timeout kill the whole group.
    Inside a bounded reader (sources.limits) it stays in that reader's group
    instead, so that the reader's own time limit ends LibreOffice too."""
    own_group = not os.environ.get("NIANBAO_LIMITED_CHILD")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=own_group, env=env)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        if own_group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()  # what it started goes with the bounded reader's group
        proc.wait()
        return False


def convert(inputs: list[Path], outdir: Path, target: str = "docx", infilter: str | None = None,
            timeout_per_file: float = TIMEOUT_PER_FILE, env: dict | None = None) -> dict[Path, Path | None]:
    """Convert many files in one soffice call. Returns input → output path
    (None where LibreOffice produced nothing or timed out). ``env``: the
    environment soffice runs in (default: this process's)."""
    inputs = [Path(p) for p in inputs]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if not inputs:
        return {}
    ext = target.split(":")[0]
    args = [soffice(), f"-env:UserInstallation=file://{profile_dir()}", "--headless", "--norestore",
            "--nologo", "--nodefault", "--nolockcheck"]
    if infilter:
        args.append(f"--infilter={infilter}")
    args += ["--convert-to", target, "--outdir", str(outdir)] + [str(p) for p in inputs]
    with _lock:
        finished = _run(args, timeout=10 + timeout_per_file * len(inputs), env=env)
    result = {}
    for p in inputs:
        out = outdir / (p.stem + "." + ext)
        result[p] = out if out.exists() and out.stat().st_size > 0 else None
    if not finished and len(inputs) > 1:
        # the batch ran out of time: redo the missing ones alone
        for p in inputs:
            if result[p] is None:
                result.update(convert([p], outdir, target, infilter, timeout_per_file, env))
    return result


def _fmt(path: str) -> str:
    return "wps" if Path(path).suffix.lower() == ".wps" else "doc"


def _failed(fmt: str, path: str) -> SourceError:
    return SourceError(f"LibreOffice 无法转换此 {fmt.upper()} 文件（损坏或超时）：{path} "
                       f"(LibreOffice could not convert this {fmt.upper()} file: broken or timed out)",
                       reason="corrupt")


def read_many(paths: list[str | os.PathLike]) -> dict[str, Document | SourceError]:
    """Read many DOC/WPS files with one soffice call (a batch pays the start-up
    once). Each path maps to its Document, or to the SourceError it raised."""
    import hashlib

    from . import docx

    out: dict[str, Document | SourceError] = {}
    with tempfile.TemporaryDirectory(prefix="nianbao-office-") as tmp:
        staged: dict[Path, str] = {}
        for i, p in enumerate(paths):
            # staged under unique names: two inputs may share a file name
            src = Path(tmp) / f"in{i:05d}.{_fmt(str(p))}"
            try:
                src.write_bytes(Path(p).read_bytes())
            except OSError as exc:
                out[str(p)] = SourceError(f"无法打开文件 (cannot open file): {p}: {exc.strerror}", reason="unreadable")
                continue
            staged[src] = str(p)
        converted = convert(list(staged), Path(tmp) / "out")
        for src, p in staged.items():
            dx = converted.get(src)
            if dx is None:
                out[p] = _failed(_fmt(p), p)
                continue
            try:
                out[p] = docx.read(dx.read_bytes(), p, hashlib.sha256(src.read_bytes()).hexdigest(), fmt=_fmt(p))
            except SourceError as exc:
                out[p] = exc
    return out


def read(data: bytes, path: str, sha256: str) -> Document:
    from . import docx

    fmt = _fmt(path)
    with tempfile.TemporaryDirectory(prefix="nianbao-office-") as tmp:
        src = Path(tmp) / f"input.{fmt}"
        src.write_bytes(data)
        out = convert([src], Path(tmp) / "out").get(src)
        if out is None:
            raise _failed(fmt, path)
        converted = out.read_bytes()
    doc = docx.read(converted, path, sha256, fmt=fmt)
    return doc

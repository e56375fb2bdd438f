"""What runs in an extraction worker (a bounded process, or a Dask worker): a file or bytes → a checked record."""
from __future__ import annotations

import json
from pathlib import Path

EXTRACTOR = "nianbao.extract:extract_path"
RECORD_SUFFIXES = (".json",)  # canonical records written by `nianbao extract --json`


def _resolve(name: str):
    from .pool import _resolve as resolve
    return resolve(name)


def extract_file(path: str, extractor: str = EXTRACTOR):
    """One file → its canonical record (a pre-extracted .json record is read as is)."""
    if path.lower().endswith(RECORD_SUFFIXES):
        return read_record_file(path)
    return _resolve(extractor)(path)


def read_record_file(path: str) -> dict:
    return parse_record(Path(path).read_bytes() if Path(path).exists() else None, path)


def parse_record(data: bytes | None, name: str) -> dict:
    from ..sources import SourceError
    try:
        if data is None:
            raise OSError(f"{name}: 文件不存在 (no such file)")
        rec = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"不是有效的 JSON 记录 (not a valid JSON record): {exc}") from exc
    if not isinstance(rec, dict) or "meta" not in rec:
        raise SourceError("JSON 文件不是 canonical 记录 (JSON is not a canonical record: no 'meta')")
    return rec


def extract_task(path: str | None, data: bytes | None, name: str, extractor: str = EXTRACTOR):
    """Worker entry point of every engine: extract, then validate, in the worker.

    Validation is a pure function of the record, so it runs here rather than in the
    single writing process (``_checked`` carries the findings to the store).
    """
    rec = _extract(path, data, name, extractor)
    if isinstance(rec, dict):
        from ..store import checks, writer
        rec = dict(rec)
        rec["_checked"] = checks.check(rec)
        rec = writer.precompute(rec)  # the cell rows and facts too: the writing process only writes
    return rec


def _extract(path: str | None, data: bytes | None, name: str, extractor: str = EXTRACTOR):
    if data is None:
        if extractor != EXTRACTOR:  # a plugged-in extractor sees every file, records included
            return _resolve(extractor)(path)
        return extract_file(path)
    if name.lower().endswith(RECORD_SUFFIXES):
        return parse_record(data, name)
    if extractor == EXTRACTOR:
        from ..extract import extract_bytes
        return extract_bytes(data, name)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / Path(name).name
        p.write_bytes(data)
        return _resolve(extractor)(str(p))


def extract_record(path: str) -> tuple:
    """``nianbao extract`` folder runs: one file → ``("ok", record)``, or ``("unreadable", message, reason)``
    when the file cannot be read as a report; read and extracted in the (bounded) worker."""
    from ..extract import SourceError, extract_path
    try:
        return ("ok", extract_path(path))
    except SourceError as exc:
        return ("unreadable", str(exc), getattr(exc, "reason", None) or "unreadable")

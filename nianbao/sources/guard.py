"""The last line at the public entries: an exception that no check foresaw becomes a
:class:`StageError` naming the file, the stage it came from and the cause, so a caller only
ever sees the project's own errors. Each crash found this way is still fixed where it arises;
this only keeps one defect from reaching a caller as a traceback (or stopping a batch).
"""
from __future__ import annotations

from .base import SourceError, StageError

# Modules that only pass a call on: the stage is the first module after them.
_ENTRY_MODULES = frozenset({"nianbao.extract", "nianbao.extract.pipeline", "nianbao.sources",
                            "nianbao.sources.guard", "nianbao.sources.limits"})


_OUT_OF_MEMORY = ("bad_alloc", "failed to map segment", "Cannot allocate memory", "Insufficient memory",
                  "Failed to allocate", "Unable to allocate",
                  "out of memory")


def locate(tb, default: str) -> tuple[str, str]:
    """(stage, where) of the exception whose traceback is ``tb``: the first of our modules after
    the entry (``extract.t3``, ``sources.docx``) and the innermost of our functions
    (``extract.splits.split_tokens``), with the library it failed in when it did."""
    chain: list[tuple[str, str]] = []
    while tb is not None:
        frame = tb.tb_frame
        chain.append((str(frame.f_globals.get("__name__", "?")), frame.f_code.co_name))
        tb = tb.tb_next
    ours = [(m, f) for m, f in chain if m.startswith("nianbao.")]
    stage = next((m for m, _ in ours if m not in _ENTRY_MODULES), None)
    stage = stage[len("nianbao."):] if stage else default
    where = f"{ours[-1][0][len('nianbao.'):]}.{ours[-1][1]}" if ours else "?"
    if chain and not chain[-1][0].startswith("nianbao."):
        where += f" → {chain[-1][0].split('.')[0]}"
    return stage, where


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised from or while handling, says memory ran out."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, MemoryError) or any(s in f"{type(exc).__name__}: {exc}" for s in _OUT_OF_MEMORY):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def stage_error(exc: BaseException, path: str, default_stage: str) -> StageError:
    """The named error standing for ``exc``, raised while reading or extracting ``path``."""
    stage, where = locate(exc.__traceback__, default_stage)
    cause = f"{type(exc).__name__}: {exc}"[:300]
    # native libraries (onnxruntime, OpenCV, PDFium) report running out of memory in their own words,
    # sometimes at the end of a traceback a wrapper put in its own message (rapidocr), or in the
    # exception it was raised from
    if out_of_memory(exc):
        return StageError(f"内存不足（{stage} 阶段）：{path} (out of memory in stage {stage}, at {where})",
                          stage=stage, cause=cause, reason="memory", path=path)
    return StageError(f"抽取出错（{stage} 阶段）：{path} (internal error in stage {stage}: {cause}, at {where})",
                      stage=stage, cause=cause, path=path)


def guarded(default_stage: str, path: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, with any exception other than our own turned into a StageError.
    The original traceback is dropped, not chained: its frames may hold what filled the memory."""
    try:
        return fn(*args, **kwargs)
    except SourceError:
        raise
    except Exception as exc:  # the last resort this module is for
        err = stage_error(exc, path, default_stage)
    raise err

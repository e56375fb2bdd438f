"""Findings: what the extractor and the validator say about a report."""
from __future__ import annotations

from typing import Iterable


def finding(rule: str, severity: str, message: str, message_en: str = "", *,
            cells: Iterable[str] = (), evidence: str = "", **extra) -> dict:
    """A finding as it appears in the canonical record.

    ``message`` is Chinese (the users' language), ``message_en`` English;
    ``cells`` use the ``t3.total[0]`` notation; ``evidence`` quotes the source.
    """
    if severity not in ("error", "warning", "info"):
        raise ValueError(f"bad severity {severity!r}")
    out = {"rule": rule, "severity": severity, "message": message, "message_en": message_en,
           "cells": [str(c) for c in cells], "evidence": evidence}
    out.update(extra)
    return out


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

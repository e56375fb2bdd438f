"""The validator: what a reviewer should know about one report, and about it against last year's.

Public API::

    check(record)               -> the record's complete findings: the extractor's own (``extract.*``,
                                   ``source.*``) kept as they are, the validator's computed afresh
                                   (so calling it twice gives the same list)
    cross_year(previous, current) -> findings on ``current`` against the same agency's previous report
    RULES                       -> rule id → Rule(id, severity, family, title, title_en, description, …)

One module per rule family: arithmetic (generated from ``template.identities``), form, timeliness,
fees, prose, crossyear. ``docs/rules.md`` lists every rule.
"""
from __future__ import annotations

from . import arithmetic, fees, form, prose, timeliness
from .crossyear import cross_year as _cross_year
from .sane import sane
from .rules import RULES, Rule, emit, rule, severity_rank

rule("validate.failed", "warning", "extraction", "校验未能完成", "a check could not run",
     "某一类校验在处理此报告时出错而中止；其余校验照常进行。请将此报告提交给维护者。",
     "One family of checks failed on this report and was skipped; the others ran. Please report the file.")

FAMILIES = (("arithmetic", arithmetic.check), ("form", form.check), ("timeliness", timeliness.check),
            ("fees", fees.check), ("prose", prose.check))

# Rules the validator owns and recomputes; everything else in record["findings"] is kept.
OWN_FAMILIES = {"arithmetic", "form", "timeliness", "fees", "prose"}


def _own(f: dict) -> bool:
    r = RULES.get(f.get("rule", ""))
    return (r is not None and r.family in OWN_FAMILIES) or f.get("rule") == "validate.failed"


def check(record: dict) -> list[dict]:
    """All findings for one canonical record (see module doc). Never raises on odd input."""
    view = sane(record)
    kept = [f for f in view["findings"] if isinstance(f.get("rule"), str) and not _own(f)]
    new: list[dict] = []
    not_a_report = any(f.get("rule") == "extract.not_a_report" for f in kept)
    for name, fn in FAMILIES:
        if not_a_report and name in ("form", "fees"):
            continue  # what is missing from something that is not a report says nothing
        try:
            new.extend(fn(view))
        except Exception as exc:  # one family failing must not hide the others' findings
            new.append(emit("validate.failed", f"“{name}”类校验出错：{type(exc).__name__}: {exc}",
                            f"The {name} checks failed: {type(exc).__name__}: {exc}",
                            evidence=f"{type(exc).__name__}: {exc}"))
    out, seen = [], set()
    for f in kept + new:
        key = (f.get("rule"), str(f.get("cells")), str(f.get("message")))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def cross_year(previous: dict, current: dict) -> list[dict]:
    """Findings on ``current`` from comparing it with the same agency's ``previous`` report."""
    try:
        return _cross_year(sane(previous), sane(current))
    except Exception as exc:  # a damaged pair must not stop the store's run over a corpus
        return [emit("validate.failed", f"跨年度校验出错：{type(exc).__name__}: {exc}",
                     f"The cross-year checks failed: {type(exc).__name__}: {exc}",
                     evidence=f"{type(exc).__name__}: {exc}")]


def summary(findings: list[dict]) -> dict:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        if f.get("severity") in out:
            out[f["severity"]] += 1
    return out


__all__ = ["check", "cross_year", "RULES", "Rule", "summary", "severity_rank"]

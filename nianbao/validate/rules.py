"""The rule catalogue: every rule the validator (or the extractor) may emit.

A rule has one stable id and one severity; each family module registers its
rules here when imported, so docs, the web UI and the store can list them
(``nianbao.validate.RULES``) and a finding can never carry an unknown id.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..findings import finding


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str          # error | warning | info
    family: str            # arithmetic | form | timeliness | fees | prose | cross | extraction
    title: str             # zh
    title_en: str
    description: str       # zh: what is checked and why
    description_en: str


RULES: dict[str, Rule] = {}


def rule(id: str, severity: str, family: str, title: str, title_en: str,
         description: str, description_en: str) -> Rule:
    if id in RULES and RULES[id].severity != severity:
        raise ValueError(f"rule {id} registered twice with different severities")
    r = Rule(id, severity, family, title, title_en, description, description_en)
    RULES[id] = r
    return r


def emit(rule_id: str, message: str, message_en: str, *, cells: Iterable[str] = (),
         evidence: str = "", **extra) -> dict:
    """A finding of a catalogued rule, with the rule's severity."""
    r = RULES[rule_id]
    return finding(rule_id, r.severity, message, message_en, cells=cells, evidence=evidence, **extra)


# The extractor's rules: listed here so that the catalogue is complete; the
# extractor emits them and the validator keeps them as they are.
rule("extract.ambiguous", "warning", "extraction", "单元格取值不唯一", "ambiguous cell",
     "原文数字粘连或错位，按勾稽关系仍有多种拆分，所给取值只是最可能的一种。请对照原文核对所列单元格。",
     "Digits in the source run together or are misplaced and more than one split satisfies the identities; "
     "the value given is the most plausible one. Check the cells against the source.")
rule("extract.unreadable", "warning", "extraction", "单元格无法识读", "unreadable cell",
     "表格中有该单元格，但其内容无法识读为数字（乱码、污损或识别失败），记录中为空值。",
     "The cell is present but its content could not be read as a number (debris, damage or OCR failure); "
     "the record holds null.")
rule("extract.inferred", "warning", "extraction", "单元格未印出数字，已按勾稽关系填入", "cell inferred",
     "原文该单元格没有印出数字（整行缺一格或整行空白），而勾稽关系只容许一个取值，记录中给出该值并标明为推定。",
     "The source prints no number in the cell (a row one cell short, or a row left empty) and the identities "
     "allow only one value: the record gives it, marked as inferred.")
rule("extract.unresolved", "warning", "extraction", "存疑单元格处勾稽关系不成立", "identity broken where cells are in doubt",
     "所列单元格的数字连在一起或位置不明，任何读法下该勾稽关系都不成立或成立的读法不唯一；无法判断是原文有误还是读取有误，"
     "因此不作为原文的勾稽错误报告。请对照原文核对。",
     "The cells listed were read with doubt (digits run together, places unknown) and the identity does not "
     "hold in the reading given; whether the original or the reading is wrong cannot be told, so it is not "
     "reported as the original's error. Check against the source.")
rule("extract.ocr_corrected", "info", "extraction", "OCR 识别结果已按勾稽关系更正", "OCR reading corrected",
     "扫描件的识别结果与勾稽关系不符，已改为唯一能满足勾稽关系的数字；证据中给出识别原文与更正值。",
     "An OCR reading broke the identities and was replaced by the only digit that satisfies them; the "
     "evidence gives the reading and the correction.")
rule("extract.reordered", "info", "extraction", "单元格顺序错乱，已按勾稽关系复原", "cells reordered",
     "原文中表格单元格的顺序错乱（如 PDF 转出的文字按列输出），其位置已由勾稽关系唯一确定。",
     "The source prints the table's cells out of order (e.g. PDF text emitted column by column); their "
     "places follow uniquely from the identities.")
rule("extract.search_budget", "warning", "extraction", "读法过多，超出搜索上限", "search budget spent",
     "表格中粘连或错位的数字可能读法过多，超出每张表的搜索上限：仍未确定的单元格留空（或给出未经确认的最可能读法），不作猜测。请对照原文核对所列单元格。",
     "Digits run together or misplaced admit too many readings for the search budget of one table: the cells "
     "still open are left empty (or hold the most plausible reading, unconfirmed), never guessed. Check the "
     "cells against the source.")
rule("extract.internal_error", "error", "extraction", "抽取出错", "extraction failed",
     "抽取的某一阶段意外出错（程序缺陷或库对异常输入的报错），该文件未能抽取；错误信息给出文件、阶段和原因。",
     "A stage of extraction failed unexpectedly (a defect, or a library's error on odd input); the file was not "
     "extracted. The message names the file, the stage and the cause.")
rule("extract.not_a_report", "warning", "extraction", "可能不是年度报告", "may not be an annual report",
     "文件中没有找到年度报告的标题、章节或统计表；格式类规则不对其作判断。",
     "No title, section or statistical table of an annual report was found; the form rules do not judge it.")
rule("source.unreadable", "error", "extraction", "文件无法读取", "file unreadable",
     "文件无法打开或解码，未能抽取任何内容。", "The file could not be opened or decoded; nothing was extracted.")


def severity_rank(f: dict) -> int:
    return {"error": 0, "warning": 1, "info": 2}.get(f.get("severity"), 3)


FAMILY_TITLES = {
    "arithmetic": ("勾稽关系与数值", "Arithmetic and values"),
    "form": ("格式", "Form"),
    "timeliness": ("时效", "Timeliness"),
    "fees": ("信息处理费", "Processing fees"),
    "prose": ("正文与表格", "Prose vs tables"),
    "cross": ("跨年度（两份报告）", "Across years (two reports)"),
    "extraction": ("抽取", "Extraction"),
}


def catalogue_markdown() -> str:
    """The rule catalogue as Markdown tables, one per family (docs/rules.md embeds it)."""
    out = []
    for family, (zh, en) in FAMILY_TITLES.items():
        rules = [r for r in RULES.values() if r.family == family]
        if not rules:
            continue
        out.append(f"### {zh} · {en}\n")
        out.append("| id | 级别 severity | 规则 rule | 说明 | description |")
        out.append("|---|---|---|---|---|")
        for r in rules:
            out.append(f"| `{r.id}` | {r.severity} | {r.title}<br>{r.title_en} | {r.description} | "
                       f"{r.description_en} |")
        out.append("")
    return "\n".join(out)

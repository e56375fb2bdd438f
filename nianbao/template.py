"""The annual-report forms as data, defined once.

Extraction, validation, rendering, the generator and the web UI all read the
forms from here: row keys, labels as printed, the label variants met in the
wild, table 二 layouts, table 四 groups, the pre-2019 appendix indicators, the
six sections, and the identities (勾稽关系) between cells.

Cell references use the notation of ``canonical-json.md``: ``t3.total[0]``,
``t4.reconsideration[4]``, ``t2.normative_docs[2]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

# --------------------------------------------------------------------------
# Table 三: columns and rows
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    label_en: str


T3_COLUMNS: tuple[Column, ...] = (
    Column("natural", "自然人", "natural persons"),
    Column("commercial", "商业企业", "commercial enterprises"),
    Column("research", "科研机构", "research institutions"),
    Column("public_interest", "社会公益组织", "public-interest organisations"),
    Column("legal_service", "法律服务机构", "legal service institutions"),
    Column("other_org", "其他", "other organisations"),
    Column("total", "总计", "total"),
)
T3_WIDTH = len(T3_COLUMNS)
T3_TOTAL_COL = T3_WIDTH - 1


@dataclass(frozen=True)
class Row:
    """One row of table 三.

    ``patterns`` are regular expressions tried on the normalised label text
    (whitespace removed, brackets half-width); the first is the distinctive
    core of the official wording, the rest cover variants and misprints seen
    in real reports.
    """

    key: str
    label: str
    label_en: str
    group: str | None
    patterns: tuple[str, ...]
    leaf_result: bool = False  # counted in (七)总计
    forms: tuple[str, ...] = ("2021", "2019")


T3_GROUPS: Mapping[str, str] = {
    "results": "三、本年度办理结果",
    "deny": "(三)不予公开",
    "unable": "(四)无法提供",
    "reject": "(五)不予处理",
    "other": "(六)其他处理",
}
T3_GROUPS_EN: Mapping[str, str] = {
    "results": "3. results this year",
    "deny": "(3) not disclosed",
    "unable": "(4) unable to provide",
    "reject": "(5) not handled",
    "other": "(6) other handling",
}
# The two headings above the applicant columns: key → (as printed, English).
T3_HEADINGS: Mapping[str, tuple[str, str]] = {
    "applicants": ("申请人情况", "applicants"),
    "organisations": ("法人或其他组织", "legal persons or other organisations"),
}

T3_ROWS: tuple[Row, ...] = (
    Row("new", "一、本年新收政府信息公开申请数量", "new applications this year", None,
        (r"本年新收", r"新收.{0,8}申请", r"本年.{0,3}收到.{0,10}申请数")),
    Row("carried", "二、上年结转政府信息公开申请数量", "carried over from last year", None,
        (r"上年结转", r"上年度结转")),
    Row("granted", "(一)予以公开", "disclosed", "results",
        (r"(?<!不)予以公开", r"^\(一\)予以"), leaf_result=True),
    Row("partial", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "partly disclosed", "results",
        (r"部分公开", r"区分处理"), leaf_result=True),
    Row("deny_secret", "1.属于国家秘密", "state secret", "deny",
        (r"国家秘密", r"国家秘"), leaf_result=True),
    Row("deny_law", "2.其他法律行政法规禁止公开", "prohibited by other laws", "deny",
        (r"法律行政法规禁止", r"法律法规禁止", r"行政法规禁", r"行政止公开", r"其他法律"), leaf_result=True),
    Row("deny_safety", "3.危及“三安全一稳定”", "endangers the 'three securities, one stability'", "deny",
        (r"三安全一稳定", r"危及", r"三安全"), leaf_result=True),
    Row("deny_third_party", "4.保护第三方合法权益", "protects a third party's rights", "deny",
        (r"第三方合法权益", r"保护第三方", r"第三方"), leaf_result=True),
    Row("deny_internal", "5.属于三类内部事务信息", "internal affairs", "deny",
        (r"三类内部事务", r"内部事务"), leaf_result=True),
    Row("deny_process", "6.属于四类过程性信息", "process information", "deny",
        (r"四类过程性", r"过程性信息", r"过程性"), leaf_result=True),
    Row("deny_enforcement", "7.属于行政执法案卷", "enforcement files", "deny",
        (r"行政执法案卷", r"执法案卷", r"行政执法案"), leaf_result=True),
    Row("deny_query", "8.属于行政查询事项", "administrative query", "deny",
        (r"行政查询事项", r"查询事项"), leaf_result=True),
    Row("unable_not_held", "1.本机关不掌握相关政府信息", "not held", "unable",
        (r"不掌握", r"本机关不掌"), leaf_result=True),
    Row("unable_need_create", "2.没有现成信息需要另行制作", "would need to be created", "unable",
        (r"另行制作", r"没有现成信息", r"没有现成"), leaf_result=True),
    Row("unable_unclear", "3.补正后申请内容仍不明确", "still unclear after correction", "unable",
        (r"补正后", r"仍不明确"), leaf_result=True),
    Row("reject_complaint", "1.信访举报投诉类申请", "petition or complaint", "reject",
        (r"信访举报", r"举报投诉", r"信访"), leaf_result=True),
    Row("reject_repeat", "2.重复申请", "repeated application", "reject",
        (r"重复申请",), leaf_result=True),
    Row("reject_publication", "3.要求提供公开出版物", "asks for publications", "reject",
        (r"公开出版物", r"出版物"), leaf_result=True),
    Row("reject_massive", "4.无正当理由大量反复申请", "massive repeated applications", "reject",
        (r"大量反复", r"无正当理由大量"), leaf_result=True),
    Row("reject_confirm", "5.要求行政机关确认或重新出具已获取信息", "asks to confirm or re-issue", "reject",
        (r"确认或重新出具", r"重新出具", r"已获取信息"), leaf_result=True),
    Row("other", "(六)其他处理", "other handling", None,
        (r"^\(六\)其他处理$", r"^六\)?其他处理$", r"^其他处理$"), leaf_result=True, forms=("2019",)),
    Row("other_no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "no correction in time", "other",
        (r"逾期不补正", r"不补正", r"逾期不补"), leaf_result=True, forms=("2021",)),
    Row("other_no_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "fee not paid in time", "other",
        (r"缴纳费用", r"收费通知", r"未按收费"), leaf_result=True, forms=("2021",)),
    Row("other_misc", "3.其他", "other", "other",
        (r"^3[.、．]?其他$", r"^\(?3\)?其他$"), leaf_result=True, forms=("2021",)),
    Row("total", "(七)总计", "total", None,
        (r"^\(七\)总计", r"^七\)?总计", r"^总计$", r"\(七\)总"), ),
    Row("carry_next", "四、结转下年度继续办理", "carried to next year", None,
        (r"结转下年", r"下年度继续办理", r"继续办理")),
)
T3_ROW_BY_KEY: Mapping[str, Row] = {r.key: r for r in T3_ROWS}


# The form's rows and identities are asked for by every extraction and every
# check: built once per form (a handful exist).
@lru_cache(maxsize=32)
def t3_rows(form: str) -> tuple[Row, ...]:
    """The rows of table 三 in printed order for a form ("2021" or "2019")."""
    return tuple(r for r in T3_ROWS if form in r.forms)


@lru_cache(maxsize=32)
def t3_row_keys(form: str) -> tuple[str, ...]:
    return tuple(r.key for r in t3_rows(form))


@lru_cache(maxsize=32)
def t3_leaf_keys(form: str) -> tuple[str, ...]:
    """The result rows that (七)总计 adds up."""
    return tuple(r.key for r in t3_rows(form) if r.leaf_result)


# --------------------------------------------------------------------------
# Table 四
# --------------------------------------------------------------------------

T4_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("reconsideration", "行政复议", "administrative reconsideration"),
    ("litigation_direct", "行政诉讼·未经复议直接起诉", "litigation without reconsideration"),
    ("litigation_after_reconsideration", "行政诉讼·复议后起诉", "litigation after reconsideration"),
)
T4_COLUMNS: tuple[Column, ...] = (
    Column("upheld", "结果维持", "upheld"),
    Column("corrected", "结果纠正", "corrected"),
    Column("other", "其他结果", "other result"),
    Column("pending", "尚未审结", "pending"),
    Column("total", "总计", "total"),
)
T4_WIDTH = len(T4_COLUMNS)
T4_HEADER_WORDS = ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", "结果维持", "结果纠正",
                   "其他结果", "尚未审结", "总计")
# English for each level of the group headings ("行政诉讼·复议后起诉" is printed on two rows).
T4_HEADINGS_EN: Mapping[str, str] = {
    "行政复议": "administrative reconsideration",
    "行政诉讼": "administrative litigation",
    "未经复议直接起诉": "without reconsideration first",
    "复议后起诉": "after reconsideration",
}

# --------------------------------------------------------------------------
# Table 二: two layouts
# --------------------------------------------------------------------------


# English wording of table 二's column headers; ``T2Field.columns`` keep them as printed.
T2_COLUMNS_EN: Mapping[str, str] = {
    "本年制发件数": "issued this year",
    "本年废止件数": "repealed this year",
    "现行有效件数": "in force",
    "本年处理决定数量": "decisions this year",
    "本年收费金额(单位:万元)": "fees collected this year (10k yuan)",
    "本年新制作数量": "newly made this year",
    "本年新公开数量": "newly disclosed this year",
    "对外公开总数量": "disclosed in total",
    "上一年项目数量": "items last year",
    "本年增/减": "change this year (+/-)",
    "处理决定数量": "decisions",
    "采购项目数量": "procurement projects",
    "采购总金额": "total procurement amount",
}
# 第二十条第(x)项: the item numbers of Article 20 in English.
T2_ITEMS_EN: Mapping[str, str] = {"(一)": "(1)", "(二)": "(2)", "(三)": "(3)", "(四)": "(4)", "(五)": "(5)",
                                  "(六)": "(6)", "(七)": "(7)", "(八)": "(8)", "(九)": "(9)", "(十)": "(10)"}


@dataclass(frozen=True)
class T2Field:
    key: str
    label: str
    label_en: str
    patterns: tuple[str, ...]
    columns: tuple[str, ...]          # column headers, in order
    scalar: bool = False               # printed as one number → JSON number, not list
    decimals: bool = False             # money: keep decimals as printed
    item: str = ""                     # 第二十条第(x)项

    @property
    def columns_en(self) -> tuple[str, ...]:
        return tuple(T2_COLUMNS_EN[c] for c in self.columns)

    @property
    def item_en(self) -> str:
        return T2_ITEMS_EN.get(self.item, self.item)

    @property
    def title(self) -> str:
        """The form's heading over this field: 第二十条第(一)项."""
        return f"第二十条第{self.item}项"

    @property
    def title_en(self) -> str:
        return f"Article 20, item {self.item_en}"


T2_LAYOUTS: Mapping[str, tuple[T2Field, ...]] = {
    "2021": (
        T2Field("regulations", "规章", "regulations", (r"^规章$", r"^规章"),
                ("本年制发件数", "本年废止件数", "现行有效件数"), item="(一)"),
        T2Field("normative_docs", "行政规范性文件", "normative documents", (r"规范性文件",),
                ("本年制发件数", "本年废止件数", "现行有效件数"), item="(一)"),
        T2Field("licensing", "行政许可", "licensing decisions", (r"行政许可",),
                ("本年处理决定数量",), scalar=True, item="(五)"),
        T2Field("punishment", "行政处罚", "punishment decisions", (r"行政处罚",),
                ("本年处理决定数量",), scalar=True, item="(六)"),
        T2Field("enforcement", "行政强制", "enforcement decisions", (r"行政强制",),
                ("本年处理决定数量",), scalar=True, item="(六)"),
        T2Field("fees_wan", "行政事业性收费", "administrative fees (10k yuan)", (r"事业性收费", r"行政事业"),
                ("本年收费金额(单位:万元)",), scalar=True, decimals=True, item="(八)"),
    ),
    "2019": (
        T2Field("regulations", "规章", "regulations", (r"^规章$", r"^规章"),
                ("本年新制作数量", "本年新公开数量", "对外公开总数量"), item="(一)"),
        T2Field("normative_docs", "规范性文件", "normative documents", (r"规范性文件",),
                ("本年新制作数量", "本年新公开数量", "对外公开总数量"), item="(一)"),
        T2Field("licensing", "行政许可", "licensing", (r"行政许可",),
                ("上一年项目数量", "本年增/减", "处理决定数量"), item="(五)"),
        T2Field("other_services", "其他对外管理服务事项", "other external services", (r"其他对外管理", r"对外管理服务"),
                ("上一年项目数量", "本年增/减", "处理决定数量"), item="(五)"),
        T2Field("punishment", "行政处罚", "punishment", (r"行政处罚",),
                ("上一年项目数量", "本年增/减", "处理决定数量"), item="(六)"),
        T2Field("enforcement", "行政强制", "enforcement", (r"行政强制",),
                ("上一年项目数量", "本年增/减", "处理决定数量"), item="(六)"),
        T2Field("fees", "行政事业性收费", "administrative fees", (r"事业性收费", r"行政事业"),
                ("上一年项目数量", "本年增/减"), item="(八)"),
        T2Field("procurement", "政府集中采购", "central government procurement", (r"集中采购", r"政府采购"),
                ("采购项目数量", "采购总金额"), decimals=True, item="(九)"),
    ),
}
# Header words that tell the layouts apart.
T2_LAYOUT_MARKERS: Mapping[str, tuple[str, ...]] = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "采购项目数量"),
}
# Fields whose counts may legitimately be negative (2019 本年增/减).
T2_SIGNED_COLUMNS = {"本年增/减"}


def t2_field(layout: str, key: str) -> T2Field:
    for f in T2_LAYOUTS[layout]:
        if f.key == key:
            return f
    raise KeyError(key)


# --------------------------------------------------------------------------
# Pre-2019 appendix indicators
# --------------------------------------------------------------------------

# Labels met in provincial appendices, as distinctive cores. Used to recognise
# an indicator row; the record keeps the label as printed (canonical-json.md).
LEGACY_INDICATOR_PATTERNS: tuple[str, ...] = (
    r"主动公开.{0,4}(信息|文件|政府信息)?数", r"网站公开", r"公报公开", r"政府公报", r"新闻发布", r"广播电视",
    r"报刊", r"公开栏", r"查阅", r"受理.{0,6}申请", r"申请总数", r"当面申请", r"网络申请", r"信函", r"传真",
    r"电子邮件", r"答复总数", r"同意公开", r"部分公开", r"不予公开", r"信息不存在", r"非本机关", r"申请内容不明确",
    r"其他类型答复", r"其他答复", r"行政复议", r"行政诉讼", r"申诉", r"举报", r"收费", r"减免", r"工作人员",
    r"专职", r"兼职", r"经费", r"收取费用", r"费用", r"会议", r"培训", r"网上.*申请", r"答复数", r"申请数",
)
LEGACY_UNITS: tuple[str, ...] = ("条", "件", "个", "次", "人", "万元", "元", "项", "份", "期", "场", "篇", "天")

# --------------------------------------------------------------------------
# Sections (2019+)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    title_en: str
    patterns: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section("一", "总体情况", "overview", (r"总体情况", r"^概述", r"基本情况")),
    Section("二", "主动公开政府信息情况", "proactive disclosure", (r"主动公开政府信息", r"主动公开.{0,6}情况")),
    Section("三", "收到和处理政府信息公开申请情况", "requests received and handled",
            (r"收到和处理", r"依申请公开.{0,8}情况", r"政府信息公开申请.{0,4}(情况|办理)")),
    Section("四", "政府信息公开行政复议、行政诉讼情况", "reconsideration and litigation",
            (r"行政复议", r"行政法?复议", r"行政诉讼")),
    Section("五", "存在的主要问题及改进情况", "problems and improvements", (r"主要问题", r"存在.{0,4}问题", r"改进")),
    Section("六", "其他需要报告的事项", "other matters", (r"其他需要报告", r"其他.{0,6}事项", r"需要说明")),
)

# --------------------------------------------------------------------------
# Identities (勾稽关系)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRef:
    table: str
    key: str
    index: int | None = None

    def __str__(self) -> str:
        return f"{self.table}.{self.key}" + ("" if self.index is None else f"[{self.index}]")

    @classmethod
    def parse(cls, text: str) -> "CellRef":
        m = re.fullmatch(r"(\w+)\.([^\[\]]+)(?:\[(\d+)\])?", text)
        if not m:
            raise ValueError(f"not a cell reference: {text!r}")
        return cls(m.group(1), m.group(2), None if m.group(3) is None else int(m.group(3)))


@dataclass(frozen=True)
class Identity:
    """``sum(lhs) == sum(rhs)``: one equation between cells of a record."""

    rule: str                 # stable id, e.g. "t3.row_total"
    lhs: tuple[CellRef, ...]
    rhs: tuple[CellRef, ...]
    description: str
    description_en: str

    @property
    def cells(self) -> tuple[CellRef, ...]:
        return self.lhs + self.rhs


def _t3_identities(form: str) -> list[Identity]:
    rows = t3_row_keys(form)
    leaves = t3_leaf_keys(form)
    out: list[Identity] = []
    for key in rows:
        label = T3_ROW_BY_KEY[key].label
        out.append(Identity(
            "t3.row_total",
            (CellRef("t3", key, T3_TOTAL_COL),),
            tuple(CellRef("t3", key, c) for c in range(T3_TOTAL_COL)),
            f"表三“{label}”行：总计 = 各类申请人之和",
            f"table 3 row '{key}': total = sum of the applicant columns"))
    for c, col in enumerate(T3_COLUMNS):
        out.append(Identity(
            "t3.results_total",
            (CellRef("t3", "total", c),),
            tuple(CellRef("t3", k, c) for k in leaves),
            f"表三“{col.label}”列：(七)总计 = 各项办理结果之和",
            f"table 3 column '{col.key}': (7) total = sum of the result rows"))
        out.append(Identity(
            "t3.balance",
            (CellRef("t3", "new", c), CellRef("t3", "carried", c)),
            (CellRef("t3", "total", c), CellRef("t3", "carry_next", c)),
            f"表三“{col.label}”列：一 + 二 = 三(七) + 四",
            f"table 3 column '{col.key}': new + carried = handled + carried to next year"))
    return out


def _t4_identities() -> list[Identity]:
    out = []
    for key, label, _ in T4_GROUPS:
        out.append(Identity(
            "t4.group_total",
            (CellRef("t4", key, T4_WIDTH - 1),),
            tuple(CellRef("t4", key, c) for c in range(T4_WIDTH - 1)),
            f"表四“{label}”：总计 = 维持 + 纠正 + 其他 + 尚未审结",
            f"table 4 '{key}': total = upheld + corrected + other + pending"))
    return out


def identities(form: str) -> list[Identity]:
    """Every identity that holds within one report of the given table-三 form."""
    if form not in ("2021", "2019"):
        return []
    return list(_identities(form))


@lru_cache(maxsize=None)
def _identities(form: str) -> tuple[Identity, ...]:
    return tuple(_t3_identities(form) + _t4_identities())


def cell_value(record: Mapping, ref: CellRef):
    """The value a record holds at ``ref`` (None when absent)."""
    table = record.get(ref.table)
    if table is None:
        return None
    if ref.table == "t3":
        table = table.get("rows") or {}
    value = table.get(ref.key)
    if ref.index is None:
        return value
    if not isinstance(value, (list, tuple)) or ref.index >= len(value):
        return None
    return value[ref.index]


@dataclass(frozen=True)
class IdentityCheck:
    identity: Identity
    lhs: float | None
    rhs: float | None
    missing: tuple[CellRef, ...] = field(default=())

    @property
    def holds(self) -> bool | None:
        if self.lhs is None or self.rhs is None:
            return None
        return abs(self.lhs - self.rhs) < 1e-6


def check_identity(identity: Identity, record: Mapping, values: Sequence | None = None) -> IdentityCheck:
    """``values``: the values of ``identity.cells`` in order, when the caller
    has read them already (by default they are read with :func:`cell_value`)."""
    if values is None:
        values = [cell_value(record, r) for r in identity.cells]
    lv, rv = list(values[:len(identity.lhs)]), list(values[len(identity.lhs):])
    missing = tuple(r for r, v in zip(identity.cells, lv + rv) if v is None)
    if any(v is None for v in lv) or all(v is None for v in rv):
        return IdentityCheck(identity, None, None, missing)
    # Parts left blank count as nothing; a blank total does not.
    return IdentityCheck(identity, float(sum(lv)), float(sum(v for v in rv if v is not None)), missing)


def form_of_year(year: int | None) -> str | None:
    """The form the national template prescribes for a report year."""
    if year is None:
        return None
    if year >= 2021:
        return "2021"
    if year >= 2019:
        return "2019"
    return "pre2019"


def all_t3_keys() -> Iterable[str]:
    return (r.key for r in T3_ROWS)

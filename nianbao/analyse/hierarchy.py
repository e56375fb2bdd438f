"""The agency hierarchy: which government each stored agency answers to, its kind and its level.

Inferred from the agency's name and region (the store's regions, made with the gazetteer):

- ``XX县人民政府`` is the government of XX县; its own government is that of the region above
  (a county's the city's, a city's the province's);
- ``XX县XX局`` (any department) answers to the government of its region, ``XX县人民政府``;
- a district's streets and towns (``XX街道办事处``, ``XX镇人民政府``, ``XX乡``) are township-level
  governments under the district's (or county's) government;
- ``XX县人民政府办公室`` is a department of its government (its own report); set it to
  ``government`` where it publishes the government's summary report instead;
- vertically managed bodies (税务, 海关, 调查队, 人民银行, 金融监管 …) and national bodies answer to
  no local government: a local government's summary never includes them.

What a report stated (a manifest's ``kind`` or ``level``) wins over the name; what a person set
(``set_override``, the web, ``import_csv``) wins over both and is never lost by inferring again.
The effective values are written to ``agencies.parent_id / kind / level`` (and the metric facts'
``level`` / ``kind``, so rankings by level follow); ``agency_roles`` keeps how each was found.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from ..store.oversight import AgencyOverride, AgencyRole
from ..store.regions import LEVELS, agency_kind, normalise_level
from ..store.schema import Agency, Region, Report, ReportFacts

KINDS = ("government", "department")

# How an agency's government was found: code → (zh, en). Shown to people beside the parent.
VIA: dict[str, tuple[str, str]] = {
    "region": ("同一地区的人民政府", "the government of its region"),
    "upper": ("上一级地区的人民政府", "the government of the region above"),
    "township": ("乡镇街道：所在县区的人民政府", "a street or town: the government of its county or district"),
    "vertical": ("垂直管理机关，不属地方政府", "vertically managed: no local government"),
    "national": ("中央机关，不属地方政府", "a national body: no local government"),
    "no_region": ("地区不明，无法确定所属政府", "region unknown: no government can be told"),
    "no_government": ("库中没有该地区的人民政府", "no government of that region in the store"),
    "top": ("最高一级：库中没有上一级政府", "top of the store's hierarchy: no government above"),
    "override": ("人工指定", "set by a person"),
}

_GOVERNMENT = re.compile(r"人民政府$")
_TOWNSHIP = re.compile(r"(街道办事处|街道办|街道|[镇乡](人民)?政府|[镇乡]|苏木)$")
_OFFICE = re.compile(r"人民政府办公[室厅]$")
# Vertically managed bodies: their local offices answer to the ministry, not to the local government.
_VERTICAL = re.compile(
    r"^国家税务总局|税务局$|海关$|调查队$|^中国人民银行|^国家金融监督管理总局|金融监管(分)?局$|监管分局$"
    r"|^中国证券监督管理委员会|证监局$|^国家外汇管理局|烟草专卖局$|邮政管理局$|通信管理局$|海事局$|气象局$")
_NATIONAL = re.compile(r"^(国务院|国家|中华人民共和国|中国|中央|中共中央|全国|最高人民)")


class HierarchyError(ValueError):
    """A bad override or CSV row; the message names the agency (and line) and the reason, Chinese first."""


@dataclass(frozen=True)
class Role:
    """What the name says, before the region is looked at."""
    kind: str              # government | department
    role: str              # government | township | office | vertical | national | department


def role_of(name: str, has_region: bool = True) -> Role:
    """The agency's role as its name tells it."""
    name = "".join((name or "").split())
    if _OFFICE.search(name):
        return Role("department", "office")
    if _TOWNSHIP.search(name) and not name.endswith(("县人民政府", "市人民政府", "区人民政府", "旗人民政府",
                                                     "州人民政府", "省人民政府")):
        return Role("government", "township")
    if _GOVERNMENT.search(name):
        return Role("government", "government")
    if _VERTICAL.search(name):
        return Role("department", "vertical")
    if _NATIONAL.match(name) and not has_region:
        return Role("department", "national")
    return Role("department", "department")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------- inference over the store

@dataclass
class _Agency:
    id: int
    name: str
    region_id: int | None
    kind: str | None
    level: str | None
    parent_id: int | None


def _load(s):
    agencies = {a.id: _Agency(a.id, a.name, a.region_id, a.kind, a.level, a.parent_id)
                for a in s.execute(select(Agency.id, Agency.name, Agency.region_id, Agency.kind, Agency.level,
                                          Agency.parent_id))}
    regions = {r.id: r for r in s.execute(select(Region.id, Region.name, Region.full_name, Region.level,
                                                 Region.parent_id))}
    roles = {r.agency_id: r for r in s.scalars(select(AgencyRole))}
    overrides = {o.agency_id: o for o in s.scalars(select(AgencyOverride))}
    return agencies, regions, roles, overrides


def _region_of_name(name: str, by_full: dict) -> int | None:
    """A region for an agency stored without one, from the place its name starts with."""
    from ..extract.place import resolve
    place = resolve(name)
    if place.chain:
        return by_full.get("".join(place.chain))
    return None


def _government_choice(cands: list[_Agency], region) -> _Agency:
    """Of several governments of one region, the one named after it (温州市人民政府), else the shortest name."""
    def rank(a: _Agency):
        named = a.name in (region.name + "人民政府", region.full_name + "人民政府")
        return (not named, not _GOVERNMENT.search(a.name), len(a.name), a.id)
    return min(cands, key=rank)


def infer(store) -> dict:
    """Infer every agency's government, kind and level; write the effective values.

    Returns counts: ``agencies``, ``changed`` (agencies whose parent, kind or level changed) and
    ``by_via`` (how many were placed each way).
    """
    with store.session() as s, s.begin():
        agencies, regions, roles, overrides = _load(s)
        by_full = {r.full_name: r.id for r in regions.values()}
        first_seen = {aid for aid in agencies if aid not in roles}
        stated: dict[int, tuple[str | None, str | None]] = {}
        for aid, a in agencies.items():
            if aid in first_seen:
                # what the store holds before inference ever ran came from the reports (meta.kind,
                # a manifest's level); it counts as stated where the name alone would say otherwise
                reg = regions.get(a.region_id)
                sk = a.kind if a.kind in KINDS and a.kind != agency_kind(a.name) else None
                sl = a.level if a.level in LEVELS and a.level != (reg.level if reg else None) else None
                stated[aid] = (sk, sl)
            else:
                stated[aid] = (roles[aid].stated_kind, roles[aid].stated_level)

        # 1. kind, role and level of every agency
        info: dict[int, dict] = {}
        for aid, a in agencies.items():
            region_id = a.region_id if a.region_id in regions else _region_of_name(a.name, by_full)
            role = role_of(a.name, has_region=region_id is not None)
            sk, sl = stated[aid]
            kind = sk or role.kind
            r = role.role
            if sk == "government" and r in ("office", "department"):
                r = "government"
            elif sk == "department" and r in ("government", "township"):
                r = "department"
            reg = regions.get(region_id)
            level = "township" if r == "township" else sl or (reg.level if reg else None)
            o = overrides.get(aid)
            if o is not None and o.kind:
                kind = o.kind
                if kind == "department" and r in ("government", "township"):
                    r = "department"
                elif kind == "government" and r not in ("government", "township"):
                    r = "government"
            if o is not None and o.level:
                level = o.level
            info[aid] = {"kind": kind, "role": r, "level": level, "region_id": region_id}

        # 2. the government of each region: the one people would name
        govs: dict[int, list[_Agency]] = {}
        for aid, d in info.items():
            if d["role"] == "government" and d["region_id"] is not None:
                govs.setdefault(d["region_id"], []).append(agencies[aid])
        gov_of = {rid: _government_choice(c, regions[rid]).id for rid, c in govs.items()}

        # 3. parents
        changed, by_via, new_roles, facts_changed = 0, {}, [], False
        for aid, a in agencies.items():
            d = info[aid]
            parent, via = _parent(aid, d, regions, gov_of)
            note = VIA[via][0]
            o = overrides.get(aid)
            effective_parent = parent
            if o is not None and o.parent_set:
                effective_parent = o.parent_id if o.parent_id in agencies and o.parent_id != aid else None
            by_via[via] = by_via.get(via, 0) + 1
            row = {"agency_id": aid, "parent_id": parent, "kind": d["kind"], "level": d["level"], "via": via,
                   "note": note, "stated_kind": stated[aid][0], "stated_level": stated[aid][1]}
            old = roles.get(aid)
            if old is None or any(getattr(old, k) != v for k, v in row.items()):
                new_roles.append(row)
            if (a.parent_id, a.kind, a.level) != (effective_parent, d["kind"], d["level"]):
                changed += 1
                s.execute(update(Agency).where(Agency.id == aid)
                          .values(parent_id=effective_parent, kind=d["kind"], level=d["level"]))
                if (a.kind, a.level) != (d["kind"], d["level"]):
                    s.execute(update(ReportFacts).where(ReportFacts.agency_id == aid)
                              .values(kind=d["kind"], level=d["level"]))
                    facts_changed = True
        if new_roles:
            ids = [r["agency_id"] for r in new_roles]
            for i in range(0, len(ids), 500):
                s.execute(delete(AgencyRole).where(AgencyRole.agency_id.in_(ids[i:i + 500])))
            now = _now()
            for r in new_roles:
                r["inferred_at"] = now
            s.execute(insert(AgencyRole), new_roles)
        if facts_changed:  # the rollup sums by level and kind
            from ..store import rollup
            rollup.rebuild(s)
    return {"agencies": len(agencies), "changed": changed, "by_via": by_via}


def _parent(aid: int, d: dict, regions: dict, gov_of: dict[int, int]) -> tuple[int | None, str]:
    role, rid = d["role"], d["region_id"]
    if role == "vertical":
        return None, "vertical"
    if role == "national":
        return None, "national"
    if rid is None:
        return None, "no_region"
    reg = regions[rid]
    if role == "government":
        if gov_of.get(rid) not in (None, aid):
            return gov_of[rid], "region"   # a second government of one region answers to the first
        up = reg.parent_id
        if up is None:
            return None, "top"
        return (gov_of[up], "upper") if up in gov_of else (None, "top")
    if role == "township":
        target = reg.parent_id if reg.level == "township" else rid
        return (gov_of[target], "township") if target in gov_of else (None, "no_government")
    return (gov_of[rid], "region") if rid in gov_of else (None, "no_government")


def needs_inference(store) -> bool:
    """True when some agency was stored since the hierarchy was last inferred."""
    with store.session() as s:
        return s.scalar(select(Agency.id).outerjoin(AgencyRole, AgencyRole.agency_id == Agency.id)
                        .where(AgencyRole.agency_id.is_(None)).limit(1)) is not None


def ensure(store) -> None:
    """Infer the hierarchy when agencies were added since it last was (cheap when nothing is new).

    Two readers may find it stale at once (two pages opened together): the one whose writes lose the
    race leaves the work to the other."""
    from sqlalchemy.exc import IntegrityError, OperationalError
    if needs_inference(store):
        try:
            infer(store)
        except (IntegrityError, OperationalError):
            if needs_inference(store):
                raise


# ---------------------------------------------------------------------- overrides

UNSET = object()


def find_agency(store, agency: int | str, region: str | None = None) -> dict:
    """An agency by id or exact name (and region, where one name is used in two regions)."""
    with store.session() as s:
        if isinstance(agency, int) or str(agency).isdigit():
            rows = s.execute(select(Agency.id, Agency.name, Agency.region_id).where(Agency.id == int(agency))).all()
        else:
            name = "".join(str(agency).split())
            q = select(Agency.id, Agency.name, Agency.region_id).where(Agency.name == name)
            if region:
                q = q.join(Region, Region.id == Agency.region_id).where(
                    (Region.full_name == region) | (Region.name == region))
            rows = s.execute(q.order_by(Agency.id)).all()
    if not rows:
        raise HierarchyError(f"库中没有机关 (no such agency): {agency}")
    if len(rows) > 1:
        raise HierarchyError(f"有 {len(rows)} 个机关名为 {agency}，请给出地区或 id "
                             f"(several agencies are called {agency}: give the region or the id)")
    return {"id": rows[0][0], "name": rows[0][1], "region_id": rows[0][2]}


def set_override(store, agency: int | str, *, parent=UNSET, kind: str | None = None, level: str | None = None,
                 user: str | None = None, reason: str | None = None, source: str = "cli",
                 region: str | None = None) -> dict:
    """Set what a person knows about an agency: its government (``parent``: id, name, or None for none),
    kind, level. What is not given stays as it was set before (or inferred). Returns the agency's node."""
    ag = find_agency(store, agency, region)
    _validate(kind, level)
    parent_id = UNSET
    if parent is not UNSET:
        parent_id = None if parent in (None, "") else find_agency(store, parent)["id"]
        if parent_id == ag["id"]:
            raise HierarchyError(f"{ag['name']}: 不能以自身为上级 (an agency cannot answer to itself)")
        if parent_id is not None and _would_cycle(store, ag["id"], parent_id):
            raise HierarchyError(f"{ag['name']}: 指定的上级是其下级，形成循环 (the parent answers to this agency: "
                                 "a cycle)")
    with store.session() as s, s.begin():
        o = s.get(AgencyOverride, ag["id"])
        if o is None:
            o = AgencyOverride(agency_id=ag["id"], parent_set=False, source=source, set_at=_now())
            s.add(o)
        if parent_id is not UNSET:
            o.parent_set, o.parent_id = True, parent_id
        if kind:
            o.kind = kind
        if level:
            o.level = normalise_level(level)
        o.source, o.set_by, o.set_at, o.reason = source, user, _now(), reason
    infer(store)
    return node(store, ag["id"])


def clear_override(store, agency: int | str, region: str | None = None) -> dict:
    """Forget what a person set for an agency: it goes back to what inference finds."""
    ag = find_agency(store, agency, region)
    with store.session() as s, s.begin():
        s.execute(delete(AgencyOverride).where(AgencyOverride.agency_id == ag["id"]))
    infer(store)
    return node(store, ag["id"])


def _validate(kind, level) -> None:
    if kind and kind not in KINDS:
        raise HierarchyError(f"类别须为 government 或 department (kind must be government or department): {kind}")
    if level and normalise_level(level) is None:
        raise HierarchyError(f"未知层级 (unknown level): {level}; 可用 (use) {', '.join(LEVELS)}")


def _would_cycle(store, agency_id: int, parent_id: int) -> bool:
    with store.session() as s:
        parents = dict(s.execute(select(Agency.id, Agency.parent_id)).all())
    seen, cur = set(), parent_id
    while cur is not None and cur not in seen:
        if cur == agency_id:
            return True
        seen.add(cur)
        cur = parents.get(cur)
    return False


CSV_COLUMNS = ("agency", "region", "parent", "kind", "level", "reason")


def import_csv(store, path: str | Path | None = None, *, text: str | None = None, user: str | None = None,
               source: str = "csv") -> dict:
    """Overrides from a CSV (UTF-8, header ``agency,region,parent,kind,level,reason``; only ``agency``
    is required). An agency not yet in the store is added (with ``region``), so that the departments a
    government should have are known, and named as missing when they publish nothing. A bad row is
    reported with its line and skipped; the others are applied. Returns {"applied", "added", "errors"}."""
    name = str(path) if path is not None else "<csv>"
    if text is None:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise HierarchyError(f"{name}: 无法读取 (cannot read): {exc}") from exc
        except UnicodeDecodeError as exc:
            raise HierarchyError(f"{name}: 不是 UTF-8 编码 (not UTF-8): {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "agency" not in fields:
        raise HierarchyError(f"{name}: 缺少 agency 列 (no 'agency' column); 列 (columns): {', '.join(CSV_COLUMNS)}")
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if any(row.values()):
            rows.append((line, row))
    errors, applied, added = [], 0, 0
    # agencies first (a row may name as parent an agency added by a later row), then what is set
    for line, row in rows:
        try:
            _validate(row.get("kind"), row.get("level"))
            if not row.get("agency"):
                raise HierarchyError("agency 为空 (empty agency)")
            added += _ensure_agency(store, row)
        except HierarchyError as exc:
            errors.append({"line": line, "agency": row.get("agency"), "error": str(exc)})
            row["_bad"] = True
    with store.session() as s, s.begin():
        for line, row in rows:
            if row.get("_bad"):
                continue
            try:
                ag = find_agency(store, row["agency"], row.get("region") or None)
                parent_id = UNSET
                if "parent" in row and row["parent"] != "":
                    parent_id = None if row["parent"] in ("-", "无", "none") else \
                        find_agency(store, row["parent"])["id"]
                    if parent_id == ag["id"]:
                        raise HierarchyError("不能以自身为上级 (an agency cannot answer to itself)")
                if parent_id is UNSET and not row.get("kind") and not row.get("level"):
                    continue  # only listed (added): nothing to set
                o = s.get(AgencyOverride, ag["id"])
                if o is None:
                    o = AgencyOverride(agency_id=ag["id"], parent_set=False, source=source, set_at=_now())
                    s.add(o)
                if parent_id is not UNSET:
                    o.parent_set, o.parent_id = True, parent_id
                if row.get("kind"):
                    o.kind = row["kind"]
                if row.get("level"):
                    o.level = normalise_level(row["level"])
                o.source, o.set_by, o.set_at, o.reason = source, user, _now(), row.get("reason") or None
                applied += 1
            except HierarchyError as exc:
                errors.append({"line": line, "agency": row.get("agency"), "error": str(exc)})
    infer(store)
    return {"applied": applied, "added": added, "errors": errors, "file": name}


def _ensure_agency(store, row: dict) -> int:
    """Add an agency the CSV names and the store does not hold; 1 when added."""
    try:
        find_agency(store, row["agency"], row.get("region") or None)
        return 0
    except HierarchyError as exc:
        if "several" in str(exc):
            raise
    with store.session() as s, s.begin():
        region = store._region(s, row.get("region") or None)
        store._agency(s, row["agency"], region, normalise_level(row.get("level")), row.get("kind") or None)
    return 1


# ---------------------------------------------------------------------- reading

def node(store, agency_id: int) -> dict:
    """One agency with its government, how that was found, and what a person set."""
    with store.session() as s:
        a = s.get(Agency, agency_id)
        if a is None:
            raise HierarchyError(f"库中没有机关 (no such agency): {agency_id}")
        role = s.get(AgencyRole, agency_id)
        o = s.get(AgencyOverride, agency_id)
        parent = s.get(Agency, a.parent_id) if a.parent_id else None
        region = s.get(Region, a.region_id) if a.region_id else None
        return _node_dict(a, role, o, parent, region)


def _node_dict(a, role, o, parent, region) -> dict:
    via = "override" if o is not None and o.parent_set else (role.via if role else None)
    return {"id": a.id, "name": a.name, "kind": a.kind, "level": a.level,
            "region": region.full_name if region else None, "region_id": a.region_id,
            "parent": None if parent is None else {"id": parent.id, "name": parent.name},
            "via": via, "via_zh": VIA[via][0] if via in VIA else None, "via_en": VIA[via][1] if via in VIA else None,
            "inferred": None if role is None else {"parent_id": role.parent_id, "kind": role.kind,
                                                   "level": role.level, "via": role.via},
            "override": None if o is None else {
                "parent_set": o.parent_set, "parent_id": o.parent_id, "kind": o.kind, "level": o.level,
                "source": o.source, "set_by": o.set_by, "set_at": o.set_at, "reason": o.reason}}


def children(store, agency_id: int) -> list[dict]:
    """The agencies that answer to ``agency_id`` directly, governments first, with their report years."""
    with store.session() as s:
        rows = s.execute(select(Agency, AgencyRole, AgencyOverride, Region)
                         .outerjoin(AgencyRole, AgencyRole.agency_id == Agency.id)
                         .outerjoin(AgencyOverride, AgencyOverride.agency_id == Agency.id)
                         .outerjoin(Region, Region.id == Agency.region_id)
                         .where(Agency.parent_id == agency_id)).all()
        parent = s.get(Agency, agency_id)
        ids = [r[0].id for r in rows]
        years: dict[int, list[int]] = {}
        for i in range(0, len(ids), 500):
            for aid, y in s.execute(select(Report.agency_id, Report.year).where(Report.agency_id.in_(ids[i:i + 500]))):
                if y is not None:
                    years.setdefault(aid, []).append(y)
    out = []
    for a, role, o, region in rows:
        d = _node_dict(a, role, o, parent, region)
        d["years"] = sorted(years.get(a.id, []))
        out.append(d)
    out.sort(key=lambda d: (d["kind"] != "government", d["name"]))
    return out


def tree(store, agency_id: int, depth: int = 3) -> dict:
    """The agency and the agencies under it, ``depth`` levels down."""
    root = node(store, agency_id)
    with store.session() as s:
        root["years"] = sorted(y for y in s.scalars(select(Report.year).where(Report.agency_id == agency_id))
                               if y is not None)
    root["children"] = _subtree(store, agency_id, depth)
    return root


def _subtree(store, agency_id: int, depth: int, seen: set | None = None) -> list[dict]:
    seen = seen if seen is not None else {agency_id}
    if depth <= 0:
        return []
    out = []
    for c in children(store, agency_id):
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        c["children"] = _subtree(store, c["id"], depth - 1, seen) if c["kind"] == "government" else []
        out.append(c)
    return out


def export_csv(store) -> str:
    """Every agency with its effective government, kind and level, in the import's columns (edit and import)."""
    with store.session() as s:
        rows = s.execute(select(Agency.id, Agency.name, Agency.kind, Agency.level, Agency.parent_id,
                                Region.full_name).outerjoin(Region, Region.id == Agency.region_id)
                         .order_by(Region.full_name, Agency.name)).all()
    names = {r[0]: r[1] for r in rows}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for aid, name, kind, level, parent_id, region in rows:
        w.writerow([name, region or "", names.get(parent_id, "") if parent_id else "", kind or "", level or "", ""])
    return buf.getvalue()

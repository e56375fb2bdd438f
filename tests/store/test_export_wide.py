"""The wide export (a row per report): every cell of the record in its column, whatever the layout.

The rows are built a table row at a time (``export._wide_filler``) rather than by looking each cell
up; these tests hold that to the definition — the value ``iter_cells`` gives for the column's ref —
on records of both table-二 layouts, with amounts, whole-number floats, rows of the wrong shape, and
JSON that only Python's reader takes.
"""
from __future__ import annotations

import json
import math
import random

import pytest

pytest.importorskip("sqlalchemy")

from nianbao.generate.records import random_record  # noqa: E402
from nianbao.store import export as ex  # noqa: E402
from nianbao.store import jsoncodec  # noqa: E402
from nianbao.store.cells import iter_cells  # noqa: E402


def _expected(record: dict, columns: list[str]) -> dict:
    money = ex.amount_cells()
    want = dict.fromkeys(columns)
    for ref, *_rest, v in iter_cells(record):
        if ref in want:
            want[ref] = v if ref in money else ex._whole(v)
    return want


def _records(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        form = rng.choice(["2019", "2021"])
        rec = random_record(rng, form, t2_layout=rng.choice(["2019", "2021"]))
        rec["meta"]["agency"] = f"{rec['meta']['agency']}{i}"  # every record its own report
        out.append(rec)
    # the odd shapes a stored record can have: a count printed with .0, an amount with decimals, a row
    # that is one number where the layout wants three (and the reverse), a row longer than the table
    odd = out[0]
    odd["t2"] = {"layout": "2021", "regulations": 7, "licensing": [1, 2], "fees_wan": 18.84,
                 "punishment": 3.0, "normative_docs": [1.0, 2.5, 3, 4, 5]}
    odd["t3"]["rows"]["new"] = [1.0, 2, 3, 4, 5, 6, 21.0, 99]
    return out


def test_wide_rows_hold_every_cell_of_the_record(store):
    from nianbao.store import Doc
    records = _records(40, seed=3)
    results = store.store_records([Doc(record=r, data=json.dumps(r).encode()) for r in records])
    assert all(r["status"] == "stored" for r in results), results
    columns, rows = ex.wide_rows(store, {})
    rows = list(rows)
    assert len(rows) == len(records)
    by_agency = {r["meta"]["agency"]: r for r in records}
    for row in rows:
        want = _expected(by_agency[row["agency"]], columns[len(ex.META_COLUMNS):])
        got = {c: row[c] for c in want}
        assert got == want
        assert all(type(got[c]) is type(want[c]) for c in want), row["agency"]
    odd = next(r for r in rows if r["agency"] == records[0]["meta"]["agency"])
    assert odd["t2.fees_wan"] == 18.84 and odd["t2.punishment"] == 3 and type(odd["t2.punishment"]) is int
    assert odd["t2.regulations[0]"] is None and odd["t2.licensing"] is None
    assert odd["t3.new[0]"] == 1 and odd["t3.new[6]"] == 21 and type(odd["t3.new[6]"]) is int


def test_xlsx_export_reads_back_equal(store, tmp_path):
    from openpyxl import load_workbook

    from nianbao.store import Doc
    records = _records(25, seed=9)
    store.store_records([Doc(record=r, data=json.dumps(r).encode()) for r in records])
    out = tmp_path / "wide.xlsx"
    assert store.export(str(out), fmt="xlsx", form="wide") == len(records)
    sheet = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    columns = list(sheet[0])
    _, rows = ex.wide_rows(store, {})
    for line, row in zip(sheet[1:], rows, strict=True):
        for c, v in zip(columns, line):
            want = row[c]
            if isinstance(want, bool):
                want = int(want)
            assert v == want or (v is None and want in (None, "")), (c, v, want)


def test_json_python_writes_that_orjson_refuses_is_still_read():
    text = json.dumps({"a": float("nan"), "b": 2 ** 70, "c": [float("inf")], "名": "值"})
    got = jsoncodec.loads(text)
    assert math.isnan(got["a"]) and got["b"] == 2 ** 70 and got["c"] == [float("inf")] and got["名"] == "值"
    assert jsoncodec.loads(b'{"x": [1, 2.5, null]}') == {"x": [1, 2.5, None]}
    with pytest.raises(ValueError):
        jsoncodec.loads("{not json")


def test_a_stored_record_with_a_huge_number_reads_back(store):
    from nianbao.store import Doc
    rec = _records(1, seed=5)[0]
    rec["meta"]["note"] = 2 ** 70  # beyond 64 bits: orjson refuses it, json reads it
    res = store.store_records([Doc(record=rec, data=b"huge")])[0]
    assert res["status"] == "stored"
    columns, rows = ex.wide_rows(store, {})
    assert len(list(rows)) == 1
    assert store.get_report(res["report_id"])["record"]["meta"]["note"] == 2 ** 70

"""Excel: the workbook written like the template, filled by a script with openpyxl, read back, rendered;
a bad workbook gets messages that name each cell (sheet, cell, row and column labels)."""
from __future__ import annotations

import random

import openpyxl
import pytest
from typer.testing import CliRunner

from nianbao.author.draft import get_value, leaf_refs, new_draft, to_record
from nianbao.author.layout import grids
from nianbao.author.workbook import SHEETS, WorkbookError, positions, read_workbook, write_workbook
from nianbao.cli import app as cli
from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.template import T3_TOTAL_COL


def _previous(year=2024):
    rng = random.Random(21)
    rec = random_record(rng, "2021", year, scale="medium")
    add_prose(rng, rec)
    return rec


def _fill(path_in, path_out, figures: dict, *, skip=(), date="2026-01-22", texts=None):
    """What an agency's staff do: open the workbook, type the figures and the texts, save."""
    wb = openpyxl.load_workbook(path_in)
    blank = to_record(new_draft("某局", figures["meta"]["year"], form=figures["meta"]["template"]))
    for key, grid in grids(blank).items():
        ws = wb[SHEETS[key]]
        for ref, (row, col) in positions(grid).items():
            if ref in set(leaf_refs(figures["meta"]["template"])) and ref not in skip:
                ws.cell(row, col).value = get_value(figures, ref)
    wb["说明"]["B9"] = date
    for i, text in enumerate(texts or [], start=2):
        wb["正文"].cell(i, 3).value = text
    wb.save(path_out)


TEXTS = ["本年度我局坚持以公开为常态、不公开为例外。", "通过门户网站主动公开政府信息。", "依法依规办理政府信息公开申请。",
         "本年度未发生政府信息公开行政复议、行政诉讼案件。", "存在的问题是政策解读形式单一，下一步将加以改进。",
         "依据《政府信息公开信息处理费管理办法》收取信息处理费的情况：本年度未收取信息处理费。"]


def test_workbook_shape(tmp_path):
    prev = _previous()
    draft = new_draft(prev["meta"]["agency"], 2025, previous=prev)
    path = tmp_path / "t.xlsx"
    path.write_bytes(write_workbook(draft))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "表二", "表三", "表四", "正文"]
    t3 = wb["表三"]
    pos = positions(grids(to_record(draft))["t3"])
    # leaf cells unlocked, totals locked formulas, the sheet protected
    r, c = pos["t3.granted[0]"]
    assert t3.cell(r, c).protection.locked is False
    r, c = pos["t3.granted[6]"]
    assert t3.cell(r, c).protection.locked is True and str(t3.cell(r, c).value).startswith("=SUM(")
    r, c = pos["t3.total[2]"]
    assert str(t3.cell(r, c).value).startswith("=SUM(")
    assert t3.protection.sheet
    # the merged header cells of the template
    merged = {str(m) for m in t3.merged_cells.ranges}
    assert "A3:C5" in merged  # the 3×3 corner
    assert any(m.startswith("A8:") for m in merged)  # 三、本年度办理结果 down the result rows
    # pre-filled where known: 上年结转 = last year's 结转下年度; 现行有效 a formula on 制发/废止
    r, c = pos["t3.carried[0]"]
    assert t3.cell(r, c).value == prev["t3"]["rows"]["carry_next"][0]
    p2 = positions(grids(to_record(draft))["t2"])
    r, c = p2["t2.regulations[2]"]
    assert wb["表二"].cell(r, c).value.startswith(f"={prev['t2']['regulations'][2]}+")
    # last year's text beside this year's box
    assert wb["正文"]["D2"].value and not wb["正文"]["C2"].value


def test_fill_by_script_load_and_render(tmp_path):
    prev = _previous()
    draft = new_draft(prev["meta"]["agency"], 2025, previous=prev)
    blank = tmp_path / "t.xlsx"
    blank.write_bytes(write_workbook(draft))
    figures = random_record(random.Random(5), "2021", 2025, scale="medium")
    rows = figures["t3"]["rows"]
    rows["carried"] = list(prev["t3"]["rows"]["carry_next"])  # as pre-filled
    for c in range(T3_TOTAL_COL):
        rows["new"][c] = max(0, rows["total"][c] + rows["carry_next"][c] - rows["carried"][c])
        rows["carry_next"][c] = rows["new"][c] + rows["carried"][c] - rows["total"][c]
    filled = tmp_path / "filled.xlsx"
    _fill(blank, filled, figures, skip={"t2.regulations[2]", "t2.normative_docs[2]"}, texts=TEXTS)
    record, contact = read_workbook(filled)
    for ref in leaf_refs("2021"):
        if ref.endswith("regulations[2]") or ref.endswith("normative_docs[2]"):
            continue
        assert get_value(record, ref) == get_value(figures, ref), ref
    # the suggestion formula the author left in place: last year's + issued − repealed
    reg = figures["t2"]["regulations"]
    assert record["t2"]["regulations"][2] == prev["t2"]["regulations"][2] + reg[0] - reg[1]
    assert record["t3"]["rows"]["total"][T3_TOTAL_COL] == sum(record["t3"]["rows"]["total"][:T3_TOTAL_COL])
    assert record["meta"]["published"] == "2026-01-22" and record["sections"][4]["text"] == TEXTS[4]
    from nianbao.author.checks import check_draft
    from nianbao.author.draft import merge
    from nianbao.author.publish import export
    merge(draft, record, contact)
    errors = [f for f in check_draft(draft) if f["severity"] == "error"]
    assert not errors, errors
    out = export(draft, "docx")
    (tmp_path / "report.docx").write_bytes(out.data)
    from nianbao.extract import extract_path
    got = extract_path(tmp_path / "report.docx")
    assert got["t3"]["rows"] == record["t3"]["rows"] and got["t2"]["regulations"] == record["t2"]["regulations"]


def test_bad_workbook_names_each_cell(tmp_path):
    draft = new_draft("温州市人力资源和社会保障局", 2025)
    path = tmp_path / "t.xlsx"
    path.write_bytes(write_workbook(draft))
    pos = positions(grids(to_record(draft))["t3"])
    wb = openpyxl.load_workbook(path)
    t3 = wb["表三"]
    r1, c1 = pos["t3.granted[0]"]
    t3.cell(r1, c1).value = "十二"
    r2, c2 = pos["t3.carry_next[1]"]
    t3.cell(r2, c2).value = -2
    r3, c3 = pos["t3.new[6]"]
    t3.cell(r3, c3).value = 99           # a total typed over with a wrong number
    r4, c4 = pos["t3.partial[3]"]
    t3.cell(r4, c4).value = "=A1*2"      # a formula nothing computed
    del wb["表四"]
    wb["说明"]["B9"] = "明年"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(WorkbookError) as exc:
        read_workbook(tmp_path / "bad.xlsx")
    text = str(exc.value)
    problems = exc.value.problems
    assert len(problems) == 6, problems
    assert f"表三!{openpyxl.utils.get_column_letter(c1)}{r1}（“(一)予以公开”行 × “自然人”列）：“十二”不是数字" in text
    assert "“四、结转下年度继续办理”行 × “商业企业”列）：件数不能为负数" in text
    assert "“一、本年新收政府信息公开申请数量”行 × “总计”列）：合计栏应为公式" in text
    assert "“(二)部分公开" in text and "含公式且没有计算结果" in text
    assert "缺少工作表“表四”" in text
    assert "说明!B9（落款日期）" in text


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(b"not a zip at all"), "不是 Excel 工作簿"),
    (lambda p: _drop_sheet(p, "说明"), "缺少工作表“说明”"),
    (lambda p: _move_rows(p), "表格的行被移动或改写"),
])
def test_unreadable_workbooks(tmp_path, damage, message):
    path = tmp_path / "t.xlsx"
    path.write_bytes(write_workbook(new_draft("温州市人力资源和社会保障局", 2025)))
    damage(path)
    with pytest.raises(Exception) as exc:
        read_workbook(path)
    assert message in str(exc.value) and str(path) in str(exc.value)


def _drop_sheet(path, name):
    wb = openpyxl.load_workbook(path)
    del wb[name]
    wb.save(path)


def _move_rows(path):
    wb = openpyxl.load_workbook(path)
    wb["表三"].insert_rows(7)
    wb.save(path)


def test_cli_template_fill_load_render(tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("NIANBAO_USER", "王")
    runner = CliRunner()
    blank = tmp_path / "out.xlsx"
    r = runner.invoke(cli, ["author", "template", "--year", "2025", str(blank), "--db", db])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(blank)
    assert wb["说明"]["B4"].protection.locked is False  # no agency given: the staff name it
    wb["说明"]["B4"] = "温州市人力资源和社会保障局"
    wb.save(blank)
    figures = random_record(random.Random(8), "2021", 2025, scale="small")
    filled = tmp_path / "filled.xlsx"
    _fill(blank, filled, figures, texts=TEXTS)
    r = runner.invoke(cli, ["author", "load", str(filled), "--db", db])
    assert r.exit_code == 0, r.output
    assert "已存为草稿 #1 第 2 版" in r.output
    r = runner.invoke(cli, ["author", "render", "--draft", "1", "--out", str(tmp_path / "r.html"), "--db", db])
    assert r.exit_code == 0, r.output
    assert "温州市人力资源和社会保障局" in (tmp_path / "r.html").read_text(encoding="utf-8")
    r = runner.invoke(cli, ["author", "show", "1", "--db", db])
    assert "export" in r.output and "王" in r.output
    # a broken workbook: exit 3, every problem with its place
    wb = openpyxl.load_workbook(filled)
    wb["表四"]["A6"] = "两件"
    wb.save(tmp_path / "bad.xlsx")
    r = runner.invoke(cli, ["author", "load", str(tmp_path / "bad.xlsx"), "--db", db])
    assert r.exit_code == 3 and "表四!A6（“行政复议”行 × “结果维持”列）" in r.output, r.output


def test_workbook_of_the_2019_form(tmp_path):
    """2019 and 2020 reports: the 2019 form's table 二 (本年增/减 may be negative, 采购总金额 in 万元)."""
    draft = new_draft("温州市教育局", 2020)
    assert draft["record"]["meta"]["template"] == "2019"
    path = tmp_path / "t19.xlsx"
    path.write_bytes(write_workbook(draft))
    figures = random_record(random.Random(3), "2019", 2020)
    _fill(path, tmp_path / "f19.xlsx", figures, date="2021-01-20", texts=TEXTS)
    record, _ = read_workbook(tmp_path / "f19.xlsx")
    assert record["t2"] == figures["t2"]
    assert record["t3"]["rows"] == figures["t3"]["rows"] and "other" in record["t3"]["rows"]
    assert record["t4"] == figures["t4"]

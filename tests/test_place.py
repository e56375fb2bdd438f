"""meta.region: the gazetteer and the resolver, over cases built from the gazetteer's own data."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from nianbao import gazetteer
from nianbao.extract.meta import region_of
from nianbao.extract.place import resolve
from nianbao.gazetteer import COUNTY, CITY, PROVINCE, MUNICIPALITIES

CURRENT = [p for p in gazetteer.places() if p.code]
COUNTIES = [p for p in CURRENT if p.level == COUNTY]
CITIES = [p for p in CURRENT if p.level == CITY]
FILLER = "本年度，我局认真贯彻落实《条例》要求，不断加大政府信息公开力度，积极回应社会关切。\n" * 3


def _names(level):
    by = defaultdict(list)
    for p in gazetteer.places():
        if p.level == level:
            by[p.name].append(p)
    return by


COUNTY_NAMES = _names(COUNTY)
UNIQUE_COUNTIES = [ps[0] for n, ps in COUNTY_NAMES.items() if len(ps) == 1 and ps[0].code and len(n) > 2]
# names shared by counties of different provinces: 鼓楼区, 市中区, 城关区 …
AMBIGUOUS = {n: ps for n, ps in COUNTY_NAMES.items()
             if len({p.chain[0] for p in ps}) > 1 and all(p.code for p in ps)}


def test_the_gazetteer_has_every_level_and_the_recent_changes():
    assert len([p for p in CURRENT if p.level == PROVINCE]) == 33      # 台湾省 has no published code
    assert len(CITIES) >= 330 and len(COUNTIES) >= 2800
    # a municipality's districts and a province's directly administered cities hang under the province
    assert {p.chain[0] for p in COUNTIES if p.chain[0] in MUNICIPALITIES} == set(MUNICIPALITIES)
    assert all(p.chain[0] in MUNICIPALITIES or p.code[2:4] == "90" for p in COUNTIES if len(p.chain) == 2)
    earlier = [p for p in gazetteer.places() if p.code is None]
    assert len(earlier) > 50 and all(p.until for p in earlier) and all(p.now for p in earlier if p.level == COUNTY)
    assert sum(gazetteer.by_full(p.now) is not None for p in earlier) > len(earlier) * 0.8
    assert len(AMBIGUOUS) > 20
    assert gazetteer.metadata()["divisions"] >= "2025"


@pytest.mark.parametrize("i", range(0, 2800, 97))
def test_a_county_named_with_its_city_resolves_to_its_whole_chain(i):
    p = COUNTIES[i % len(COUNTIES)]
    prefix = "".join(p.chain[:-1]) if len(p.chain) == 3 else p.chain[0]
    for agency in (f"{prefix}{p.name}人民政府", f"{p.chain[-2]}{p.name}人力资源和社会保障局"):
        r = resolve(agency, FILLER, 2022)
        assert r.name == p.full and r.place.code == p.code and r.via == "agency", agency


@pytest.mark.parametrize("i", range(0, 330, 23))
def test_a_prefecture_resolves_to_province_and_city(i):
    p = CITIES[i]
    assert region_of(f"{p.name}人民政府办公室") == p.full


def test_a_province_level_body_is_its_province():
    for p in CURRENT:
        if p.level == PROVINCE:
            assert region_of(f"{p.name}人力资源和社会保障厅") == p.full


@pytest.mark.parametrize("i", range(0, 2000, 131))
def test_a_unique_county_name_alone_gets_its_city_and_province(i):
    p = UNIQUE_COUNTIES[i % len(UNIQUE_COUNTIES)]
    r = resolve(f"{p.name}市场监督管理局", FILLER, 2023)
    assert r.name == p.full, (p.name, r)


def test_an_ambiguous_county_stays_unresolved_without_context():
    for name, ps in sorted(AMBIGUOUS.items())[:25]:
        r = resolve(f"{name}人民政府", FILLER, 2022)
        assert r.name is None and r.via == "ambiguous", (name, r)
        assert sorted(r.candidates) == sorted(p.full for p in ps)


def test_an_ambiguous_county_is_settled_by_its_city_named_in_the_text():
    for name, ps in sorted(AMBIGUOUS.items())[:25]:
        for p in ps:
            parent = p.chain[-2]
            others = [q for q in ps if q is not p and parent in q.chain]
            if others:
                continue
            text = f"{name}人民政府\n{FILLER}联系地址：{parent}人民路1号\n"
            r = resolve(f"{name}人民政府", text, 2022)
            assert r.name == p.full and r.via == "agency+text", (name, parent, r)
            assert text[r.context[0]:r.context[1]] == parent


def test_an_ambiguous_county_named_with_two_rival_cities_stays_unresolved():
    name, ps = sorted(AMBIGUOUS.items())[0]
    text = f"{FILLER}赴{ps[0].chain[-2]}、{ps[1].chain[-2]}学习交流。"
    assert resolve(f"{name}人民政府", text, 2022).name is None


def test_names_shared_within_one_province_keep_what_is_certain():
    by_province = [(n, ps) for n, ps in COUNTY_NAMES.items()
                   if len(ps) > 1 and len({p.chain[0] for p in ps}) == 1 and all(p.code for p in ps)]
    assert by_province
    for name, ps in by_province[:10]:
        r = resolve(f"{name}人民政府", FILLER, 2022)
        assert r.name == ps[0].chain[0] and r.place.level == PROVINCE, (name, r)


def test_national_bodies_have_no_region():
    text = FILLER + "地址：北京市西城区某某街1号\n北京市西城区\n"
    for agency in ("国务院办公厅", "国家税务总局", "中华人民共和国海关总署", "国家市场监督管理总局"):
        r = resolve(agency, text, 2022)
        assert r.name is None and r.via == "national", agency
    # a local office of a national body is in its place
    p = CITIES[5]
    assert region_of(f"国家税务总局{p.name}税务局") == p.full


def test_earlier_names_hold_for_their_years_only():
    earlier = [p for p in gazetteer.places() if p.code is None and p.level == COUNTY
               and len(COUNTY_NAMES[p.name]) == 1]
    assert earlier
    for p in earlier:
        city = p.chain[-2]
        r = resolve(f"{city}{p.name}人民政府", FILLER, p.until - 2)
        assert r.name == p.full and r.place.now and r.place.code is None, p
        # still the place when a later report keeps the old name and nothing current bears it
        assert resolve(f"{city}{p.name}人民政府", FILLER, p.until + 3).name == p.full
    # a name both current and earlier (城区 of 阳泉 and of 大同 until 2018) has only its current readings later
    shared = [n for n, ps in COUNTY_NAMES.items() if any(p.code for p in ps) and any(p.until for p in ps)]
    assert shared
    for name in shared:
        ps = COUNTY_NAMES[name]
        until = max(p.until for p in ps if p.until)
        later = resolve(f"{name}人民政府", FILLER, until + 1)
        current = sorted(p.full for p in ps if p.code)
        assert later.name == (current[0] if len(current) == 1 else later.name)
        assert set(later.candidates or [later.name]) <= set(current), name
        before = resolve(f"{name}人民政府", FILLER, until - 1)
        assert set(before.candidates) >= {p.full for p in ps if p.until and p.until >= until - 1}, name


def test_autonomous_units_answer_to_their_usual_short_form():
    for p in CITIES:
        if p.name.endswith("自治州"):
            alias = [n for n in (p.name,) if n]
            short = [n for n in gazetteer._index().by_name if p in gazetteer.lookup(n) and n != p.name]
            assert short, p
            assert region_of(f"{short[0]}人民政府") == p.full
            assert region_of(f"{alias[0]}人民政府") == p.full


def test_without_an_agency_the_sign_off_decides():
    p = UNIQUE_COUNTIES[17]
    text = f"{FILLER}\n{p.chain[-2]}{p.name}教育局\n2023年1月20日\n"
    r = resolve(None, text, 2022)
    assert r.name == p.full and r.via == "head"
    assert text[r.span[0]:r.span[1]] == p.chain[-2] + p.name


def test_without_an_agency_a_dominant_body_name_decides_and_rivals_leave_it_open():
    a, b = CITIES[10], CITIES[200]
    head = "年度报告\n" + "本年度工作情况如下。" * 200
    body = head + f"{a.name}推进政务公开。" * 3 + f"赴{b.name}学习一次。" + "落实要求。" * 200
    assert resolve(None, body, 2022).name == a.full
    even = head + f"{a.name}推进政务公开。" * 2 + f"{b.name}推进政务公开。" * 2 + "落实要求。" * 200
    assert resolve(None, even, 2022).name is None


def test_short_names_are_a_last_resort_and_never_cut_words():
    p = next(q for q in UNIQUE_COUNTIES if gazetteer.find_short(f"“才聚{q.name[:-1]}”", [])
             and len(q.name) == 3)
    short = p.name[:-1]
    text = FILLER + f"充分发挥“才聚{short}”“{short}微社保”公众号作用。" + FILLER
    r = resolve(None, text, 2023)
    assert r.name == p.full and r.via == "short"
    once = FILLER + f"充分发挥“才聚{short}”公众号作用。" + FILLER
    assert resolve(None, once, 2023).name is None
    # 公开平台 holds 开平, 创新和政务 holds 新和 and 和政: none of them is read
    noise = "依托政务公开平台，推进创新和政务新媒体建设。" * 4
    assert gazetteer.find_short(noise, []) == []
    assert resolve(None, noise, 2023).name is None


def test_a_generic_district_word_needs_its_city():
    assert [m.weak for m in gazetteer.find("推进城区、郊区和矿区改造")] == [True, True, True]
    assert resolve(None, "推进城区改造。" * 5, 2022).name is None
    cities = [p for p in COUNTY_NAMES["城区"] if p.code]
    city = cities[0].chain[-2]
    assert resolve(None, f"{city}城区人民政府\n" + FILLER, 2022).name == cities[0].full


def test_region_of_keeps_its_old_contract():
    assert region_of(None) is None and region_of("") is None
    assert region_of("某某单位") is None


def test_seed_regions_match_the_truth(shared):
    from nianbao.extract import extract_path
    for truth_file in sorted((shared / "seeds" / "truth").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        rec = extract_path(shared / "seeds" / (truth_file.stem + ".txt"))
        assert rec["meta"]["region"] == truth["meta"]["region"], truth_file.name
        prov = rec["provenance"]["meta.region"]
        assert prov["via"] and prov["code"]
        # the span names the place
        from nianbao.sources import read
        text = read(shared / "seeds" / (truth_file.stem + ".txt")).text
        s, e = prov["span"]
        assert text[s:e] and text[s:e] in truth["meta"]["region"] or text[s:e][:2] in truth["meta"]["region"]


def test_a_place_the_gazetteer_does_not_know_is_not_replaced_by_one_it_does():
    p = UNIQUE_COUNTIES[3]
    # a city that does not exist before a real county: the agency contradicts the gazetteer
    text = f"江州市{p.name}人民政府\n{FILLER}江州市{p.name}人民政府\n"
    r = resolve(f"江州市{p.name}人民政府", text, 2022)
    assert r.name is None and r.via == "unknown"
    # an unknown place leading the name: the text does not stand in for it
    r = resolve("江州市教育局", f"{FILLER}{p.chain[-2]}{p.name}教育局\n", 2022)
    assert r.name is None and r.via == "unknown"
    # words before a known place that are not a place do not count against it
    for prefix in ("中共", "国家税务总局", "中国人民银行"):
        assert region_of(f"{prefix}{p.chain[-2]}{p.name}委员会") == p.full, prefix
    # no place in the agency's name at all: the text decides
    assert resolve("市场监督管理局", f"{p.chain[-2]}{p.name}市场监督管理局\n{FILLER}", 2022).name == p.full


def test_a_run_of_names_that_contradicts_the_gazetteer_keeps_only_what_both_readings_share():
    a, b = CITIES[40], next(p for p in COUNTIES if p.chain[0] != CITIES[40].chain[0] and p.code and
                            len(COUNTY_NAMES[p.name]) == 1 and not p.name.endswith("区"))
    r = resolve(f"{a.name}{b.name}人民政府", FILLER, 2022)
    assert r.name is None and r.via == "ambiguous" and set(r.candidates) == {a.full, b.full}
    same_province = next(p for p in COUNTIES if p.chain[0] == a.chain[0] and a.name not in p.chain
                         and len(COUNTY_NAMES[p.name]) == 1 and not p.name.endswith("区"))
    assert region_of(f"{a.name}{same_province.name}人民政府") == a.chain[0]
    # a generic district word after a city is the city's own urban area
    assert region_of(f"{a.name}城区管理局") == a.full


def test_the_store_splits_a_resolved_chain_by_the_gazetteer():
    from nianbao.store.regions import split_region
    levels = {PROVINCE: "province", CITY: "city", COUNTY: "county"}
    for p in COUNTIES[::150] + CITIES[::40]:
        parts = split_region(p.full)
        assert "".join(x for _, x in parts) == p.full and parts[-1] == (levels[p.level], p.name), p
    # names whose suffix parse went wrong: 沙市区 holds 市; 济源市 is county level under its province
    odd = [p for p in COUNTIES if "市" in p.name[:-1] and p.name.endswith("区")]
    assert odd and all(split_region(p.full)[-1] == ("county", p.name) for p in odd)
    direct = [p for p in COUNTIES if len(p.chain) == 2 and p.chain[0] not in MUNICIPALITIES]
    assert direct and all(split_region(p.full) == [("province", p.chain[0]), ("county", p.name)] for p in direct)
    # names the gazetteer does not know are still split by their suffixes
    assert split_region("江州省江州市临川区") == [("province", "江州省"), ("city", "江州市"), ("county", "临川区")]


def test_provenance_says_where_the_region_came_from():
    p = UNIQUE_COUNTIES[30]
    text = f"{p.chain[-2]}{p.name}人民政府2022年政府信息公开工作年度报告\n{FILLER}"
    prov = resolve(f"{p.chain[-2]}{p.name}人民政府", text, 2022, (0, len(p.chain[-2] + p.name) + 4)).provenance()
    assert prov["via"] == "agency" and prov["code"] == p.code and prov["level"] == "county"
    assert text[prov["span"][0]:prov["span"][1]] == p.chain[-2] + p.name
    assert resolve("江州市教育局", "", 2022).provenance() == {"via": "unknown", "named": "江州市"}
    assert resolve("国务院办公厅", "", 2022).provenance() == {"via": "national"}


TOWNS = gazetteer.towns()
TOWN_NAMES = defaultdict(list)
for _t in TOWNS:
    TOWN_NAMES[_t.name].append(_t)


def test_the_gazetteer_has_the_townships():
    assert len(TOWNS) > 38000
    assert {t.name[-2:] if t.name.endswith(("街道", "苏木")) else t.name[-1] for t in TOWNS} >= {"镇", "乡", "街道", "苏木"}
    assert all(t.level == gazetteer.TOWNSHIP and t.code and len(t.code) == 9 for t in TOWNS[::500])
    # a township's chain runs through its county (or its city, where there are no counties: 东莞市)
    assert all(gazetteer.by_full("".join(t.chain[:-1])) is not None for t in TOWNS[::300])


@pytest.mark.parametrize("i", range(0, 38000, 1999))
def test_a_township_named_with_its_county_resolves_to_its_whole_chain(i):
    t = TOWNS[i]
    suffix = "办事处" if t.name.endswith("街道") else "人民政府"
    r = resolve(f"{t.chain[-2]}{t.name}{suffix}", FILLER, 2023)
    assert r.name == t.full and r.place.code == t.code, (t, r)
    assert r.provenance()["level"] == "township"


def test_a_unique_township_name_alone_gets_its_chain_and_a_shared_one_needs_its_county():
    unique = [ps[0] for n, ps in TOWN_NAMES.items() if len(ps) == 1 and len(n) >= 3]
    for t in unique[::2500]:
        assert resolve(f"{t.name}人民政府", FILLER, 2022).name == t.full, t
    shared = [(n, ps) for n, ps in TOWN_NAMES.items() if len({p.chain[-2] for p in ps}) == len(ps) > 3][:10]
    assert shared
    for name, ps in shared:
        alone = resolve(f"{name}人民政府", FILLER, 2022)
        assert alone.name != ps[0].full and alone.via == "ambiguous"
        county = ps[1].chain[-2]
        if len(gazetteer.lookup(county)) == 1:
            named = "".join(ps[1].chain[-3:-1])      # 苏州市吴中区: a county named as people name it
            text = f"{FILLER}在{named}委、区政府的领导下，我镇认真落实《条例》。\n"
            assert resolve(f"{name}人民政府", text, 2022).name == ps[1].full, name


def test_township_words_inside_a_department_are_no_township():
    p = CITIES[7]
    for dept in ("住房和城乡建设局", "乡村振兴局", "农业农村局"):
        assert resolve(f"{p.name}{dept}", FILLER, 2022).name == p.full


def test_zones_governed_like_divisions():
    r = resolve("平潭综合实验区财政金融局", FILLER, 2020)
    assert r.name == "福建省平潭综合实验区" and r.via == "agency"
    assert region_of("雄安新区管理委员会") == "河北省雄安新区"
    # a division whose name ends like a zone's is a division
    assert region_of("天津市滨海新区人民政府") == "天津市滨海新区"


def test_look_alike_misprints_of_a_place_name_are_put_right():
    pairs = gazetteer._lookalikes()
    fixed = 0
    for p in COUNTIES + CITIES:
        for i, ch in enumerate(p.name[:-1]):
            for alt in pairs.get(ch, ()):
                wrong = p.name[:i] + alt + p.name[i + 1:]
                if gazetteer.lookup(wrong) or len(gazetteer.misprints(wrong)) != 1:
                    continue
                r = resolve(f"{wrong}人民政府", FILLER, 2022)
                assert r.corrected == {wrong: p.name} and r.correct(f"{wrong}人民政府") == f"{p.name}人民政府", p
                if len(gazetteer.lookup(p.name)) == 1:
                    assert r.name == p.full
                fixed += 1
    assert fixed > 40
    # a name that is no misprint of anything stays unknown (江州市), and its own words are kept
    assert resolve("江州市教育局", FILLER, 2022).corrected == {}

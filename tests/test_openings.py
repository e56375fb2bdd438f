"""Agency, region and year read from report openings in the shapes real pages take.

Each opening is written the way real pages of its kind are: crawled pages with their header and
breadcrumb, 索引号/发布机构 blocks, PDFs converted to text, openings without a title that start at
根据《条例》 or 一、总体情况, sign-offs, titles naming a place only, a township or a department
without its place. They span every province-level division and every level down to 乡/镇/街道/苏木,
and the traps a careless reader falls into (吉林市 in 吉林省, 北京街道 in 广州, 鼓楼区 in several
cities, OCR misprints of place names, a phrase that ends like an organ).
"""
from __future__ import annotations

import pytest

from nianbao.extract import extract_bytes
from nianbao.extract.meta import read

BODY = ("（一）主动公开情况。全面落实《条例》规定，及时公开机构职能、政策文件、财政预决算等信息。\n"
        "（二）依申请公开情况。规范办理流程，均在法定期限内答复。\n"
        "二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
        "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n"
        "一是政策解读形式较为单一；二是工作人员业务水平仍需提高。下一步，将加强业务培训。\n"
        "六、其他需要报告的事项\n本年度未收取信息处理费。\n")
CONDITIONS = ("根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室"
              "关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，")


def period(year: int) -> str:
    return f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"


# (what the case is, text, agency, region, year)
CASES = [
    # --- no title: the agency in the first sentence
    ("现公布 in the first sentence (广东, district office)",
     f"{CONDITIONS}现公布清远市清新区人民政府办公室2022年政府信息公开工作年度报告。{period(2022)}\n"
     f"一、总体情况\n2022年，区府办坚持以习近平新时代中国特色社会主义思想为指导。\n{BODY}",
     "清远市清新区人民政府办公室", "广东省清远市清新区", 2022),
    ("特公布 with the agency after the year (浙江, city department)",
     f"{CONDITIONS}特公布2023年宁波市海曙区司法局政府信息公开工作年度报告。{period(2023)}\n一、总体情况\n{BODY}",
     "宁波市海曙区司法局", "浙江省宁波市海曙区", 2023),
    ("本报告由…编制 under a title without agency (贵州, district office)",
     f"2022年政府信息公开工作年度报告\n本报告由贵阳市南明区人民政府办公室根据《条例》要求编制。{period(2022)}\n"
     f"一、总体情况\n{BODY}",
     "贵阳市南明区人民政府办公室", "贵州省贵阳市南明区", 2022),
    ("opening at 一、总体情况, agency only in the sign-off (新疆, county department)",
     f"一、总体情况\n2022年，我局认真贯彻落实《条例》，全年主动公开政府信息215条。\n{BODY}"
     "和田县自然资源局\n2023年1月30日\n",
     "和田县自然资源局", "新疆维吾尔自治区和田地区和田县", 2022),
    ("flattened sign-off glued to the last words (宁夏, district office)",
     f"{CONDITIONS}编制本报告。{period(2021)}一、总体情况 2021年，区政府办公室全面推进政务公开。{BODY}"
     "六、其他需要报告的事项 无银川市兴庆区人民政府办公室2022年1月20日",
     "银川市兴庆区人民政府办公室", "宁夏回族自治区银川市兴庆区", 2021),
    ("sign-off dated in Chinese numerals (云南, district department)",
     f"{CONDITIONS}结合我局实际，编制本报告。{period(2022)}\n一、总体情况\n{BODY}"
     "昆明市盘龙区教育体育局\n二〇二三年一月十八日\n",
     "昆明市盘龙区教育体育局", "云南省昆明市盘龙区", 2022),

    # --- the 索引号/发布机构/发布日期 block and crawler header lines
    ("索引号 block on one line, title field with the agency (广东, province department)",
     "索引号：11440000006939608G/2023-00018 分类：政务公开 发布机构：广东省教育厅 成文日期：2023-01-16 "
     "标题：广东省教育厅2022年政府信息公开工作年度报告 文号： 发布日期：2023-01-16\n"
     f"{CONDITIONS}编制本报告。{period(2022)}\n一、总体情况\n{BODY}",
     "广东省教育厅", "广东省", 2022),
    ("索 引 号 block spaced out, title without agency (湖南, district department)",
     "索 引 号：430112-02-2023-0007\n主题分类：政务公开\n发布机构：望城区教育局\n发布日期：2023-01-12\n"
     "2022年政府信息公开工作年度报告\n"
     f"{CONDITIONS}结合我局工作实际，编制本报告。{period(2022)}\n一、总体情况\n{BODY}",
     "望城区教育局", "湖南省长沙市望城区", 2022),
    ("crawler header, title without agency, opening at 一、总体情况 (福建, district department)",
     "标题: 2023年度政府信息公开工作年度报告\n发布时间: 2024-01-25 10:12\n文号: \n发布机构: 思明区卫生健康局\n"
     "栏目: 政府信息公开年报\n==================== 正文 ====================\n"
     f"一、总体情况\n2023年，我局坚持以人民为中心。\n{BODY}",
     "思明区卫生健康局", "福建省厦门市思明区", 2023),
    ("byline 来源 naming the department relative to the site (浙江, district department)",
     "首页 > 政务公开 > 政府信息公开年报\n2022年度政府信息公开工作年度报告\n"
     "发布时间：2023-01-28　来源：区民政局　字体：大 中 小　浏览次数：321\n"
     f"{CONDITIONS}现将我局2022年度政府信息公开工作情况报告如下。{period(2022)}\n一、总体情况\n{BODY}"
     "主办：杭州市余杭区人民政府　承办：杭州市余杭区数据资源管理局\n",
     "杭州市余杭区民政局", "浙江省杭州市余杭区", 2022),

    # --- 我局/我办 beside the site's name
    ("我局 and the department's own site (广西, district department)",
     "首页 > 政务公开 > 法定主动公开内容 > 政府信息公开年报\n2022年度政府信息公开工作年度报告\n"
     "发布时间：2023-01-28　浏览次数：123\n"
     f"根据《条例》规定，现将我局2022年度政府信息公开工作情况报告如下：\n一、总体情况\n{BODY}"
     "主办单位：南宁市西乡塘区市场监督管理局　技术支持：南宁市大数据发展局\n",
     "南宁市西乡塘区市场监督管理局", "广西壮族自治区南宁市西乡塘区", 2022),
    ("我局 and the breadcrumb naming the department (江西, district department)",
     "当前位置：首页 > 政务公开 > 部门信息公开 > 南昌市东湖区财政局 > 政府信息公开年报\n"
     "2021年度政府信息公开工作年度报告\n"
     f"{CONDITIONS}现将我局2021年度政府信息公开工作情况报告如下。{period(2021)}\n一、总体情况\n{BODY}",
     "南昌市东湖区财政局", "江西省南昌市东湖区", 2021),

    # --- titles naming a place only: that place's government
    ("municipality: 2022年上海市政府信息公开…", f"2022年上海市政府信息公开工作年度报告\n{CONDITIONS}编制本报告。"
     f"{period(2022)}\n一、总体情况\n{BODY}", "上海市人民政府", "上海市", 2022),
    ("comprehensive experimental zone", f"平潭综合实验区2021年度政府信息公开工作年度报告\n{CONDITIONS}编制本报告。"
     f"{period(2021)}\n一、总体情况\n{BODY}", "平潭综合实验区管委会", "福建省平潭综合实验区", 2021),
    ("county-level city (海南)", f"琼海市2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "琼海市人民政府", "海南省琼海市", 2022),
    ("prefecture-level city without districts (甘肃)", f"嘉峪关市2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "嘉峪关市人民政府", "甘肃省嘉峪关市", 2022),
    ("corps city (新疆)", f"石河子市2021年政府信息公开工作年度报告\n{period(2021)}\n一、总体情况\n{BODY}",
     "石河子市人民政府", "新疆维吾尔自治区石河子市", 2021),
    ("autonomous county (青海)", f"大通回族土族自治县2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "大通回族土族自治县人民政府", "青海省西宁市大通回族土族自治县", 2022),
    ("prefecture (西藏): 地区 is governed by a 行政公署", f"阿里地区2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "阿里地区行政公署", "西藏自治区阿里地区", 2022),
    ("league (内蒙古)", f"锡林郭勒盟2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "锡林郭勒盟行政公署", "内蒙古自治区锡林郭勒盟", 2022),
    ("district with its city (山东)", f"淄博市张店区2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "淄博市张店区人民政府", "山东省淄博市张店区", 2022),
    ("new area (天津)", f"天津市滨海新区2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "天津市滨海新区人民政府", "天津市滨海新区", 2022),
    ("关于印发 a place's report (河南)",
     f"郑州市二七区人民政府办公室关于印发二七区2022年政府信息公开工作年度报告的通知\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "二七区人民政府", "河南省郑州市二七区", 2022),
    ("the agency's 政府 doubles as the title's (福建)",
     f"2022年度仓山区人民政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "仓山区人民政府", "福建省福州市仓山区", 2022),

    # --- townships, streets and 苏木
    ("town (四川)", f"钟祥镇2022年政府信息公开工作年度报告\n2022年，仁寿县钟祥镇认真落实《条例》。{period(2022)}\n"
     f"一、总体情况\n{BODY}", "钟祥镇人民政府", "四川省眉山市仁寿县钟祥镇", 2022),
    ("street office (重庆)", f"二郎街道办事处2023年政府信息公开工作年度报告\n{period(2023)}\n一、总体情况\n{BODY}",
     "二郎街道办事处", "重庆市九龙坡区二郎街道", 2023),
    ("street named in the title without 办事处 (陕西)",
     f"小寨路街道2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "小寨路街道办事处", "陕西省西安市雁塔区小寨路街道", 2022),
    ("苏木 (内蒙古)", f"巴音乌兰苏木2021年政府信息公开工作年度报告\n{period(2021)}\n一、总体情况\n{BODY}",
     "巴音乌兰苏木人民政府", "内蒙古自治区巴彦淖尔市乌拉特中旗巴音乌兰苏木", 2021),
    ("town with its county (广西)", f"隆林各族自治县德峨镇人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "隆林各族自治县德峨镇人民政府", "广西壮族自治区百色市隆林各族自治县德峨镇", 2022),
    ("a town name shared by many counties, settled by the county the text names (安徽)",
     f"城关镇人民政府2022年政府信息公开工作年度报告\n2022年，在五河县委、县政府的领导下，我镇认真落实《条例》。"
     f"{period(2022)}\n一、总体情况\n{BODY}",
     "城关镇人民政府", "安徽省蚌埠市五河县城关镇", 2022),
    ("town in a district (黑龙江), sign-off with the district",
     f"新发镇2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}哈尔滨市道里区新发镇人民政府\n"
     "2023年1月16日\n",
     "新发镇人民政府", "黑龙江省哈尔滨市道里区新发镇", 2022),

    # --- a department without its place: the place from the page
    ("department, place from the breadcrumb and the site (内蒙古, banner department, 2008)",
     "当前位置：首页 > 政务公开 > 旗直部门 > 林业局\n林业局2008年政府信息公开工作年度报告\n"
     "本报告根据《中华人民共和国政府信息公开条例》要求编制。本报告所列数据的统计期限自2008年5月1日起至2008年12月31日止。\n"
     "一、概述\n2008年，我局认真贯彻落实《条例》。\n" + BODY + "主办单位：达拉特旗人民政府　版权所有\n",
     "达拉特旗林业局", "内蒙古自治区鄂尔多斯市达拉特旗", 2008),
    ("department, place from the sign-off (重庆, 2009)",
     "交通运输局2009年政府信息公开工作年度报告\n一、概述\n2009年，我局政府信息公开工作有序推进。\n" + BODY
     + "重庆市万州区交通运输局\n2010年3月25日\n",
     "重庆市万州区交通运输局", "重庆市万州区", 2009),
    ("department, place from the first paragraph (湖北)",
     "卫生健康委员会2021年政府信息公开工作年度报告\n2021年，武昌区卫生健康委员会在区委、区政府的坚强领导下，"
     f"认真贯彻落实《条例》。{period(2021)}\n一、总体情况\n{BODY}",
     "武昌区卫生健康委员会", "湖北省武汉市武昌区", 2021),
    ("abbreviated department, full name in the text (吉林)",
     "人社局2020年政府信息公开工作年度报告\n开展政府信息公开工作是长春市南关区人力资源和社会保障局依法行政的重要举措。"
     f"{period(2020)}\n一、总体情况\n{BODY}",
     "长春市南关区人力资源和社会保障局", "吉林省长春市南关区", 2020),
    ("department, place from the 发布机构 office (河北)",
     "标题: 公安局2010年度政府信息公开工作年度报告\n发布机构: 石家庄市长安区公安局办公室\n"
     "==================== 正文 ====================\n2010年，我局认真落实《条例》。\n" + BODY,
     "石家庄市长安区公安局", "河北省石家庄市长安区", 2010),

    # --- traps
    ("吉林市 named in a report of 吉林省",
     f"吉林省人民政府办公厅2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     "指导吉林市、长春市、四平市做好政务公开工作，吉林市政务公开专区建设成效明显，吉林市获评先进。\n" + BODY,
     "吉林省人民政府办公厅", "吉林省", 2022),
    ("吉林市 in 吉林省", f"吉林市人民政府2022年政府信息公开工作年度报告\n按照吉林省政务公开工作要点，{period(2022)}\n"
     f"一、总体情况\n{BODY}", "吉林市人民政府", "吉林省吉林市", 2022),
    ("北京街道 is in 广州", f"北京街道办事处2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     f"2022年，我街道认真落实北京市、上海市等地先进经验交流会精神。\n{BODY}",
     "北京街道办事处", "广东省广州市越秀区北京街道", 2022),
    ("鼓楼区 settled by 福州市 in the text", f"鼓楼区人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n2022年，鼓楼区认真落实福州市委、市政府部署。\n{BODY}",
     "鼓楼区人民政府", "福建省福州市鼓楼区", 2022),
    ("鼓楼区 settled by 开封市 in the sign-off", f"鼓楼区人民政府2021年政府信息公开工作年度报告\n{period(2021)}\n"
     f"一、总体情况\n{BODY}开封市鼓楼区人民政府办公室\n2022年1月25日\n",
     "鼓楼区人民政府", "河南省开封市鼓楼区", 2021),
    ("和平区 settled by 沈阳市", f"和平区人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     f"2022年，和平区在沈阳市委、市政府的领导下推进政务公开。\n{BODY}",
     "和平区人民政府", "辽宁省沈阳市和平区", 2022),
    ("朝阳区 settled by 北京市", f"朝阳区人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     f"2022年，朝阳区认真落实北京市政务公开工作要点。\n{BODY}",
     "朝阳区人民政府", "北京市朝阳区", 2022),
    ("城关区 settled by 拉萨市", f"城关区人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     f"2022年，城关区认真落实拉萨市委、市政府部署。\n{BODY}",
     "城关区人民政府", "西藏自治区拉萨市城关区", 2022),
    ("OCR misprint 沐阳 for 沭阳", f"沐阳县人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n{BODY}",
     "沭阳县人民政府", "江苏省宿迁市沭阳县", 2022),
    ("OCR misprint 毫州 for 亳州, with its district", f"毫州市谯城区人民政府2022年政府信息公开工作年度报告\n"
     f"{period(2022)}\n一、总体情况\n{BODY}", "亳州市谯城区人民政府", "安徽省亳州市谯城区", 2022),
    ("a phrase that ends like an organ is none: the sign-off decides (安徽)",
     f"2021年度重大行政决策落实情况自查及政府信息公开工作年度报告\n{period(2021)}\n一、总体情况\n{BODY}"
     "合肥市蜀山区人民政府\n2022年1月28日\n",
     "合肥市蜀山区人民政府", "安徽省合肥市蜀山区", 2021),

    # --- more levels and shapes
    ("province department (浙江)", f"浙江省人力资源和社会保障厅2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "浙江省人力资源和社会保障厅", "浙江省", 2022),
    ("national body has no region", f"国家税务总局2022年政府信息公开工作年度报告\n{period(2022)}\n一、总体情况\n"
     f"2022年，税务总局在北京市召开政务公开工作会议。\n{BODY}", "国家税务总局", None, 2022),
    ("local office of a national body", f"国家税务总局宁波市税务局2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "国家税务总局宁波市税务局", "浙江省宁波市", 2022),
    ("autonomous prefecture (湖北)", f"恩施土家族苗族自治州人民政府2022年政府信息公开工作年度报告\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "恩施土家族苗族自治州人民政府", "湖北省恩施土家族苗族自治州", 2022),
    ("PDF: agency on the line above the title, spaced digits (海南)",
     "琼海市人民政府办公室\n2022 年政府信息公开工作年度报告\n本报告由琼海市人民政府办公室根据《中华人民共和\n"
     "国政府信息公开条例》要求编制。报告中所列数据统计期限自 2022 年 1 月 1 日\n起至 2022 年 12 月 31 日止。\n"
     f"一、总体情况\n{BODY}",
     "琼海市人民政府办公室", "海南省琼海市", 2022),
    ("PDF: the agency's name wrapped onto the next line after 本报告由 (河北)",
     "2024年政府信息公开工作年度报告\n本报告由秦皇岛市青龙满族自\n治县交通运输局根据《中华人民共和国政府信息公开条例》"
     f"要求编制。\n{period(2024)}\n一、总体情况\n{BODY}",
     "秦皇岛市青龙满族自治县交通运输局", "河北省秦皇岛市青龙满族自治县", 2024),
    ("关于报送…的函 (山西)", f"太原市小店区财政局关于报送2022年度政府信息公开工作年度报告的函\n{period(2022)}\n"
     f"一、总体情况\n{BODY}", "太原市小店区财政局", "山西省太原市小店区", 2022),
    ("title with a space before the year (江苏)", "南京市鼓楼区人力资源和社会保障局 2022年政府信息公开工作年度报告\n"
     f"{period(2022)}\n一、总体情况\n{BODY}", "南京市鼓楼区人力资源和社会保障局", "江苏省南京市鼓楼区", 2022),
    ("older title words: 政府信息公开工作报告 (陕西, 2011)", f"西安市雁塔区民政局2011年政府信息公开工作报告\n"
     f"2011年，我局认真贯彻《条例》。\n{BODY}", "西安市雁塔区民政局", "陕西省西安市雁塔区", 2011),
    ("情况总结 title (山西, 2013)", "太原市小店区卫生局2013年度政府信息公开情况总结\n2013年，我局认真贯彻《条例》。\n"
     + BODY, "太原市小店区卫生局", "山西省太原市小店区", 2013),
    ("a province's own government (黑龙江)", f"2023年黑龙江省政府信息公开工作年度报告\n{period(2023)}\n一、总体情况\n"
     f"2023年，省政府办公厅推进哈尔滨市、齐齐哈尔市政务公开标准化。\n{BODY}",
     "黑龙江省人民政府", "黑龙江省", 2023),
    ("district of a municipality named in its street's sign-off (上海)",
     f"一、总体情况\n2022年，我街道认真落实《条例》。{period(2022)}\n{BODY}上海市静安区静安寺街道办事处\n2023年1月20日\n",
     "上海市静安区静安寺街道办事处", "上海市静安区静安寺街道", 2022),
]


@pytest.mark.parametrize("what,text,agency,region,year", CASES, ids=[c[0] for c in CASES])
def test_opening(what, text, agency, region, year):
    m = read(text)
    assert (m.agency, m.region.name, m.year) == (agency, region, year)
    # the agency's provenance points at where the page names it
    if m.spans.get("agency"):
        s, e = m.spans["agency"]
        assert text[s:e]


PROVINCES = {"北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区"}


def test_the_openings_span_every_province_and_level():
    regions = [c[3] for c in CASES if c[3]]
    assert {p for p in PROVINCES if any(r.startswith(p) for r in regions)} == PROVINCES
    assert any(r.endswith(("镇", "街道", "苏木")) for r in regions)


def test_an_index_block_in_a_web_page_table():
    """The 索引号/发布机构 block as a <table> of a real site's page, read through the whole pipeline."""
    html = ("<html><head><meta charset='utf-8'><title>2022年度政府信息公开工作年度报告_黄山市屯溪区人民政府</title>"
            "</head><body><div class='crumb'>您当前的位置：首页 &gt; 信息公开 &gt; 政府信息公开年报</div>"
            "<table class='xxgk'><tr><td>索引号：</td><td>11341002003124817L/202301-00012</td>"
            "<td>信息分类：</td><td>政府信息公开年报</td></tr>"
            "<tr><td>发布机构：</td><td>屯溪区农业农村水利局</td><td>生成日期：</td><td>2023-01-19</td></tr>"
            "<tr><td>名称：</td><td>2022年度政府信息公开工作年度报告</td><td>文号：</td><td></td></tr></table>"
            f"<div class='content'><p>{CONDITIONS}结合我局实际，编制本报告。{period(2022)}</p>"
            "<p>一、总体情况</p><p>2022年，我局认真贯彻落实《条例》。</p></div>"
            "<div class='footer'>主办：黄山市屯溪区人民政府办公室　版权所有</div></body></html>")
    rec = extract_bytes(html.encode("utf-8"), "report.html", "html")
    assert (rec["meta"]["agency"], rec["meta"]["region"], rec["meta"]["year"]) == \
        ("屯溪区农业农村水利局", "安徽省黄山市屯溪区", 2022)


def test_no_organ_no_agency():
    """Prose that ends like an organ's name is never taken for one, and a page naming nobody has no agency."""
    text = f"{CONDITIONS}现将2022年度落实情况自查及政府信息公开工作情况报告如下。{period(2022)}\n一、总体情况\n{BODY}"
    m = read(text)
    assert m.agency is None and m.year == 2022


def test_the_generator_makes_every_opening_shape():
    """The generated corpus (tests/test_generated_corpus.py) meets each of these openings."""
    import random

    from nianbao.generate import openings
    from nianbao.generate.records import random_record
    rng = random.Random(5)
    seen = {openings.draw(random_record(rng, rng.choice(["2021", "2019", "pre2019"])), True, "2023年1月20日").shape
            for _ in range(400)}
    assert seen == set(openings.SHAPES)

"""The company directory: columns in English or Chinese, bad rows with line numbers, encodings, reloads."""

import os
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from baton.enrichment.directory import DirectoryError, DirectoryProvider, load_directory
from baton.enrichment.providers import company_key

HEADER = "name,domain,industry,city,region,headcount,registered_capital,funding_round\n"


def write(tmp_path, text: str, *, name="dir.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_english_columns_index_by_domain_and_by_name(directory):
    index = load_directory(directory)
    assert (index.rows, index.companies, index.bad_count) == (3, 3, 0)
    acme = index.find(("acme.com", ""))
    assert acme.name == "Acme Software Co., Ltd." and acme.domain == "acme.com"
    assert (acme.industry, acme.city, acme.region, acme.headcount) == ("Software", "Shanghai", "East", 350)
    assert acme.registered_capital == Decimal("10000000.00") and acme.funding_round == "B轮"
    assert acme.source == "directory companies.csv, line 2"
    # By the normalised name (legal forms stripped), and from a subdomain.
    assert index.find(company_key(company="ACME Software Ltd")) is acme
    assert index.find(("shop.acme.com", "")) is acme
    assert index.find(("nobody.com", "nobody")) is None
    example = index.find(("", company_key(company="示例科技（北京）有限公司")[1]))
    assert example.headcount == 100 and example.registered_capital == Decimal("200000000.00")
    assert index.find(("globex.de", "")).headcount == 1200


def test_chinese_headers_a_unit_in_the_header_and_an_as_of_column(tmp_path):
    path = write(tmp_path, "公司名称,网址,行业,城市,地区,员工人数,注册资本（万元）,融资轮次,更新日期,备注\n"
                           "华信软件有限公司,www.huaxin.cn,软件,上海,华东,500人,1000,A轮,2026/1/5,老客户\n"
                           "博远科技有限公司,,互联网,杭州,华东,,2亿,,,\n")  # fmt: skip
    index = load_directory(path)
    assert index.columns == {"name": "公司名称", "domain": "网址", "industry": "行业", "city": "城市", "region": "地区",
                             "headcount": "员工人数", "registered_capital": "注册资本（万元）",
                             "funding_round": "融资轮次", "as_of": "更新日期"}  # fmt: skip
    huaxin = index.find(("huaxin.cn", ""))
    assert huaxin.registered_capital == Decimal("10000000.00")  # 1000 × 万元
    assert huaxin.as_of == date(2026, 1, 5) and huaxin.headcount == 500
    boyuan = index.find(company_key(company="博远科技"))
    assert boyuan.registered_capital == Decimal("200000000.00")  # the value's own unit wins
    assert [str(w) for w in index.warnings] == ['columns ignored: "备注"']


def test_a_gbk_file(tmp_path):
    path = write(tmp_path, "公司名称,域名,城市\n深圳星辰电子有限公司,xingchen.com.cn,深圳\n", encoding="gbk")
    index = load_directory(path)
    assert index.encoding == "gb18030"
    assert index.find(("xingchen.com.cn", "")).city == "深圳"


def test_an_xlsx_file(tmp_path):
    path = tmp_path / "dir.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Company", "Website", "Employees", "Registered capital"])
    sheet.append(["Initech Inc.", "initech.com", 250, 3000000])
    workbook.save(path)
    facts = load_directory(path).find(("initech.com", ""))
    assert facts.headcount == 250 and facts.registered_capital == Decimal("3000000.00")


def test_bad_rows_are_reported_with_their_line_numbers_and_the_rest_loads(tmp_path):
    path = write(tmp_path, HEADER
                 + "Good Co,good.com,Software,,,10,,\n"
                 + ",,Software,,,,,\n"                         # line 3: no name, no domain
                 + "Bad Count Co,bad1.com,,,,many,,\n"          # line 4
                 + "Bad Capital Co,bad2.com,,,,,lots of money,\n"  # line 5
                 + '"Multi\nLine Co",multi.com,,,,,,\n'       # lines 6-7
                 + "Bad Site,not a site,,,,,,\n"                # line 8
                 + "Too Many,many.com,,,,,,,extra\n"            # line 9
                 + "Long Co,long.com," + "x" * 81 + ",,,,,\n"   # line 10
                 + "USD Co,usd.com,,,,,100万美元,\n")  # fmt: skip
    index = load_directory(path)
    assert index.rows == 9 and index.companies == 3
    assert [(p.line, p.reason.split(":")[0]) for p in index.bad] == [
        (3, "no company name and no domain"),
        (4, "headcount"),
        (5, "registered capital"),
        (8, "'not a site' is not a website or domain"),
        (9, "the row has 9 cells but the header row names 8 columns (a value in column 9 (I) has no column; is a delimiter or quote out of place?)"),
        (10, "industry is longer than 80 characters"),
    ]  # fmt: skip
    assert index.find(("multi.com", "")).name == "Multi Line Co"
    assert index.find(("usd.com", "")).registered_capital is None
    assert [str(w) for w in index.warnings] == [
        "line 11: registered capital '100万美元' is in USD; left empty (only CNY is kept)"
    ]


def test_a_duplicate_domain_first_wins_with_a_warning(tmp_path):
    path = write(tmp_path, HEADER
                 + "Acme Ltd,acme.com,Software,,,,,\n"
                 + "Acme Holdings,https://www.ACME.com/about,Finance,,,,,\n"
                 + "Acme Ltd,,Retail,,,,,\n")  # fmt: skip
    index = load_directory(path)
    assert index.find(("acme.com", "")).industry == "Software"
    assert index.companies == 1
    assert [str(w) for w in index.warnings] == [
        "line 3: domain acme.com is already on line 2; the first wins",
        "line 4: company 'Acme Ltd' is already on line 2; the first wins",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("industry,city\nSoftware,Shanghai\n", "needs a company name column"),
        ("", "the file is empty"),
        ("name,name\nA,B\n", "names a column more than once"),
    ],
)
def test_files_that_cannot_be_used(tmp_path, content, message):
    with pytest.raises(DirectoryError, match=message):
        load_directory(write(tmp_path, content))


def test_a_missing_file(tmp_path):
    provider = DirectoryProvider(tmp_path / "nope.csv")
    with pytest.raises(DirectoryError, match="nope.csv cannot be opened"):
        provider.lookup_many([("acme.com", "")])
    status = provider.status()
    assert not status.exists and not status.loaded and "cannot be opened" in status.error


def test_the_provider_reloads_a_changed_file_and_keeps_the_old_index_if_the_new_one_is_broken(tmp_path):
    path = write(tmp_path, HEADER + "Acme Ltd,acme.com,Software,,,,,\n")
    provider = DirectoryProvider(path)
    assert provider.lookup_many([("acme.com", "")])[("acme.com", "")].industry == "Software"
    first = provider.index()
    assert provider.index() is first  # unchanged file: not read again

    path.write_text(HEADER + "Acme Ltd,acme.com,Finance,,,,,\nBeta,beta.com,,,,,,\n", encoding="utf-8")
    os.utime(path, ns=(1, os.stat(path).st_mtime_ns + 10**9))
    answer = provider.lookup_many([("acme.com", ""), ("beta.com", "")])
    assert answer[("acme.com", "")].industry == "Finance" and answer[("beta.com", "")] is not None
    assert provider.status().companies == 2 and provider.status().error == ""

    path.write_text("industry\nnothing\n", encoding="utf-8")
    os.utime(path, ns=(1, os.stat(path).st_mtime_ns + 2 * 10**9))
    assert provider.lookup_many([("beta.com", "")])[("beta.com", "")] is not None  # the old index answers
    status = provider.status()
    assert status.loaded and status.companies == 2 and "needs a company name column" in status.error


def test_a_name_match_with_a_contradicting_domain_is_not_a_match(directory):
    index = load_directory(directory)
    name = company_key(company="Acme Software Co., Ltd.")[1]
    assert index.find(("", name)).domain == "acme.com"
    assert index.find(("acme.de", name)) is None  # another Acme
    assert index.find(("eu.acme.com", name)).domain == "acme.com"
    assert index.find(("globex.com", company_key(company="Globex")[1])) is None

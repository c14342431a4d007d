import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.imports import mapping as mapping_module
from baton.imports.mapping import (
    FIELDS,
    PRESETS,
    SOURCE_CODES,
    SOURCE_SYNONYMS,
    Mapping,
    MappingError,
    RowValueError,
    header_key,
    join_name,
    load_mapping,
    mapping_from_toml,
    parse_bool,
    parse_company_size,
    preset,
)


def test_source_codes_are_the_lead_model_sources():
    from baton.leads.models import Source

    assert tuple(Source.values) == SOURCE_CODES


def test_module_needs_no_django():
    import subprocess
    import sys

    code = (
        "import sys; import baton.imports.mapping, baton.imports.reader; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- keys and values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("E-mail", "email"),
        ("EMAIL ", "Email"),
        ("No. of Employees", "no of employees"),
        ("State/Province", "state province"),
        ("Ｅｍａｉｌ", "email"),  # full-width
        ("手机 号", "手机号"),
        ("first_name", "First Name"),
    ],
)
def test_header_keys_ignore_case_space_and_punctuation(a, b):
    assert header_key(a) == header_key(b)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1,000", 1000),
        ("50-200", 50),
        ("50 – 200", 50),
        ("50~200人", 50),
        ("500人", 500),
        ("５００人", 500),
        ("10,001+", 10001),
        ("10000人以上", 10000),
        ("1.5万", 15000),
        ("1万-5万人", 10000),
        ("5k", 5000),
        ("2.5K-10K", 2500),
        ("1.000", 1000),
        ("12.500 Mitarbeiter", 12500),
        ("12.5", 12),
        ("11-50 employees", 11),
        ("0", 0),
        ("少于50人", 1),
        ("50人以下", 1),
        ("<50", 1),
        ("less than 10", 1),
        ("", None),
        ("Self-employed", None),
        ("unknown", None),
        ("99999999999", None),
    ],
)
def test_parse_company_size(text, size):
    assert parse_company_size(text) == size


@given(st.text())
def test_parse_company_size_never_raises(text):
    size = parse_company_size(text)
    assert size is None or (isinstance(size, int) and 0 <= size <= mapping_module.MAX_COMPANY_SIZE)


@given(
    st.integers(min_value=0, max_value=mapping_module.MAX_COMPANY_SIZE),
    st.integers(min_value=1, max_value=10**6),
)
def test_parse_company_size_of_written_numbers(n, more):
    assert parse_company_size(str(n)) == n
    assert parse_company_size(f"{n:,}") == n
    assert parse_company_size(f"{n:,}人") == n
    assert parse_company_size(f"{n}-{n + more}") == n
    assert parse_company_size(f"{n:,}+ employees") == n


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Yes", True),
        (" y ", True),
        ("TRUE", True),
        ("1", True),
        ("是", True),
        ("No", False),
        ("false", False),
        ("0", False),
        ("否", False),
        ("maybe", None),
        ("", None),
    ],
)
def test_parse_bool(text, flag):
    assert parse_bool(text) is flag


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [
        ("Jane", "Doe", "Jane Doe"),
        ("伟", "王", "王伟"),
        ("晋美", "阿沛·阿旺", "阿沛·阿旺晋美"),
        ("David", "王", "David 王"),
        (" Jane ", "", "Jane"),
        ("", "王", "王"),
        ("", "", ""),
    ],
)
def test_join_name(first, last, name):
    assert join_name(first, last) == name


def test_source_synonyms_point_at_codes():
    assert set(SOURCE_SYNONYMS.values()) <= set(SOURCE_CODES)
    assert {SOURCE_SYNONYMS[header_key(code)] for code in SOURCE_CODES} == set(SOURCE_CODES)


# --- presets ---------------------------------------------------------------------------------------------

SALESFORCE_EXPORT = [
    "Lead ID",
    "Salutation",
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Email",
    "Phone",
    "Mobile",
    "Website",
    "Industry",
    "No. of Employees",
    "Annual Revenue",
    "Street",
    "City",
    "State/Province",
    "Zip/Postal Code",
    "Country",
    "Lead Source",
    "Lead Status",
    "Rating",
    "Email Opt Out",
    "Do Not Call",
    "Created Date",
    "Description",
]


def test_salesforce_preset():
    plan = load_mapping("salesforce").apply(SALESFORCE_EXPORT)
    assert plan.missing == () and plan.absent == () and plan.warnings == []
    assert plan.unmapped == ("Salutation", "Annual Revenue", "Street", "Zip/Postal Code", "Rating")
    assert plan.mapped["No. of Employees"] == "company_size"
    assert plan.mapped["State/Province"] == plan.mapped["Country"] == "region"
    values = dict.fromkeys(SALESFORCE_EXPORT, "")
    values.update(
        {
            "Lead ID": "00Q5g00000AbCdE",
            "Salutation": "Ms.",
            "First Name": " Jane ",
            "Last Name": "Doe",
            "Company": "Acme Inc.",
            "Email": "jane@acme.example",
            "Mobile": "+1 415 555 2671",
            "No. of Employees": "1,200",
            "Country": "United States",
            "Lead Source": "Trade Show",
            "Lead Status": "Open - Not Contacted",
            "Email Opt Out": "1",
            "Do Not Call": "0",
            "Created Date": "2026-11-02",
            "Description": "Met at booth 12",
        }
    )
    assert plan.row(values) == {
        "name": "Jane Doe",
        "email": "jane@acme.example",
        "phone": "+1 415 555 2671",
        "company": "Acme Inc.",
        "company_size": 1200,
        "region": "United States",
        "source": "event_sponsored",
        "source_detail": "Trade Show",
        "notes": "Met at booth 12",
        "external_id": "00Q5g00000AbCdE",
        "do_not_email": True,
        "do_not_call": False,
        "status": "Open - Not Contacted",
        "created_at": "2026-11-02",
        "extra": {"Salutation": "Ms."},
    }


def test_salesforce_api_names_match_too():
    plan = preset("salesforce").apply(
        ["FirstName", "LastName", "Email", "LeadSource", "NumberOfEmployees", "Id"]
    )
    assert set(plan.mapped.values()) == {
        "first_name",
        "last_name",
        "email",
        "source",
        "company_size",
        "external_id",
    }


def test_hubspot_preset():
    headers = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Company Name",
        "Job Title",
        "Industry",
        "Number of Employees",
        "City",
        "State/Region",
        "Website URL",
        "Original Source",
        "Original Source Drill-Down 1",
        "Create Date",
        "Lifecycle Stage",
        "Lead Status",
        "Contact owner",
    ]
    plan = load_mapping("HubSpot").apply(headers)
    assert plan.unmapped == ("Contact owner",) and plan.missing == ()
    row = plan.row(
        {
            "Record ID": "51",
            "First Name": "Li",
            "Last Name": "Na",
            "Email": "li.na@example.cn",
            "Number of Employees": "25-50",
            "Original Source": "Paid Search",
            "Original Source Drill-Down 1": "baidu",
            "Lifecycle Stage": "Marketing Qualified Lead",
            "Lead Status": "New",
            "Contact owner": "Wang",
        }
    )
    assert row == {
        "name": "Li Na",
        "email": "li.na@example.cn",
        "company_size": 25,
        "source": "sem",
        "source_detail": "baidu",
        "external_id": "51",
        "status": "Marketing Qualified Lead",
        "extra": {"Lead Status": "New", "Contact owner": "Wang"},
    }


def test_chinese_preset():
    headers = [
        "序号",
        "姓名",
        "公司名称",
        "职务",
        "手机号",
        "电话",
        "电子邮箱",
        "行业",
        "省份",
        "城市",
        "线索来源",
        "员工人数",
        "备注",
        "官网",
    ]
    plan = load_mapping("chinese").apply(headers)
    assert plan.unmapped == ("序号",) and plan.missing == ()
    row = plan.row(
        {
            "序号": "1",
            "姓名": "王伟",
            "公司名称": "示例科技有限公司",
            "职务": "技术总监",
            "手机号": "",
            "电话": "010-6552-9988",
            "电子邮箱": "wang.wei@example.cn",
            "行业": "软件",
            "省份": "浙江",
            "城市": "杭州",
            "线索来源": "百度推广",
            "员工人数": "500人",
            "备注": "  想要演示  ",
            "官网": "www.example.cn",
        }
    )
    assert row == {
        "name": "王伟",
        "email": "wang.wei@example.cn",
        "phone": "010-6552-9988",
        "company": "示例科技有限公司",
        "title": "技术总监",
        "industry": "软件",
        "company_size": 500,
        "city": "杭州",
        "region": "浙江",
        "website": "www.example.cn",
        "source": "sem",
        "source_detail": "百度推广",
        "notes": "想要演示",
        "extra": {"序号": "1"},
    }


def test_chinese_family_and_given_name_columns():
    plan = preset("chinese").apply(["姓", "名", "手机"])
    assert plan.row({"姓": "王", "名": "伟", "手机": "13800138000"})["name"] == "王伟"


def test_every_preset_recognises_baton_field_names():
    for name in PRESETS:
        plan = preset(name).apply(["name", "email", "company_size", "source", "do_not_call"])
        assert set(plan.mapped.values()) == {"name", "email", "company_size", "source", "do_not_call"}, name


# --- rows ------------------------------------------------------------------------------------------------


def simple(columns: dict[str, str], **settings) -> Mapping:
    return Mapping(name="test", columns=tuple(columns.items()), **settings)


def test_several_columns_for_one_field_keep_every_value():
    plan = simple({"Mobile": "phone", "Phone": "phone", "Email": "email"}).apply(["Phone", "Email", "Mobile"])
    assert plan.row({"Phone": "010", "Mobile": "138", "Email": "a@x.com"}) == {
        "phone": "138",  # the mapping's order decides, not the file's
        "email": "a@x.com",
        "extra": {"Phone": "010"},
    }
    assert plan.row({"Phone": "010", "Mobile": " ", "Email": ""}) == {"phone": "010"}


def test_name_column_wins_over_first_and_last_which_are_kept():
    plan = preset("salesforce").apply(["Name", "First Name", "Last Name", "Email"])
    row = plan.row({"Name": "Dr. Jane Doe", "First Name": "Jane", "Last Name": "Doe", "Email": "j@x.com"})
    assert row["name"] == "Dr. Jane Doe"
    assert row["extra"] == {"First Name": "Jane", "Last Name": "Doe"}


def test_empty_values_are_dropped_case_insensitively():
    plan = simple({"Name": "name", "City": "city"}, empty_values=("Select", "N/A")).apply(
        ["Name", "City", "Note"]
    )
    assert plan.row({"Name": "Jane", "City": " select ", "Note": "n/a"}) == {"name": "Jane"}


def test_unparseable_values():
    plan = simple({"Email Opt Out": "do_not_email", "Size": "company_size", "Name": "name"}).apply(
        ["Name", "Email Opt Out", "Size"]
    )
    assert plan.row({"Name": "J", "Size": "a few"}) == {"name": "J", "extra": {"Size": "a few"}}
    with pytest.raises(RowValueError) as caught:
        plan.row({"Name": "J", "Email Opt Out": "maybe"})
    assert caught.value.reasons == ['column "Email Opt Out": "maybe" is not yes or no']


def test_ignore_and_explicit_extra_keys():
    plan = simple({"Score": "ignore", "Booth": "extra.booth", "Name": "name"}).apply(
        ["Name", "Score", "Booth", "Other"]
    )
    assert plan.ignored == ("Score",) and plan.unmapped == ("Other",)
    assert plan.mapped == {"Name": "name", "Booth": "extra.booth"}
    assert plan.row({"Name": "J", "Score": "99", "Booth": "A12", "Other": "x"}) == {
        "name": "J",
        "extra": {"booth": "A12", "Other": "x"},
    }


@pytest.mark.parametrize(
    ("raw", "source", "detail"),
    [
        ("Trade Show", "event_sponsored", "Trade Show"),  # built-in synonym
        ("trial_signup", "trial_signup", None),  # a code
        ("SEO", "seo", None),
        ("Spring Summit", "event_summit", "Spring Summit"),  # the mapping's own table
        ("spring  SUMMIT", "event_summit", "spring  SUMMIT"),
        ("Billboard", "partner", "Billboard"),  # unknown: the default source
        ("", "partner", None),  # empty: the default source
    ],
)
def test_source_resolution(raw, source, detail):
    m = simple(
        {"Source": "source"}, values={"source": {"Spring Summit": "event_summit"}}, default_source="partner"
    )
    row = m.apply(["Source"]).row({"Source": raw})
    assert row.get("source") == source
    assert row.get("source_detail") == detail


def test_unknown_source_without_default_is_other_and_a_detail_column_wins():
    plan = simple({"Source": "source", "Campaign": "source_detail"}).apply(["Source", "Campaign"])
    assert plan.row({"Source": "Billboard", "Campaign": ""}) == {
        "source": "other",
        "source_detail": "Billboard",
    }
    assert plan.row({"Source": "Billboard", "Campaign": "Q4"}) == {"source": "other", "source_detail": "Q4"}
    assert plan.row({"Source": "", "Campaign": ""}) == {}


def test_value_tables_for_other_fields():
    m = simple(
        {"Unsubscribed": "do_not_email", "Band": "company_size", "Region": "region"},
        values={
            "do_not_email": {"opted out": "yes"},
            "company_size": {"SMB": "50"},
            "region": {"华东": "East"},
        },
    )
    plan = m.apply(["Unsubscribed", "Band", "Region"])
    assert plan.row({"Unsubscribed": "Opted Out", "Band": "smb", "Region": "华东"}) == {
        "do_not_email": True,
        "company_size": 50,
        "region": "East",
    }


def test_missing_required_columns_only_warn():
    plan = simple({"Company": "company"}).apply(["Company"])
    assert plan.missing == ("name", "contact")
    assert len(plan.warnings) == 2
    assert plan.row({"Company": "Acme"}) == {"company": "Acme"}
    assert plan.row_problems({"company": "Acme"}) == ["no name", "no e-mail address or phone number"]
    assert simple({"Company": "company"}, require_contact=False).apply(["Company"]).missing == ("name",)


def test_contact_route_is_per_row():
    plan = preset("salesforce").apply(["First Name", "Email", "Phone"])
    assert plan.missing == ()
    assert plan.row_problems(plan.row({"First Name": "J", "Email": "", "Phone": ""})) == [
        "no e-mail address or phone number"
    ]
    assert plan.row_problems(plan.row({"First Name": "J", "Email": "", "Phone": "138"})) == []


def test_synthesised_name():
    m = simple(
        {"ID": "external_id", "No": "extra.number", "Phone": "phone"}, synthesise_name="Lead {external_id}"
    )
    plan = m.apply(["ID", "No", "Phone"])
    assert plan.missing == ()
    assert plan.row({"ID": "660737", "Phone": "1"})["name"] == "Lead 660737"
    assert "name" not in plan.row({"ID": "", "Phone": "1"})  # nothing to build it from
    other = simple({"No": "extra.number"}, synthesise_name="Lead #{extra.number}", require_contact=False)
    assert other.apply(["No"]).row({"No": "7"}) == {"name": "Lead #7", "extra": {"number": "7"}}


@given(st.dictionaries(st.sampled_from(SALESFORCE_EXPORT), st.text(max_size=20)))
def test_rows_lose_nothing(values):
    plan = preset("salesforce").apply(SALESFORCE_EXPORT)
    try:
        row = plan.row(values)
    except RowValueError as exc:
        assert all("is not yes or no" in reason for reason in exc.reasons)
        return
    texts = [str(v) for k, v in row.items() if k != "extra"] + list(row.get("extra", {}).values())
    for header, text in values.items():
        text = text.strip()
        target = plan.mapped.get(header)
        if (
            not text
            or target in ("do_not_email", "do_not_call")
            or (target == "company_size" and "company_size" in row)
        ):
            continue
        assert any(text in kept for kept in texts), (header, text, row)


# --- mapping files ---------------------------------------------------------------------------------------

EXAMPLE = """
name = "Trade show badges"
empty_values = ["NA", "-"]
default_source = "event_sponsored"
synthesise_name = "Visitor {extra.badge}"

[columns]
"Badge" = "extra.badge"
"Full Name" = "name"
"E-Mail" = "email"
"Cell" = "phone"
"Firm" = "company"
"Internal" = "ignore"

[values.source]
"CeBIT" = "event_sponsored"
"""


def test_mapping_file(tmp_path):
    path = tmp_path / "badges.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    m = load_mapping(path)
    assert m.name == "Trade show badges"
    assert load_mapping(str(path)) == m
    plan = m.apply(["Badge", "full name", "EMAIL", "Firm", "Internal", "Booth"])
    assert plan.absent == ("Cell",)
    assert plan.warnings == ["columns named by the mapping but not in the file: Cell"]
    assert plan.row(
        {"Badge": "B-17", "full name": "NA", "EMAIL": "j@x.com", "Firm": "-", "Internal": "x", "Booth": "3"}
    ) == {
        "name": "Visitor B-17",
        "email": "j@x.com",
        "source": "event_sponsored",
        "extra": {"badge": "B-17", "Booth": "3"},
    }


def test_mapping_file_extending_a_preset():
    m = mapping_from_toml('extends = "salesforce"\n[columns]\n"Mobile" = "extra.mobile"\n"Booth" = "notes"\n')
    plan = m.apply(["Last Name", "Mobile", "Booth", "Email"])
    assert plan.mapped == {
        "Last Name": "last_name",
        "Mobile": "extra.mobile",
        "Booth": "notes",
        "Email": "email",
    }
    assert plan.absent == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns = [", "not valid TOML"),
        ('colums = {"A" = "name"}', r"unknown setting\(s\) colums"),
        ('[columns]\n"A" = "fullname"', 'column "A" maps to "fullname", which is not a Baton field'),
        ('[columns]\n"A" = "extra."', 'maps to "extra."'),
        ('[columns]\n"A" = 3', "must map to a field name"),
        (
            '[columns]\n"E-mail" = "email"\n"Email" = "email"',
            'columns "E-mail" and "Email" are the same column',
        ),
        ('default_source = "web"\n[columns]\n"A" = "name"', 'default_source "web" is not a Baton source'),
        (
            '[columns]\n"A" = "source"\n[values.source]\n"Web" = "website"',
            r'\[values.source\] "Web" = "website": not a Baton source',
        ),
        ('[columns]\n"A" = "name"\n[values.name]\n"x" = "y"', "not a field whose values can be mapped"),
        ('[columns]\n"A" = "do_not_call"\n[values.do_not_call]\n"x" = "perhaps"', "use yes or no"),
        ('[columns]\n"A" = "name"\n[values]\nsource = 1', "must be a table"),
        ('synthesise_name = "Lead {id}"\n[columns]\n"A" = "name"', r"\{id\} is not a field"),
        ('synthesise_name = "Lead {external_id"\n[columns]\n"A" = "name"', "unbalanced braces"),
        ('empty_values = "NA"\n[columns]\n"A" = "name"', "empty_values must be list"),
        ('require_contact = "no"\n[columns]\n"A" = "name"', "require_contact must be bool"),
        ('name = "x"', r"has no \[columns\]"),
        ('extends = "pipedrive"', 'no preset named "pipedrive"'),
    ],
)
def test_bad_mapping_files(text, message):
    with pytest.raises(MappingError, match=message):
        mapping_from_toml(text, name="bad.toml")


def test_unknown_preset_or_missing_file(tmp_path):
    with pytest.raises(MappingError, match='"nowhere.toml" is neither a preset'):
        load_mapping("nowhere.toml")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[columns]\n"Ville" = "city"\n"Société" = "company"\n'.encode("latin-1"))
    with pytest.raises(MappingError, match="must be UTF-8"):
        load_mapping(latin1)


def test_fields_are_the_capture_fields():
    assert FIELDS[:3] == ("name", "first_name", "last_name")
    assert {
        "email",
        "phone",
        "company_size",
        "external_id",
        "do_not_email",
        "do_not_call",
        "created_at",
    } <= set(FIELDS)

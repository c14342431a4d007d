import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import normalize


def test_email_lowercases_domain_and_detects_free_mail():
    e = normalize.email("  Jane.Doe@GMAIL.com ")
    assert e.address == "Jane.Doe@gmail.com" and e.free_mail
    assert not normalize.email("li@acme.cn").free_mail
    with pytest.raises(normalize.NormalisationError):
        normalize.email("nobody@")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("138 0013 8000", "CN", "+8613800138000"),
        ("+1 (415) 555-2671", "CN", "+14155552671"),
        ("010-6552-9988", "CN", "+861065529988"),
    ],
)
def test_phone_to_e164(raw, region, expected):
    assert normalize.phone(raw, region) == expected


def test_bad_phone_is_explained():
    with pytest.raises(normalize.NormalisationError, match="phone"):
        normalize.phone("12", "CN")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("示例科技有限公司", "示例科技"),
        ("华为技术股份有限公司", "华为技术"),
        ("阿里巴巴集团", "阿里巴巴"),
        ("Acme, Inc.", "acme"),
        ("Siemens AG", "siemens"),
        ("Müller GmbH", "müller"),
        ("Foo Bar Co., Ltd.", "foo bar"),
    ],
)
def test_company_key_strips_legal_suffixes(name, key):
    assert normalize.company_key(name) == key


@given(st.text(max_size=40))
def test_company_key_never_crashes_and_is_idempotent(name):
    key = normalize.company_key(name)
    assert normalize.company_key(key) == key


def test_domain_from_website():
    assert normalize.domain_from_website("https://www.Example.com/path?q=1") == "example.com"
    assert normalize.domain_from_website("example.cn:8080") == "example.cn"


# --- company_key: nested legal forms, brackets, width, punctuation -------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("上海某某科技股份有限公司", "上海某某科技"),
        ("某某集团股份有限公司", "某某"),
        ("某某（中国）有限公司", "某某"),
        ("某某(中国)有限公司", "某某"),
        ("Acme (China) Co., Ltd.", "acme"),
        ("Acme Holdings Co., Ltd.", "acme holdings"),
        ("ＡＣＭＥ　Ｉｎｃ．", "acme"),
        ("华为 技术有限公司", "华为技术"),
        ("ACME 科技有限公司", "acme科技"),
        ("某某科技有限公司上海分公司", "某某科技"),
        ("中国银行北京分行", "中国银行"),
        ("Acme GmbH & Co. KG", "acme"),
        ("SAP SE", "sap"),
        ("Acme Pte. Ltd.", "acme"),
        ("A.B.C. Corp", "abc"),
        ("Hewlett-Packard Company", "hewlett packard"),
        ("  Acme,   Inc. ", "acme"),
        ("(Acme)", "acme"),
        ("公司", "公司"),
        ("Inc.", "inc"),
        ("", ""),
    ],
)
def test_company_key_cases(name, key):
    assert normalize.company_key(name) == key


STEMS = st.sampled_from(
    [
        "Acme",
        "Acme Technology",
        "Globex",
        "Initech Software",
        "上海某某科技",
        "北京字节跳动科技",
        "华为技术",
        "Müller",
    ]
)
LEGAL_FORMS = st.sampled_from(
    [" Inc.", " Co., Ltd.", ", Inc", " GmbH", " Ltd", " LLC", " Corp.", "有限公司", "股份有限公司", " Group"]
    + ["集团有限公司", " (China) Co., Ltd.", "（中国）有限公司", " AG", " S.A.", " Pte. Ltd."]
)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


@given(STEMS, LEGAL_FORMS, st.sampled_from([str, str.upper, str.lower, _fullwidth]))
def test_company_key_ignores_legal_form_case_and_width(stem, legal_form, variant):
    assert normalize.company_key(variant(stem + legal_form)) == normalize.company_key(stem)


@given(
    st.lists(
        st.sampled_from(
            list("abcXYZ 0.,&-()（）【】有限公司集团科技中国") + ["Inc", "Ltd", "Co", " Group", "分公司"]
        ),
        max_size=15,
    ).map("".join)
)
def test_company_key_idempotent_on_company_like_names(name):
    key = normalize.company_key(name)
    if key:
        assert normalize.company_key(key) == key


# --- person_key ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("John Smith", "john smith"),
        ("Smith, John", "john smith"),
        ("Smith, John, Jr.", "john smith"),
        ("Mr. John  Smith", "john smith"),
        ("Dr. José Álvarez", "jose alvarez"),
        ("O'Brien, Mary-Ann", "mary ann obrien"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "john smith"),
        ("王先生", "王"),
        ("李女士", "李"),
        ("张总", "张"),
        ("刘总经理", "刘"),
        ("王 小明", "王小明"),
        ("Mr.", "mr"),
        ("先生", "先生"),
        ("", ""),
    ],
)
def test_person_key(name, key):
    assert normalize.person_key(name) == key


@given(st.text(max_size=30))
def test_person_key_never_raises_and_is_idempotent(name):
    key = normalize.person_key(name)
    assert normalize.person_key(key) == key


LATIN_WORD = st.sampled_from(["john", "Mary", "li", "WANG", "José", "anne-marie", "o'neil", "xiaoming"])


@given(LATIN_WORD, LATIN_WORD)
def test_person_key_last_comma_first(first, last):
    assert normalize.person_key(f"{last}, {first}") == normalize.person_key(f"{first} {last}")


# --- seniority ---------------------------------------------------------------------------------------------

SENIORITY_CASES = {
    "c_level": [
        "CEO",
        "C.E.O.",
        "Chief Executive Officer",
        "Chief Information Security Officer",
        "Co-Founder & CTO",
        "Founder",
        "Owner",
        "President & CEO",
        "Chairman",
        "Managing Director",
        "General Manager",
        "Partner",
        "总裁",
        "首席执行官",
        "首席技术官",
        "创始人",
        "联合创始人",
        "董事长",
        "总经理",
    ],
    "vp": [
        "VP",
        "V.P. Sales",
        "Vice President",
        "Vice-President, Marketing",
        "VP of Sales",
        "SVP",
        "Sr. VP, Marketing",
        "Executive Vice President",
        "Deputy General Manager",
        "副总裁",
        "副总经理",
        "销售副总裁",
        "副总",
        "董事会秘书",
    ],
    "director": [
        "Director",
        "Director of Sales",
        "Head of Sales",
        "Sales Director",
        "Assistant Vice President",
        "AVP",
        "Chief of Staff",
        "总监",
        "IT总监",
        "负责人",
        "市场部部长",
    ],
    "manager": [
        "Manager",
        "Sales Manager",
        "Team Lead",
        "Lead Engineer",
        "Supervisor",
        "Assistant Director",
        "Associate Director",
        "Partner Manager",
        "经理",
        "销售经理",
        "高级经理",
        "主管",
        "副总监",
        "助理总监",
    ],
    "senior": [
        "Senior Engineer",
        "Sr. Software Engineer",
        "Principal Consultant",
        "Staff Engineer",
        "Chief Architect",
        "Asst. Manager",
        "高级工程师",
        "资深顾问",
        "首席架构师",
    ],
    "individual": [
        "Engineer",
        "Assistant",
        "Assistant to the CEO",
        "Executive Assistant to the VP",
        "CEO Assistant",
        "Sales Representative",
        "Account Executive",
        "Lead Generation Specialist",
        "Product Owner",
        "Internal Auditor",
        "Head Office Administrator",
        "助理",
        "总经理助理",
        "董事长秘书",
        "专员",
        "工程师",
        "销售代表",
    ],
    "student": ["Student", "Marketing Intern", "Summer Internship", "学生", "实习生", "销售实习"],
    "unknown": ["", "   ", "Sales", "Marketing", "-"],
}


@pytest.mark.parametrize(
    ("title", "level"), [(t, level) for level, titles in SENIORITY_CASES.items() for t in titles]
)
def test_seniority(title, level):
    assert normalize.seniority(title) == level


def test_seniority_order():
    assert normalize.SENIORITY_ORDER == (
        "c_level",
        "vp",
        "director",
        "manager",
        "senior",
        "individual",
        "student",
        "unknown",
    )
    assert set(SENIORITY_CASES) == set(normalize.SENIORITY_ORDER)


@given(
    st.sampled_from([t for titles in SENIORITY_CASES.values() for t in titles]),
    st.sampled_from(
        [str.upper, str.lower, str.title, _fullwidth, lambda t: f"  {t}. ", lambda t: t.replace(" ", "  ")]
    ),
)
def test_seniority_ignores_case_width_punctuation_and_spacing(title, variant):
    assert normalize.seniority(variant(title)) == normalize.seniority(title)


@given(st.text(max_size=40))
def test_seniority_is_total(title):
    assert normalize.seniority(title) in normalize.SENIORITY_ORDER


# --- fast paths: the same answer as the library path -------------------------------------------------------


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except normalize.NormalisationError as exc:
        return ("error", exc.field, exc.message)


TRICKY_EMAILS = [
    "Jane.Doe@GMAIL.com",
    "  li.wei@acme.cn\t",
    "Info@Acme.com",
    "SALES@acme.cn",
    "a+tag@sub.acme.co.uk",
    "a..b@acme.com",
    ".a@acme.com",
    "a.@acme.com",
    "a@acme",
    "a@acme.c",
    "a@acme.c0m",
    "a@acme.123",
    "a@acme.-com",
    "a@-acme.com",
    "a@acme-.com",
    "a@ab--cd.com",
    "a@xn--fiqs8s.cn",
    "a@acme.test",
    "a@foo.localhost",
    "a@foo.onion",
    "a@acme.com.",
    "a@.acme.com",
    "a@acme..com",
    '"a"@acme.com',
    '"a b"@acme.com',
    "a b@acme.com",
    "Jane <jane@acme.com>",
    "a@[1.2.3.4]",
    "müller@acme.de",
    "a@bücher.de",
    "a@acme.com\n",
    "a@acme.com\u3000",
    "a＠acme.com",
    "x" * 64 + "@acme.com",
    "x" * 65 + "@acme.com",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a" * 64 + "@" + ".".join(["b" * 60] * 3) + "." + "c" * 5,
    "a" * 64 + "@" + ".".join(["b" * 60] * 3) + "." + "c" * 6,
    "a@" + ".".join(["b" * 61] * 4) + ".cc",
    "",
    "@",
    "nobody@",
]


@pytest.mark.parametrize("raw", TRICKY_EMAILS)
def test_email_fast_path_agrees_with_library_on_tricky_inputs(raw):
    assert _outcome(normalize.email, raw) == _outcome(normalize._email_library, raw)


def test_email_fast_path_takes_the_common_case():
    assert normalize._email_fast("Jane.Doe@GMAIL.com") == normalize.Email(
        "Jane.Doe@gmail.com", "gmail.com", True
    )
    assert normalize._email_fast("info@Acme.com") == normalize.Email("info@acme.com", "acme.com", False)
    assert normalize._email_fast("müller@acme.de") is None


_LOCAL = st.text(alphabet=st.sampled_from(list("abXY09._-+!#$%&'*/=?^`{|}~\"(),;:<>@\\ ü中")), max_size=12)
_LABEL = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcXYZ019-ü")), max_size=8),
    st.sampled_from(["xn--fiqs8s", "a" * 63, "a" * 64, "ab--cd", "acme", "gmail"]),
)
_TLD = st.sampled_from(
    ["com", "cn", "COM", "test", "local", "localhost", "onion", "arpa", "invalid"]
    + ["c0m", "1com", "c", "x1", "-com", "com-", "中国", ""]
)
_EMAILS = st.one_of(
    st.emails(),
    st.builds(
        lambda pad, local, labels, tld, pad2: (
            f"{pad}{local}@{'.'.join(labels)}{'.' if tld else ''}{tld}{pad2}"
        ),
        st.sampled_from(["", " ", "\t", "\u3000"]),
        st.one_of(_LOCAL, st.sampled_from(["Info", "sales", "Jane.Doe", "x" * 64, "x" * 65])),
        st.lists(_LABEL, min_size=1, max_size=4),
        _TLD,
        st.sampled_from(["", " ", "\n", "\u3000"]),
    ),
)


@given(_EMAILS)
def test_email_fast_path_agrees_with_library(raw):
    fast = normalize._email_fast(raw.strip())
    if fast is not None:
        assert fast == normalize._email_library(raw)
    assert _outcome(normalize.email, raw) == _outcome(normalize._email_library, raw)


@pytest.mark.parametrize("region", ["CN", "US"])
def test_phone_fast_path_agrees_with_library_on_every_cn_mobile_prefix(region):
    for prefix in range(1000, 2000):
        for raw in (
            f"{prefix}1234567",
            f"+86 {prefix}-123-4567",
            f"{str(prefix)[:3]} {str(prefix)[3]}123 4567",
        ):
            assert _outcome(normalize.phone, raw, region) == _outcome(
                normalize._phone_library, raw, region
            ), raw


TRICKY_PHONES = [
    "138 0013 8000",
    "138-0013-8000",
    "+8613800138000",
    "+86 138 0013 8000",
    "+86-13800138000",
    "8613800138000",
    "008613800138000",
    "13800138000 ",
    " 13800138000\n",
    "1380013800",
    "138001380000",
    "12800138000",
    "11800138000",
    "17951234567",
    "+86 (138) 0013 8000",
    "138.0013.8000",
    "１３８００１３８０００",
    "＋8613800138000",
    "138  0013 8000",
    "+86  13800138000",
    "13800138000 ext. 12",
    "+1 (415) 555-2671",
    "010-6552-9988",
    "",
]


@pytest.mark.parametrize("region", ["CN", "US", "HK"])
@pytest.mark.parametrize("raw", TRICKY_PHONES)
def test_phone_fast_path_agrees_with_library_on_tricky_inputs(raw, region):
    assert _outcome(normalize.phone, raw, region) == _outcome(normalize._phone_library, raw, region)


def test_phone_fast_path_takes_the_common_case():
    assert normalize._phone_fast("138 0013 8000", "CN") == "+8613800138000"
    assert normalize._phone_fast("+86 138-0013-8000", "US") == "+8613800138000"
    assert normalize._phone_fast("138 0013 8000", "US") is None


_PHONES = st.one_of(
    st.from_regex(r"\A(\+86[ -]?)?1[0-9]{2}(?:[ -]?[0-9]){7,9}\Z"),
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "86", "+1", "+", "＋86", " "]),
        st.lists(
            st.sampled_from(list("0123456789") * 3 + [" ", "-", "  ", ".", "(", ")", "\u3000", "１"]),
            max_size=18,
        ).map("".join),
    ),
)


@given(_PHONES, st.sampled_from(["CN", "US", "HK"]))
def test_phone_fast_path_agrees_with_library(raw, region):
    fast = normalize._phone_fast(raw.strip(), region)
    if fast is not None:
        assert fast == normalize._phone_library(raw, region)
    assert _outcome(normalize.phone, raw, region) == _outcome(normalize._phone_library, raw, region)

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

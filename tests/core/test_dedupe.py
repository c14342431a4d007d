from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from baton.core import dedupe
from baton.core.dedupe import AccountFacts, PersonFacts, match
from baton.core.normalize import company_key, person_key

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def person(id, **kw) -> PersonFacts:
    return PersonFacts(id=id, **kw)


# --- match ---------------------------------------------------------------------------------------------


def test_same_email_is_certain_and_case_insensitive():
    m = match(person(1, name="Jane Doe", email="Jane.Doe@acme.com"), person(2, email="jane.doe@ACME.com"))
    assert (m.score, m.method) == (100, "email")
    assert "jane.doe@acme.com" in m.reasons[0]


def test_shared_role_mailbox_with_different_names_is_not_a_duplicate():
    a = person(1, name="Jane Doe", email="info@acme.com")
    assert match(a, person(2, name="Wang Wei", email="info@acme.com")).score == dedupe.SCORE_ROLE_MAILBOX
    assert match(a, person(3, name="Jane Doe", email="Info@acme.com")).score == 100
    assert match(a, person(4, email="info@acme.com")).score == 100  # no name to contradict


def test_same_phone():
    a = person(1, name="John Smith", phone="+8613800138000", email="john@gmail.com")
    m = match(a, person(2, name="Smith John", phone="+8613800138000", email="john.smith@acme.com"))
    assert (m.score, m.method) == (95, "phone")  # free mail beside a company address: no conflict
    assert match(a, person(3, phone="+8613800138000")).score == 95


def test_same_phone_with_different_company_emails_needs_similar_names():
    a = person(1, name="John Smith", phone="+861065529988", email="john@acme.com")
    switchboard = person(2, name="Mary Lee", phone="+861065529988", email="mary@acme.com")
    assert match(a, switchboard) is None
    moved = person(3, name="John Smith", phone="+861065529988", email="jsmith@globex.com")
    m = match(a, moved)
    assert (m.score, m.method) == (dedupe.SCORE_PHONE_CONFLICT, "phone")
    assert "different company e-mails" in m.reasons[0]


def test_same_domain_and_similar_name():
    a = person(1, name="Jonathan Smith", email="jonathan.smith@acme.com")
    m = match(a, person(2, name="Smith, Johnathan", email="jsmith@acme.com"))
    assert (m.score, m.method) == (90, "domain_name")
    assert match(a, person(3, name="Mary Lee", email="mary@acme.com")) is None


def test_free_mail_is_no_company_domain():
    a = person(1, name="John Smith", email="john.smith@gmail.com", domain="gmail.com")
    assert match(a, person(2, name="John Smith", email="js1980@gmail.com", domain="gmail.com")) is None


def test_fuzzy_name_and_company():
    a = person(1, name="王小明", company="上海某某科技股份有限公司")
    m = match(a, person(2, name="王 小明", company="上海某某科技有限公司"))
    assert (m.score, m.method) == (92, "fuzzy_name_company")
    typo = match(
        person(3, name="John Smith", company="Initech Software Inc."),
        person(4, name="Jon Smith", company="Initech Sofware"),
    )
    assert typo.method == "fuzzy_name_company" and 84 <= typo.score < 90
    assert match(a, person(5, name="王小明", company="北京另一家公司")) is None


def test_company_key_given_by_the_caller_is_used():
    a = person(1, name="John Smith", company="whatever", company_key="acme")
    assert match(a, person(2, name="John Smith", company="Acme Inc.")).method == "fuzzy_name_company"


def test_best_rule_wins_and_all_evidence_is_listed():
    a = person(1, name="John Smith", email="john@acme.com", phone="+8613800138000", company="Acme")
    b = person(2, name="John Smith", email="john@acme.com", phone="+8613800138000", company="Acme Inc")
    m = match(a, b)
    assert (m.score, m.method) == (100, "email")
    assert len(m.reasons) == 4


def test_name_similarity_is_token_sort_ratio_on_person_keys():
    pairs = [("Smith, John", "john smith"), ("Jon Smith", "John Smyth"), ("王小明", "王晓明")]
    for x, y in pairs:
        expected = fuzz.token_sort_ratio(person_key(x), person_key(y))
        assert fuzz.ratio(dedupe.name_form(x), dedupe.name_form(y)) == pytest.approx(expected)


def test_no_evidence_no_match():
    assert match(person(1), person(2)) is None
    assert match(person(1, name="John Smith"), person(2, name="John Smith")) is None


# --- realistic records and variations ------------------------------------------------------------------------

FIRST = ["John", "Jonathan", "Mary", "Anne-Marie", "Xiaoming", "Wei", "Alexander", "Li"]
LAST = ["Smith", "Wang", "Zhang", "Alexanderson", "O'Brien", "Lee", "Müller"]
ZH_NAMES = ["王小明", "李娜", "张伟", "欧阳娜娜", "司马相如"]
STEMS = [
    "Acme Technology",
    "Globex",
    "Initech Software",
    "上海某某科技",
    "北京字节跳动科技",
    "华为技术",
    "Umbrella",
]
LEGAL = [
    "",
    " Inc.",
    " Co., Ltd.",
    "有限公司",
    "股份有限公司",
    " GmbH",
    " (China) Co., Ltd.",
    "（中国）有限公司",
    " Group",
]
DOMAINS = ["acme.com", "globex.cn", "initech.io", "gmail.com", "qq.com", ""]
PHONES = ["+8613800138000", "+8613911112222", "+14155552671", ""]


def _typo(draw, text: str) -> str:
    if len(text) < 2:
        return text
    kind = draw(st.sampled_from(["insert", "delete", "replace", "swap"]))
    i = draw(st.integers(0, len(text) - 2))
    c = draw(st.sampled_from("aeioux"))
    if kind == "insert":
        return text[:i] + c + text[i:]
    if kind == "delete":
        return text[:i] + text[i + 1 :]
    if kind == "replace":
        return text[:i] + c + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


@st.composite
def base_person(draw, id=1):
    if draw(st.booleans()):
        name = f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"
    else:
        name = draw(st.sampled_from(ZH_NAMES))
    stem = draw(st.sampled_from(STEMS))
    domain = draw(st.sampled_from(DOMAINS))
    local = draw(st.sampled_from(["john", "j.smith", "info", "sales", "wang"]))
    mail = draw(st.sampled_from([f"{local}@{domain}" if domain else "", ""]))
    return {"id": id, "name": name, "stem": stem, "legal": draw(st.sampled_from(LEGAL)), "domain": domain}, {
        "email": mail,
        "phone": draw(st.sampled_from(PHONES)),
    }


@st.composite
def variation(draw, base, typos=True):
    """A rendering of the base: case, whitespace, name order and legal form vary; with ``typos``, at
    most one typo in the name and one in the company."""
    name, stem = base["name"], base["stem"]
    if typos and draw(st.booleans()):
        name = _typo(draw, name)
    name = draw(st.sampled_from([str, str.upper, str.lower]))(name)
    if " " in name and draw(st.booleans()):
        first, _, last = name.partition(" ")
        name = f"{last}, {first}"
    name = draw(st.sampled_from(["", " ", "  "])) + name.replace(" ", draw(st.sampled_from([" ", "  "])))
    if typos and draw(st.booleans()):
        stem = _typo(draw, stem)
    company = draw(st.sampled_from([str, str.upper]))(stem + draw(st.sampled_from(LEGAL)))
    return {"name": name, "company": company}


def _facts(id, fields, contact) -> PersonFacts:
    return PersonFacts(
        id=id,
        name=fields["name"],
        company=fields["company"],
        company_key=company_key(fields["company"]),
        domain=contact.get("domain", ""),
        email=contact["email"],
        phone=contact["phone"],
    )


@st.composite
def similar_pair(draw):
    base, contact = draw(base_person())
    a_fields = draw(variation(base, typos=False))
    b_fields = draw(variation(base))
    b_contact = draw(
        st.sampled_from([contact, {"email": "", "phone": ""}, {"email": "other@globex.cn", "phone": ""}])
    )
    domain_a = base["domain"] if draw(st.booleans()) else ""
    domain_b = base["domain"] if draw(st.booleans()) else draw(st.sampled_from(DOMAINS))
    return (
        _facts(1, a_fields, {**contact, "domain": domain_a}),
        _facts(2, b_fields, {**b_contact, "domain": domain_b}),
    )


@given(similar_pair())
def test_blocking_keys_recall(pair):
    a, b = pair
    m = match(a, b)
    if m is not None:  # every rule, not only those reaching the default threshold
        assert dedupe.blocking_keys(a) & dedupe.blocking_keys(b), m


ANY_FACTS = st.builds(
    PersonFacts,
    id=st.integers(0, 5),
    name=st.one_of(st.sampled_from(FIRST + ZH_NAMES + ["John Smith", "Smith, John"]), st.text(max_size=12)),
    email=st.sampled_from(["john@acme.com", "JOHN@acme.com", "info@acme.com", "x@gmail.com", ""]),
    phone=st.sampled_from(PHONES),
    company=st.one_of(st.sampled_from(STEMS), st.text(max_size=12)),
    domain=st.sampled_from(DOMAINS),
)


@given(st.one_of(similar_pair(), st.tuples(ANY_FACTS, ANY_FACTS)))
def test_match_is_symmetric(pair):
    a, b = pair
    ab, ba = match(a, b), match(b, a)
    assert (ab is None) == (ba is None)
    if ab is not None:
        assert (ab.score, ab.method) == (ba.score, ba.method)
        assert 0 <= ab.score <= 100


def test_blocking_keys():
    a = person(1, name="Smith, John", email="John@Acme.com", phone="+8613800138000", company="Acme Inc.")
    name_ends = ["<joh", ">ohn", "<smi", ">ith"]
    assert dedupe.blocking_keys(a) == {
        "e:john@acme.com",
        "p:+8613800138000",
        *(f"d:acme.com|{n}" for n in name_ends),
        *(f"c:{c}|{n}" for c in ("<acm", ">cme") for n in name_ends),
    }
    free = person(2, name="John Smith", email="john@gmail.com", domain="gmail.com")
    assert not any(k.startswith("d:") for k in dedupe.blocking_keys(free))
    assert dedupe.blocking_keys(person(3)) == set()


# --- find_duplicates -----------------------------------------------------------------------------------------


def test_find_duplicates_by_key_lookup():
    existing = [
        person(10, name="John Smith", email="john@acme.com"),
        person(11, name="Jon Smith", email="jon.smith@acme.com"),
        person(12, name="Mary Lee", email="mary@acme.com", phone="+8613800138000"),
        person(13, name="Wang Wei", email="wang@globex.cn"),
    ]
    index = dedupe.build_index(existing)
    new = [
        person(1, name="John Smith", email="JOHN@acme.com", phone="+8613800138000"),
        person(2, name="Nobody"),
    ]
    pairs = dedupe.find_duplicates(new, index)
    assert [(p.new.id, p.existing.id, p.match.method) for p in pairs] == [
        (1, 10, "email"),
        (1, 11, "domain_name"),
    ]
    # Mary shares the phone but has a different company e-mail and name; 13 is not even a candidate.
    assert dedupe.find_duplicates(new, index, threshold=0)[-1].existing.id == 11


def test_find_duplicates_reports_each_pair_once_and_never_a_record_with_itself():
    batch = [
        person(1, name="John Smith", email="john@acme.com"),
        person(2, name="John Smith", email="john@acme.com"),
    ]
    pairs = dedupe.find_duplicates(batch, dedupe.build_index(batch))
    assert [(p.new.id, p.existing.id) for p in pairs] == [(1, 2)]


# --- survivor ------------------------------------------------------------------------------------------------


def test_owned_beats_unowned_before_status():
    d = dedupe.survivor(
        [
            person(1, status="sql", completeness=1.0, created_at=T0),
            person(2, status="working", owner_id=7, created_at=T0 + timedelta(days=3)),
        ]
    )
    assert (d.survivor_id, d.merged_ids) == (2, (1,))
    assert "owned by 7" in d.reasons[0] and d.reasons[1].startswith("1: unowned")


@pytest.mark.parametrize(
    ("records", "survivor_id", "why"),
    [
        ([person(1, status="mql"), person(2, status="converted")], 2, "status mql is behind converted"),
        ([person(1, status="disqualified"), person(2, status="new")], 2, "status disqualified is behind new"),
        ([person(1, status="nurturing"), person(2, status="working")], 2, "behind working"),
        ([person(1, completeness=0.4), person(2, completeness=0.9)], 2, "less complete (0.4 < 0.9)"),
        ([person(1, created_at=T0 + timedelta(1)), person(2, created_at=T0)], 2, "created later"),
        ([person(1), person(2, created_at=T0)], 2, "created later (unknown)"),
        ([person(2), person(1)], 1, "same rank, higher id"),
    ],
)
def test_survivor_rule(records, survivor_id, why):
    d = dedupe.survivor(records)
    assert d.survivor_id == survivor_id
    assert why in d.reasons[1]


def test_survivor_needs_distinct_records():
    with pytest.raises(ValueError):
        dedupe.survivor([])
    with pytest.raises(ValueError):
        dedupe.survivor([person(1), person(1)])


SURVIVOR_RECORDS = st.lists(
    st.builds(
        PersonFacts,
        id=st.integers(0, 10**6),
        owner_id=st.sampled_from([None, 1, 2]),
        status=st.sampled_from([*dedupe.STATUS_PRECEDENCE, "weird"]),
        completeness=st.sampled_from([0.0, 0.5, 1.0]),
        created_at=st.sampled_from([None, T0, T0 + timedelta(days=1)]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda r: r.id,
)


@given(SURVIVOR_RECORDS.flatmap(lambda rs: st.tuples(st.just(rs), st.permutations(rs))))
def test_survivor_is_independent_of_input_order(records_and_permutation):
    records, permuted = records_and_permutation
    assert dedupe.survivor(records) == dedupe.survivor(permuted)


# --- merge_fields -------------------------------------------------------------------------------------------


def test_merge_fills_only_empty_fields_from_the_most_recent_record():
    survivor = {"id": 1, "name": "John Smith", "phone": "", "title": None, "city": "上海", "size": 0}
    others = [
        {"id": 2, "updated_at": T0, "phone": "+8613800138000", "title": "CTO", "city": "北京", "size": 50},
        {
            "id": 3,
            "updated_at": T0 + timedelta(days=2),
            "phone": "  ",
            "title": "VP Engineering",
            "website": "acme.com",
        },
        {"id": 4, "phone": "+8613911112222", "status": "sql", "owner_id": 9, "_private": "x"},
    ]
    changes = dedupe.merge_fields(survivor, others)
    assert changes == {
        "phone": dedupe.FieldChange("+8613800138000", 2, T0),
        "title": dedupe.FieldChange("VP Engineering", 3, T0 + timedelta(days=2)),
        "website": dedupe.FieldChange("acme.com", 3, T0 + timedelta(days=2)),
    }
    assert survivor["phone"] == ""  # pure: nothing modified


def test_merge_recency_uses_the_latest_timestamp_and_then_the_higher_id():
    others = [
        {"id": 2, "created_at": T0, "last_activity_at": T0 + timedelta(days=9), "title": "A"},
        {"id": 3, "updated_at": T0 + timedelta(days=5), "title": "B"},
    ]
    assert dedupe.merge_fields({}, others)["title"].value == "A"
    assert dedupe.merge_fields({}, [{"id": 2, "title": "A"}, {"id": 3, "title": "B"}])["title"].source_id == 3


# --- accounts ---------------------------------------------------------------------------------------------

ACCOUNTS = [
    AccountFacts(5, name_key="acme", domain="acme.com"),
    AccountFacts(3, name_key="acme old", domain="acme.com"),
    AccountFacts(8, name_key="globex", owner_id=None, last_activity_at=T0),
    AccountFacts(9, name_key="globex", owner_id=4, last_activity_at=T0 - timedelta(days=30)),
    AccountFacts(11, name_key="initech softwarex", last_activity_at=T0),
    AccountFacts(12, name_key="initech softwarez", last_activity_at=T0 + timedelta(days=1)),
    AccountFacts(13, name_key="initech softwarey", domain="other.io"),
]


def test_account_by_domain_oldest_wins():
    m = dedupe.match_account("whatever", "ACME.com", ACCOUNTS)
    assert (m.account_id, m.method, m.score) == (3, "domain", 100)


def test_account_by_name_prefers_owned():
    m = dedupe.match_account("globex", "gmail.com", ACCOUNTS)  # free mail: no domain match
    assert (m.account_id, m.method) == (9, "name")


def test_account_fuzzy_best_score_then_tie_breakers_and_no_conflicting_domain():
    m = dedupe.match_account("initech software", "initech.io", ACCOUNTS)
    # 11 and 12 are equally similar; 12 had the more recent activity; 13 has another domain.
    assert (m.account_id, m.method) == (12, "fuzzy")
    assert 90 <= m.score < 100 and "equally similar" in m.reasons[1]
    assert dedupe.match_account("umbrella", "", ACCOUNTS) is None
    assert dedupe.match_account("", "", ACCOUNTS) is None


def test_account_blocking_keys():
    assert dedupe.account_blocking_keys("acme holdings", "www.acme.com") == {
        "ad:acme.com",
        "an:acme holdings",
        "a<acm",
        "a>ngs",
    }
    assert dedupe.account_blocking_keys("", "qq.com") == set()


@given(
    st.sampled_from(STEMS).flatmap(lambda s: st.tuples(st.just(s), st.data())),
    st.sampled_from(LEGAL),
    st.sampled_from(LEGAL),
    st.sampled_from(DOMAINS),
    st.sampled_from(DOMAINS),
)
def test_account_blocking_keys_recall(stem_data, legal_a, legal_b, domain_a, domain_b):
    stem, data = stem_data
    other = _typo(data.draw, stem) if data.draw(st.booleans()) else stem
    key_a, key_b = company_key(stem + legal_a), company_key(other.upper() + legal_b)
    if dedupe.match_account(key_a, domain_a, [AccountFacts(1, key_b, domain_b)]) is not None:
        assert dedupe.account_blocking_keys(key_a, domain_a) & dedupe.account_blocking_keys(key_b, domain_b)

"""Normalisation of captured contact data. Pure functions over strings (library calls, no I/O).

- ``email`` / ``phone``: validation and canonical forms (email-validator, phonenumbers), each with a
  fast path for the common case that returns exactly what the library path returns (property-tested).
- ``domain_from_website``, ``company_key``, ``person_key``: matching keys.
- ``seniority``: a job title (English or Chinese) to one of ``SENIORITY_ORDER``.
"""

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.com.cn",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
    ]
)

# Legal forms stripped from company names for matching (longest first within each script). "Group" /
# "集团" are stripped too (existing behaviour: "阿里巴巴集团" and "阿里巴巴" are one company for
# matching); descriptors such as "Holdings", "控股", "科技", "Technology" are part of the name and
# stay, as do place names ("上海…"): they distinguish companies more often than they vary.
LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "分公司",
    "有限合伙",
    "合伙企业",
    "株式会社",
    "集团",
    "公司",
    "incorporated",
    "inc",
    "corporation",
    "corp",
    "limited",
    "ltd",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "se",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "ab",
    "kk",
    "co",
    "company",
    "pte",
    "pty",
    "pvt",
    "private",
    "sdn",
    "bhd",
    "ltda",
    "group",
)

# Han, kana: scripts written without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_SUFFIXES = tuple(sorted((s for s in LEGAL_SUFFIXES if not s.isascii()), key=len, reverse=True))
_ASCII_SUFFIX_RE = re.compile(
    rf"(?:(?<=\s)|(?<=[{_CJK}]))(?:{'|'.join(re.escape(s) for s in LEGAL_SUFFIXES if s.isascii())})\Z"
)
# "某某科技有限公司上海分公司" → "某某科技有限公司"; "中国银行北京分行" → "中国银行".
_BRANCH_RE = re.compile(rf"\A(.+?(?:公司|集团|银行))[{_CJK}]{{1,12}}?(?:分公司|分行|办事处|代表处|分厂)\Z")
_BRACKETED_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
# Dropped without a space, so that "A.B.C." = "ABC", "L.L.C." = "LLC", "O'Brien" = "OBrien".
_JOINING_PUNCT_RE = re.compile(r"[.'’‘`´]")
_ASCII_SEPARATORS_RE = re.compile(r"[^a-zA-Z0-9]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")


class NormalisationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Email:
    address: str
    domain: str
    free_mail: bool


# --- e-mail -----------------------------------------------------------------------------------------

# The fast path accepts only what email-validator certainly accepts and normalises the same way: an
# ASCII dot-atom local part (RFC 5322 atext) and an ASCII host name of letters, digits and inner hyphens
# whose last label ends with a letter, within the length limits, outside the special-use names. It
# declines (returns None) for everything else — quoted or non-ASCII parts, IDNA ("xn--") or any "--",
# literals, display names — which then takes the library path.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_FAST_EMAIL_RE = re.compile(
    rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?\.)+"
    r"(?:[a-zA-Z0-9][a-zA-Z0-9-]{0,61})?[a-zA-Z])"
)
_SPECIAL_USE_TLDS = frozenset(["arpa", "invalid", "local", "localhost", "onion", "test"])
_CASE_INSENSITIVE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def _email_fast(text: str) -> Email | None:
    """The common case (``jane.doe@acme.com``) without the library, or None to take the library path."""
    m = _FAST_EMAIL_RE.fullmatch(text)
    if m is None or len(text) > 254:
        return None
    local, domain = m.groups()
    if len(local) > 64 or len(domain) > 253 or "--" in domain:
        return None
    domain = domain.lower()
    if domain.rpartition(".")[2] in _SPECIAL_USE_TLDS:
        return None
    if local.lower() in _CASE_INSENSITIVE_MAILBOXES:
        local = local.lower()
    return Email(f"{local}@{domain}", domain, domain in FREE_MAIL_DOMAINS)


def _email_library(raw: str) -> Email:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise NormalisationError("email", str(exc))
    domain = result.domain.lower()
    return Email(f"{result.local_part}@{domain}", domain, domain in FREE_MAIL_DOMAINS)


def email(raw: str) -> Email:
    """Validated e-mail: the local part as given, the domain lower-cased, free-mail flagged."""
    return _email_fast(raw.strip()) or _email_library(raw)


# --- phone ------------------------------------------------------------------------------------------

# Chinese mobile numbers (1[3-9]x xxxx xxxx), national or +86, with single spaces or hyphens between
# digits. phonenumbers formats these as "+86" + the 11 digits: the CN national-prefix-for-parsing
# pattern ("1(?:[12]\d|79)\d\d|0") never strips from them (1[3-9] is not 11/12, and stripping "179xx"
# would leave a non-viable six-digit number), and 11 digits is a possible CN length.
_FAST_CN_MOBILE_RE = re.compile(r"(\+86[ -]?)?(1[3-9][0-9](?:[ -]?[0-9]){8})")


def _phone_fast(text: str, default_region: str) -> str | None:
    m = _FAST_CN_MOBILE_RE.fullmatch(text)
    if m is None or (m.group(1) is None and default_region != "CN"):
        return None
    return "+86" + m.group(2).replace(" ", "").replace("-", "")


def _phone_library(raw: str, default_region: str = "CN") -> str:
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NormalisationError("phone", f"not a phone number ({exc})")
    if not phonenumbers.is_possible_number(parsed):
        raise NormalisationError(
            "phone", f"{raw!r} is not a possible phone number for region {default_region}"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a possible phone number (``default_region`` for numbers without a country code)."""
    return _phone_fast(raw.strip(), default_region) or _phone_library(raw, default_region)


# --- domains and names ------------------------------------------------------------------------------


def domain_from_website(raw: str) -> str:
    text = raw.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/")[0].split("?")[0].split("#")[0].split("@")[-1].split(":")[0]
    return text.removeprefix("www.")


def _fold(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms) and case folding."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _words(text: str) -> str:
    """Punctuation and symbols to spaces (letters, marks and digits stay), whitespace collapsed, and no
    spaces next to Han/kana characters ("华为 技术" = "华为技术", "ACME 科技" = "acme科技")."""
    text = _JOINING_PUNCT_RE.sub("", text)
    if text.isascii():
        text = _ASCII_SEPARATORS_RE.sub(" ", text)
    else:
        text = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text)
    return _CJK_SPACE_RE.sub("", " ".join(text.split()))


def _strip_legal_forms(text: str) -> str:
    """Strip legal forms and branch parts from the end until none is left; never to nothing."""
    while True:
        before = text
        branch = _BRANCH_RE.match(text)
        if branch:
            text = branch.group(1)
        for suffix in _CJK_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip()
        stripped = _ASCII_SUFFIX_RE.sub("", text).rstrip()
        if stripped:
            text = stripped
        if text == before:
            return text


def company_key(name: str) -> str:
    """Company name for matching.

    NFKC (full-width = half-width) and case folding; bracketed parts removed ("(中国)", "（中国）",
    "(China)", "[HK]", "【…】") unless nothing else is left; "." and apostrophes dropped, other
    punctuation to spaces, whitespace collapsed, no spaces next to Han characters; then legal forms
    (``LEGAL_SUFFIXES``, nested: "股份有限公司", "集团有限公司", "Co., Ltd.", "GmbH & Co. KG") and
    branch parts ("…有限公司上海分公司") stripped from the end. Idempotent; never raises; a name that
    is only a legal form ("公司", "Inc.") keeps it. "Acme Holdings Co., Ltd." → "acme holdings".
    """
    text = _fold(name)
    unbracketed = text
    while True:
        reduced = _BRACKETED_RE.sub(" ", unbracketed)
        if reduced == unbracketed:
            break
        unbracketed = reduced
    key = _strip_legal_forms(_words(unbracketed))
    return key or _strip_legal_forms(_words(text))


# Courtesy titles and name suffixes, dropped from person names (as whole words).
PERSON_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "madam",
        "madame",
        "mme",
        "mlle",
        "herr",
        "frau",
        "dear",
        "hon",
        "rev",
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "phd",
        "md",
        "esq",
    ]
)
# Chinese honorifics after the (sur)name: 王先生, 李女士, 张总, 刘总经理, 陈老师.
PERSON_TITLES_ZH = ("总经理", "先生", "女士", "小姐", "太太", "夫人", "老师", "博士", "教授", "经理", "总")
_LATIN_FOLD_RANGE = range(0xC0, 0x250)


def _fold_latin_accents(text: str) -> str:
    if text.isascii():
        return text
    out = []
    for c in text:
        if ord(c) in _LATIN_FOLD_RANGE:
            out.append("".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)))
        else:
            out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def person_key(name: str) -> str:
    """Person name for fuzzy matching.

    NFKC and case folding, accents on Latin letters dropped ("José" = "jose"), "Last, First" →
    "first last" (a trailing ", Jr." / ", PhD" is dropped, not swapped), courtesy titles and suffixes
    (Mr, Ms, Dr, Prof, Jr, PhD…) and Chinese honorifics (先生, 女士, 总, 经理…) removed unless nothing
    else is left, punctuation to spaces, whitespace collapsed, no spaces between Han characters
    ("王 小明" = "王小明"). Idempotent; never raises.
    """
    text = _fold_latin_accents(_fold(name))
    parts = [p for p in (p.strip() for p in text.split(",")) if p]
    parts = [p for p in parts if _words(p) not in PERSON_TITLES] or parts
    if len(parts) == 2 and not _CJK_CHAR_RE.search(text):
        parts.reverse()
    words = _words(" ".join(parts)).split()
    words = [w for w in words if w not in PERSON_TITLES] or words
    key = " ".join(words)
    while key.endswith(PERSON_TITLES_ZH):
        title = next(t for t in PERSON_TITLES_ZH if key.endswith(t))
        if len(key) <= len(title) or not _CJK_CHAR_RE.match(key, len(key) - len(title) - 1):
            break
        key = key[: -len(title)]
    return key


# --- seniority --------------------------------------------------------------------------------------

SENIORITY_ORDER = ("c_level", "vp", "director", "manager", "senior", "individual", "student", "unknown")
# The ranked levels, from the top; a "vice/deputy/associate/assistant/副/助理" before a rank moves it
# one step down this ladder per word (副总裁 → vp, Associate Director → manager, Assistant Manager →
# senior, Assistant Vice President → director).
_LADDER = SENIORITY_ORDER[:6]

_TITLE_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "asst": "assistant",
    "assoc": "associate",
    "mgr": "manager",
    "mngr": "manager",
    "dir": "director",
    "exec": "executive",
    "pres": "president",
    "eng": "engineer",
    "engr": "engineer",
    "rep": "representative",
    "gm": "general manager",
    "svp": "vp",
    "evp": "vp",
    "gvp": "vp",
    "cvp": "vp",
    "avp": "assistant vp",
    "cofounder": "co founder",
}

# Per level, the rank words (English words are matched whole; Chinese ones anywhere). Within a level
# the order matters only for overlapping alternatives (longest first).
_RANK_WORDS = {
    "c_level": [
        r"\bchief (?:[a-z]+ ){0,4}?(?:officer|executive)\b",
        r"\b(?:ceo|cto|cio|cfo|coo|cmo|cso|cro|cpo|cdo|cco|cao|cbo|cxo|chro|ciso|caio)\b",
        r"\b(?:co )?founders?\b",
        r"\bfounding partner\b",
        r"\bowner\b",
        r"\bproprietor\b",
        r"\bpresident\b",
        r"\bchair(?:man|woman|person)\b",
        r"\bmanaging (?:director|partner)\b",
        r"\bgeneral manager\b",
        r"\bsecretary general\b",
        r"\bboard member\b",
        # "Partner" as a rank (Partner, Senior Partner, Partner at X), not "Partner Manager".
        r"\bpartner(?= at\b| of\b| in\b|\Z)",
        r"首席[^\s]{0,8}?官",
        r"首席执行",
        r"总裁",
        r"总经理",
        r"董事长",
        r"创始人",
        r"创办人",
        r"合伙人",
        r"老板",
        r"秘书长",
        r"董事(?!会秘书)",
    ],
    "vp": [r"\bvp\b", r"副总(?![监经裁工部])", r"董事会秘书", r"董秘"],
    "director": [
        r"\bdirector\b",
        r"\bhead(?! office\b| quarters\b| count\b| hunter\b)\b",
        r"\bchief of staff\b",
        r"总监",
        r"负责人",
        r"部长",
        r"厂长",
        r"院长",
        r"所长",
        r"处长",
        r"行长",
    ],
    "manager": [
        r"\bmanager\b",
        r"\bsupervisor\b",
        r"\bforeman\b",
        r"\bleader\b",
        # "Lead" the role (Team Lead, Lead Engineer), not the noun (Lead Generation Specialist).
        r"\blead\b(?! (?:gen|generation|qualification|development|nurturing|nurture|management|routing|scoring)\b)",
        r"经理",
        r"主管",
        r"组长",
        r"主任",
        r"店长",
        r"队长",
        r"科长",
        r"领班",
        r"班长",
    ],
    "senior": [
        r"\bsenior\b",
        r"\bprincipal\b",
        r"\bchief\b",
        r"\bstaff(?= (?:engineer|scientist|designer|architect|developer|researcher)\b)",
        r"高级",
        r"资深",
        r"首席",
        r"总工程师",
        r"总工",
        r"专家",
    ],
    "individual": [
        r"\b(?:engineer|developer|programmer|specialist|analyst|representative|associate|coordinator"
        r"|consultant|executive|officer|administrator|admin|accountant|designer|architect|scientist"
        r"|researcher|clerk|agent|technician|staff|employee|member|advisor|adviser|sdr|bdr|ae|writer"
        r"|editor|buyer|planner|teacher|auditor|recruiter|operator|tester|secretary|receptionist|trainer"
        r"|junior|assistant|salesperson|salesman|saleswoman|worker|trader|strategist|marketer|lawyer"
        r"|attorney|counsel|product owner)\b",
        r"助理",
        r"专员",
        r"代表",
        r"顾问",
        r"秘书",
        r"会计",
        r"出纳",
        r"客服",
        r"干事",
        r"员",
        r"师",
    ],
}
_DEMOTERS = r"(?:\b(?:vice|deputy|associate|assistant) |副 ?|助理 ?)"
_TITLE_RANK_RE = re.compile(
    rf"(?P<mods>{_DEMOTERS}*)(?:"
    + "|".join(f"(?P<{level}>{'|'.join(words)})" for level, words in _RANK_WORDS.items())
    + ")"
)
# Anything from "manager" up, as the word after "assistant"/"助理" that makes it a demoter.
_ABOVE_SENIOR = "|".join(w for level in ("c_level", "vp", "director", "manager") for w in _RANK_WORDS[level])
# An assistant *to* someone is an individual contributor whatever rank words follow ("Assistant to the
# CEO", "CEO Assistant", "总经理助理", "董事长秘书"); checked before the ranks.
_ASSISTANT_ROLE_RE = re.compile(
    rf"\b(?:assistant|receptionist)\b(?! {_DEMOTERS}*(?:{_ABOVE_SENIOR}))"
    rf"|\bsecretary\b(?! general\b)"
    rf"|助理(?! ?{_DEMOTERS}*(?:{_ABOVE_SENIOR}))"
    rf"|(?<!董事会)秘书(?!长)"
)
_STUDENT_RE = re.compile(
    r"\b(?:students?|interns?|internship|undergrad(?:uate)?|phd candidate|graduate student|co op student)\b"
    r"|学生|实习|研究生|本科生|博士生|硕士生|在读|应届"
)
_DOTTED_ABBREVIATION_RE = re.compile(r"\b(?:[a-z]\.)+[a-z]\b\.?")
_CJK_LATIN_BOUNDARY_RE = re.compile(rf"(?<=[{_CJK}])(?=[a-z0-9])|(?<=[a-z0-9])(?=[{_CJK}])")


def _title_text(title: str) -> str:
    text = _DOTTED_ABBREVIATION_RE.sub(lambda m: m.group().replace(".", ""), _fold(title))
    text = _words(text.replace("&", " and "))
    text = _CJK_LATIN_BOUNDARY_RE.sub(" ", text)
    return " ".join(_TITLE_ABBREVIATIONS.get(w, w) for w in text.split())


def seniority(title: str) -> str:
    """The seniority level of a job title (English or Chinese), one of ``SENIORITY_ORDER``.

    Rules, in order: a student or intern title ("Marketing Intern", "实习生") is "student"; an assistant
    *to* someone is "individual" ("Assistant to the CEO", "总经理助理"); otherwise the highest rank word
    wins ("Senior Vice President" → vp, "高级经理" → manager), each "vice/deputy/associate/assistant/
    副/助理" directly before it stepping it one level down; no rank word → "unknown". Choices:
    "Managing Director", "General Manager" and "总经理" are c_level (the top executive of the company
    or subsidiary, as in Europe and China); "Chief of Staff" is director; "chief"/"首席" without
    "officer"/"官" (Chief Architect, 首席科学家) and "总工程师" are senior; "Partner" and "Owner" are
    c_level but not "Partner Manager" or "Product Owner"; "Lead" is manager but not "Lead Generation".
    """
    text = _title_text(title)
    if not text:
        return "unknown"
    if _STUDENT_RE.search(text):
        return "student"
    if _ASSISTANT_ROLE_RE.search(text):
        return "individual"
    best = len(_LADDER)
    for m in _TITLE_RANK_RE.finditer(text):
        level = _LADDER.index(m.lastgroup)
        demotions = len(re.findall(r"vice|deputy|associate|assistant|副|助理", m.group("mods")))
        best = min(best, min(level + demotions, len(_LADDER) - 1))
    return _LADDER[best] if best < len(_LADDER) else "unknown"

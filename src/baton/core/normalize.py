"""Normalisation of captured contact data. Pure functions over strings (library calls, no I/O)."""

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

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

LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "incorporated",
    "inc",
    "corporation",
    "corp",
    "limited",
    "ltd",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "bv",
    "co",
    "company",
    "pte",
    "pty",
    "group",
)
_SUFFIX_RE = re.compile(
    r"[\s,.]+(" + "|".join(re.escape(s) for s in LEGAL_SUFFIXES if s.isascii()) + r")\.?$", re.I
)


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


def email(raw: str) -> Email:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise NormalisationError("email", str(exc))
    domain = result.domain.lower()
    return Email(f"{result.local_part}@{domain}", domain, domain in FREE_MAIL_DOMAINS)


def phone(raw: str, default_region: str = "CN") -> str:
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NormalisationError("phone", f"not a phone number ({exc})")
    if not phonenumbers.is_possible_number(parsed):
        raise NormalisationError(
            "phone", f"{raw!r} is not a possible phone number for region {default_region}"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def domain_from_website(raw: str) -> str:
    text = raw.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/")[0].split("?")[0].split("#")[0].split("@")[-1].split(":")[0]
    return text.removeprefix("www.")


def company_key(name: str) -> str:
    """Company name for matching: case-folded, legal suffixes stripped (有限公司, Inc., GmbH…)."""
    text = re.sub(r"\s+", " ", name.strip()).casefold()
    text = re.sub(r"[（(].*?[）)]", "", text).strip()
    changed = True
    while changed and text:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if not suffix.isascii() and text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)].strip(), True
        stripped = _SUFFIX_RE.sub("", text).strip(" ,.")
        if stripped != text and stripped:
            text, changed = stripped, True
    return text

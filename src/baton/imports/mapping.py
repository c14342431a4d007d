"""Column mapping for lead imports: from the headers of a file to Baton's capture fields.

A ``Mapping`` names, for source columns, the Baton field each one fills. Built-in presets cover
Salesforce and HubSpot exports and common Chinese headers; a TOML file describes anything else::

    extends = "salesforce"               # optional: start from a preset; this file's columns win
    empty_values = ["Select", "NA"]      # cell values that mean "empty" (case-insensitive)
    default_source = "event_summit"      # source for rows without one, and for unrecognised values
    synthesise_name = "Lead {external_id}"   # name for rows that have none ({field} or {extra.key})
    require_contact = true               # rows need an e-mail address or a phone number (the default)

    [columns]
    "Full Name" = "name"
    "Mobile" = "phone"
    "Booth Notes" = "extra.booth_notes"  # kept, under that key
    "Internal Score" = "ignore"          # dropped

    [values.source]                      # raw value -> Baton source code (any field can have a table)
    "Spring Summit 2026" = "event_summit"

Headers match case-, space- and punctuation-insensitively ("E-mail" = "email" = "EMAIL"); values in
``[values.*]`` case- and space-insensitively; ``empty_values`` case-insensitively. Several columns may fill one field:
the first non-empty one in the mapping's order wins and the others' values are kept in ``extra``.
Columns the mapping does not name are kept in ``extra`` under their header. Nothing is dropped
unless the mapping says "ignore".

``Mapping.apply(headers)`` gives a ``Plan`` for one file (what maps where, what is missing);
``Plan.row(values)`` turns one row into a capture dict, ready for the capture service's validation.
This module needs no Django.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as ValuesMapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from baton.core.errors import InvalidInput

FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "city",
    "region",
    "website",
    "source",
    "source_detail",
    "notes",
    "external_id",
    "do_not_email",
    "do_not_call",
    "status",
    "created_at",
)
"""Capture fields a column can fill. first_name and last_name are joined into name."""

EXTRA_PREFIX = "extra."
IGNORE = "ignore"

SOURCE_CODES = (
    "seo",
    "sem",
    "hotline",
    "chat",
    "trial_signup",
    "social_ads",
    "webinar_learning",
    "webinar_acceleration",
    "event_summit",
    "event_salon",
    "event_cohosted",
    "event_sponsored",
    "content_case_study",
    "content_survey",
    "content_whitepaper",
    "content_video",
    "outbound_list",
    "partner",
    "other",
)
"""The values of ``baton.leads.models.Source`` (a test keeps the two equal)."""

BOOLEAN_FIELDS = ("do_not_email", "do_not_call")
MAX_COMPANY_SIZE = 10_000_000
"""Larger headcounts are not believed (the largest employers have about 2.3 million people)."""

_SETTINGS = (
    "name",
    "extends",
    "columns",
    "values",
    "empty_values",
    "default_source",
    "synthesise_name",
    "require_contact",
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class MappingError(InvalidInput):
    """A mapping (preset or file) is unusable; the message names what is wrong."""

    code = "invalid_mapping"


class RowValueError(ValueError):
    """A row has a value that cannot be understood (e.g. "maybe" in a do-not-call column)."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# --- value parsing ---------------------------------------------------------------------------------------


def header_key(text: str) -> str:
    """Case-, width-, space- and punctuation-insensitive key: "No. of Employees" → "noofemployees"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum()) or folded.strip()


def value_key(text: str) -> str:
    """Case-, width- and space-insensitive key for cell values: " Select " → "select"."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


_TRUE = frozenset(["yes", "y", "true", "t", "1", "是", "真", "对"])
_FALSE = frozenset(["no", "n", "false", "f", "0", "否", "假", "不"])


def parse_bool(text: str) -> bool | None:
    """yes/no, true/false, 1/0, 是/否 (any case) → bool; anything else → None."""
    key = value_key(text)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


_SIZE_NUMBER = re.compile(r"([0-9]+(?:[,.'][0-9]+)*)\s*(万|千|百|k)?", re.ASCII)
_SIZE_FEWER = re.compile(
    r"^(?:<|≤|less than|fewer than|under|below|up to|少于|小于|不足|低于|不到)|(?:以下|以内)"
)
_UNITS = {"万": 10_000, "千": 1_000, "百": 100, "k": 1_000}


def parse_company_size(text: str) -> int | None:
    """Headcount text → int, the lower bound of a range; None when there is no believable number.

    "1,000" → 1000, "50-200" → 50, "500人" → 500, "10,001+" → 10001, "1.5万" → 15000, "5k" → 5000,
    "1.000" → 1000 (European thousands), "少于50人" / "<50" → 1. Never raises.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    found = _SIZE_NUMBER.search(folded)
    if not found:
        return None
    token, unit = found.group(1), found.group(2)
    if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", token) or re.fullmatch(r"[0-9]{1,3}(?:'[0-9]{3})+", token):
        number = Decimal(token.replace(",", "").replace("'", ""))
    elif not unit and re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", token):
        number = Decimal(token.replace(".", ""))  # "1.000": a headcount has no fraction
    elif re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", token):
        number = Decimal(token.replace(",", "."))
    else:
        number = Decimal(re.match(r"[0-9]+", token).group(0))
    if unit:
        number *= _UNITS[unit]
    if number > MAX_COMPANY_SIZE:
        return None
    if _SIZE_FEWER.search(folded):
        return 1 if number >= 1 else None
    return int(number)


_CJK_NAME = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff·・]+"
)


def join_name(first: str, last: str) -> str:
    """First and last name as one name: "Wei" + "Wang" → "Wei Wang"; "伟" + "王" → "王伟" (family first)."""
    first, last = first.strip(), last.strip()
    if not first or not last:
        return first or last
    if _CJK_NAME.fullmatch(first) and _CJK_NAME.fullmatch(last):
        return last + first
    return f"{first} {last}"


def _synonyms(pairs: dict[str, Iterable[str]]) -> dict[str, str]:
    table = {header_key(code): code for code in SOURCE_CODES}
    for code, names in pairs.items():
        assert code in SOURCE_CODES, code
        table.update((header_key(name), code) for name in names)
    return table


SOURCE_SYNONYMS = _synonyms(
    {
        "seo": ["organic search", "search engine", "natural search", "自然搜索", "搜索引擎", "SEO优化"],
        "sem": [
            "paid search",
            "PPC",
            "pay per click",
            "Google Ads",
            "AdWords",
            "Bing Ads",
            "竞价",
            "百度推广",
            "搜索推广",
            "付费搜索",
        ],
        "hotline": ["phone hotline", "phone inquiry", "inbound call", "400电话", "热线", "电话咨询", "来电"],
        "chat": ["website chat", "live chat", "online chat", "在线客服", "在线咨询", "网站咨询", "网站聊天"],
        "trial_signup": [
            "website trial / signup",
            "trial",
            "free trial",
            "signup",
            "sign up",
            "试用",
            "免费试用",
            "注册",
            "官网注册",
        ],
        "social_ads": [
            "paid social",
            "social advertising",
            "Facebook Ads",
            "LinkedIn Ads",
            "信息流",
            "信息流广告",
            "社交广告",
            "朋友圈广告",
        ],
        "webinar_learning": ["webinar", "webinar (learning)", "直播", "线上直播", "网络研讨会", "学习型直播"],
        "webinar_acceleration": ["webinar (acceleration)", "加速型直播", "转化型直播"],
        "event_summit": ["summit", "conference", "own summit", "峰会", "大会", "自办大会"],
        "event_salon": ["salon", "meetup", "Seminar - Internal", "沙龙", "闭门会"],
        "event_cohosted": ["co-hosted event", "cohosted event", "Seminar - Partner", "联合活动", "联办活动"],
        "event_sponsored": [
            "trade show",
            "tradeshow",
            "sponsored event",
            "exhibition",
            "展会",
            "赞助活动",
            "参展",
        ],
        "content_case_study": ["case study", "案例", "客户案例"],
        "content_survey": ["survey", "问卷", "调研"],
        "content_whitepaper": ["white paper", "whitepaper", "白皮书"],
        "content_video": ["short video", "video", "短视频", "视频"],
        "outbound_list": ["outbound", "purchased list", "cold call", "cold calling", "外呼", "陌拜", "名单"],
        "partner": [
            "partner referral",
            "reseller",
            "channel partner",
            "合作伙伴",
            "渠道",
            "渠道伙伴",
            "代理商",
        ],
        "other": ["其他", "其它"],
    }
)
"""Source values every mapping recognises (besides the codes themselves), keyed by ``header_key``."""


# --- the mapping -----------------------------------------------------------------------------------------


def _check_target(target: str, header: str) -> None:
    if target in FIELDS or target == IGNORE:
        return
    if target.startswith(EXTRA_PREFIX) and target[len(EXTRA_PREFIX) :].strip():
        return
    raise MappingError(
        f'column "{header}" maps to "{target}", which is not a Baton field; use one of '
        f"{', '.join(FIELDS)}, extra.<key> (kept as extra data) or ignore"
    )


@dataclass(frozen=True)
class Mapping:
    """How the columns of an import file fill Baton's capture fields (see the module docstring)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    """(source header, target) in order of priority; target is a field, "extra.<key>" or "ignore"."""
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per field: raw value → value to use (for source: a Baton source code)."""
    empty_values: tuple[str, ...] = ()
    default_source: str | None = None
    synthesise_name: str | None = None
    require_contact: bool = True
    expected: tuple[str, ...] = ()
    """Headers the file is expected to have (a mapping file's own columns); ``Plan.absent`` lists the rest."""

    _by_key: dict[str, tuple[int, str]] = field(init=False, repr=False, compare=False)
    _values: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)
    _empty: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, tuple[int, str]] = {}
        written: dict[str, str] = {}
        for priority, (header, target) in enumerate(self.columns):
            _check_target(target, header)
            key = header_key(header)
            if key in by_key:
                raise MappingError(
                    f'columns "{written[key]}" and "{header}" are the same column to the mapping'
                )
            by_key[key], written[key] = (priority, target), header
        tables: dict[str, dict[str, str]] = {}
        for target, table in self.values.items():
            if target not in FIELDS or target in ("name", "first_name", "last_name"):
                raise MappingError(f'[values.{target}]: "{target}" is not a field whose values can be mapped')
            tables[target] = {
                value_key(raw): _check_value(target, raw, value) for raw, value in table.items()
            }
        if self.default_source is not None and self.default_source not in SOURCE_CODES:
            raise MappingError(
                f'default_source "{self.default_source}" is not a Baton source; '
                f"use one of {', '.join(SOURCE_CODES)}"
            )
        if self.synthesise_name is not None:
            _check_template(self.synthesise_name)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_values", tables)
        object.__setattr__(self, "_empty", frozenset(v.strip().casefold() for v in self.empty_values))

    def target(self, header: str) -> str | None:
        """The target the mapping names for a header, or None."""
        found = self._by_key.get(header_key(header))
        return found[1] if found else None

    def apply(self, headers: Sequence[str]) -> Plan:
        """Plan the mapping of one file's headers (as ``Table.headers`` gives them)."""
        by_field: dict[str, list[tuple[int, int, str]]] = {}
        mapped: dict[str, str] = {}
        extra_columns: list[tuple[str, str]] = []
        unmapped: list[str] = []
        ignored: list[str] = []
        for position, header in enumerate(headers):
            found = self._by_key.get(header_key(header))
            if found is None:
                unmapped.append(header)
                extra_columns.append((header, header))
                continue
            priority, target = found
            if target == IGNORE:
                ignored.append(header)
                continue
            mapped[header] = target
            if target.startswith(EXTRA_PREFIX):
                extra_columns.append((header, target[len(EXTRA_PREFIX) :].strip()))
            else:
                by_field.setdefault(target, []).append((priority, position, header))
        field_columns = tuple(
            (name, tuple(header for _, _, header in sorted(by_field[name])))
            for name in FIELDS
            if name in by_field
        )
        present = {header_key(h) for h in headers}
        missing = []
        if not {"name", "first_name", "last_name"} & by_field.keys() and self.synthesise_name is None:
            missing.append("name")
        if self.require_contact and not {"email", "phone"} & by_field.keys():
            missing.append("contact")
        return Plan(
            mapping=self,
            headers=tuple(headers),
            mapped=mapped,
            unmapped=tuple(unmapped),
            ignored=tuple(ignored),
            absent=tuple(h for h in self.expected if header_key(h) not in present),
            missing=tuple(missing),
            _field_columns=field_columns,
            _extra_columns=tuple(extra_columns),
        )

    def source_code(self, raw: str) -> str:
        """The Baton source code for a raw source value: the mapping's [values.source], then the codes and
        built-in synonyms (English and Chinese), then ``default_source``, else "other"."""
        mapped = self._values.get("source", {}).get(value_key(raw))
        if mapped:
            return mapped
        return SOURCE_SYNONYMS.get(header_key(raw)) or self.default_source or "other"


def _check_value(target: str, raw: str, value: object) -> str:
    if not isinstance(value, str):
        raise MappingError(f'[values.{target}] "{raw}": the value must be text, not {value!r}')
    if target == "source" and value not in SOURCE_CODES:
        raise MappingError(
            f'[values.source] "{raw}" = "{value}": not a Baton source; use one of {", ".join(SOURCE_CODES)}'
        )
    if target in BOOLEAN_FIELDS and parse_bool(value) is None:
        raise MappingError(f'[values.{target}] "{raw}" = "{value}": use yes or no')
    if target == "company_size" and parse_company_size(value) is None:
        raise MappingError(f'[values.company_size] "{raw}" = "{value}": not a headcount')
    return value


def _check_template(template: str) -> None:
    names = _PLACEHOLDER.findall(template)
    allowed = [f for f in FIELDS if f not in ("name", "first_name", "last_name")]
    for name in names:
        if name not in allowed and not (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX)):
            raise MappingError(
                f'synthesise_name "{template}": {{{name}}} is not a field; use one of '
                f"{', '.join('{' + f + '}' for f in allowed)} or {{extra.<key>}}"
            )
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise MappingError(f'synthesise_name "{template}": unbalanced braces')


@dataclass(frozen=True)
class Plan:
    """The mapping applied to one file's headers: what goes where, and what the file lacks."""

    mapping: Mapping = field(repr=False)
    headers: tuple[str, ...]
    mapped: dict[str, str]
    """Header → target for the columns the mapping names (fields and explicit extra.<key>)."""
    unmapped: tuple[str, ...]
    """Columns the mapping does not name: kept in ``extra`` under their header."""
    ignored: tuple[str, ...]
    absent: tuple[str, ...]
    """Columns a mapping file names that the file does not have (a typo, or another export's layout)."""
    missing: tuple[str, ...]
    """Required information no column gives: "name" (name or first/last name) and/or "contact" (e-mail or
    phone). Rows are checked one by one anyway (``row_problems``); this warns before the import starts."""
    _field_columns: tuple[tuple[str, tuple[str, ...]], ...] = field(repr=False, compare=False)
    _extra_columns: tuple[tuple[str, str], ...] = field(repr=False, compare=False)

    @property
    def warnings(self) -> list[str]:
        """Human-readable warnings about the whole file (missing information, absent columns)."""
        messages = []
        if "name" in self.missing:
            messages.append("no column holds a name (name, or first and last name): rows need one")
        if "contact" in self.missing:
            messages.append("no column holds an e-mail address or a phone number: rows need one of them")
        if self.absent:
            messages.append("columns named by the mapping but not in the file: " + ", ".join(self.absent))
        return messages

    def row(self, values: ValuesMapping[str, str]) -> dict:
        """One row of the file (header → text) as a capture dict.

        Only non-empty fields appear: strings stripped, ``empty_values`` dropped, first and last name
        joined into ``name``, ``company_size`` an int, ``do_not_*`` booleans, ``source`` a Baton source
        code (the raw value goes to ``source_detail`` when that is empty), and ``extra`` a dict of the
        kept columns. Raises ``RowValueError`` when a value cannot be understood.
        """
        mapping = self.mapping
        empty = mapping._empty

        def cell(header: str) -> str:
            text = values.get(header)
            if not text:
                return ""
            text = text.strip()
            if empty and text.casefold() in empty:
                return ""
            return text

        out: dict = {}
        origin: dict[str, str] = {}
        extra: dict[str, str] = {}
        for name, headers in self._field_columns:
            for header in headers:
                text = cell(header)
                if not text:
                    continue
                if name in out:
                    extra[header] = text  # a lower-priority column of the same field: kept, not lost
                else:
                    out[name], origin[name] = text, header
        for header, key in self._extra_columns:
            text = cell(header)
            if text:
                extra.setdefault(key, text)

        for name, table in mapping._values.items():
            if name in out and name != "source":
                out[name] = table.get(value_key(out[name]), out[name])

        problems = []
        raw_source = out.pop("source", "")
        if raw_source:
            out["source"] = mapping.source_code(raw_source)
            if value_key(raw_source) != out["source"]:
                out.setdefault("source_detail", raw_source)
        elif mapping.default_source:
            out["source"] = mapping.default_source

        for name in BOOLEAN_FIELDS:
            if name in out:
                flag = parse_bool(out[name])
                if flag is None:
                    problems.append(f'column "{origin[name]}": "{out[name]}" is not yes or no')
                    del out[name]
                else:
                    out[name] = flag

        if "company_size" in out:
            size = parse_company_size(out["company_size"])
            if size is None:
                extra[origin["company_size"]] = out.pop("company_size")  # kept as text
            else:
                out["company_size"] = size

        first, last = out.pop("first_name", ""), out.pop("last_name", "")
        if "name" in out:
            for part, text in (("first_name", first), ("last_name", last)):
                if text:
                    extra[origin[part]] = text
        elif first or last:
            out["name"] = join_name(first, last)
        if "name" not in out and mapping.synthesise_name:
            synthesised = _fill(mapping.synthesise_name, out, extra)
            if synthesised:
                out["name"] = synthesised

        if extra:
            out["extra"] = extra
        if problems:
            raise RowValueError(problems)
        return out

    def row_problems(self, capture: dict) -> list[str]:
        """Why a capture dict from ``row`` cannot become a lead: no name, or (unless the mapping says
        ``require_contact = false``) neither e-mail address nor phone number. Empty when it can."""
        reasons = []
        if not capture.get("name"):
            reasons.append("no name")
        if self.mapping.require_contact and not (capture.get("email") or capture.get("phone")):
            reasons.append("no e-mail address or phone number")
        return reasons


def _fill(template: str, out: dict, extra: dict[str, str]) -> str:
    """The template with its placeholders filled, or "" when one of them is empty."""
    missing = False

    def value(match: re.Match) -> str:
        nonlocal missing
        name = match.group(1)
        if name.startswith(EXTRA_PREFIX):
            text = extra.get(name[len(EXTRA_PREFIX) :], "")
        else:
            found = out.get(name, "")
            text = ("yes" if found else "no") if isinstance(found, bool) else str(found)
        missing = missing or not text
        return text

    filled = _PLACEHOLDER.sub(value, template)
    return "" if missing else filled.strip()


# --- presets ---------------------------------------------------------------------------------------------

# Baton's own field names, recognised by every preset (lowest priority), so Baton's exports import back.
_BATON_NAMES = [(name, name) for name in FIELDS]

_SALESFORCE = [
    ("Lead ID", "external_id"),
    ("Id", "external_id"),
    ("Name", "name"),
    ("Full Name", "name"),
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("Company / Account", "company"),
    ("Company", "company"),
    ("Title", "title"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("Mobile", "phone"),
    ("Mobile Phone", "phone"),
    ("Website", "website"),
    ("Industry", "industry"),
    ("No. of Employees", "company_size"),
    ("Employees", "company_size"),
    ("Number Of Employees", "company_size"),
    ("City", "city"),
    ("State/Province", "region"),
    ("State", "region"),
    ("State/Province Code", "region"),
    ("Country", "region"),
    ("Lead Source", "source"),
    ("Email Opt Out", "do_not_email"),
    ("Has Opted Out Of Email", "do_not_email"),
    ("Do Not Call", "do_not_call"),
    ("Lead Status", "status"),
    ("Status", "status"),
    ("Created Date", "created_at"),
    ("Description", "notes"),
]

_HUBSPOT = [
    ("Record ID", "external_id"),
    ("Contact ID", "external_id"),
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("Email", "email"),
    ("Phone Number", "phone"),
    ("Mobile Phone Number", "phone"),
    ("Company Name", "company"),
    ("Job Title", "title"),
    ("Industry", "industry"),
    ("Number of Employees", "company_size"),
    ("City", "city"),
    ("State/Region", "region"),
    ("Country/Region", "region"),
    ("Website URL", "website"),
    ("Original Source", "source"),
    ("Original Source Drill-Down 1", "source_detail"),
    ("Unsubscribed from all email", "do_not_email"),
    ("Lifecycle Stage", "status"),
    ("Lead Status", "status"),
    ("Create Date", "created_at"),
]

_CHINESE = [
    ("姓名", "name"),
    ("名字", "name"),
    ("联系人", "name"),
    ("联系人姓名", "name"),
    ("客户姓名", "name"),
    ("姓", "last_name"),
    ("姓氏", "last_name"),
    ("名", "first_name"),
    ("公司", "company"),
    ("公司名称", "company"),
    ("企业名称", "company"),
    ("单位", "company"),
    ("单位名称", "company"),
    ("职位", "title"),
    ("职务", "title"),
    ("岗位", "title"),
    ("手机", "phone"),
    ("手机号", "phone"),
    ("手机号码", "phone"),
    ("移动电话", "phone"),
    ("电话", "phone"),
    ("联系电话", "phone"),
    ("座机", "phone"),
    ("邮箱", "email"),
    ("电子邮箱", "email"),
    ("邮箱地址", "email"),
    ("电子邮件", "email"),
    ("邮件", "email"),
    ("行业", "industry"),
    ("所属行业", "industry"),
    ("城市", "city"),
    ("所在城市", "city"),
    ("地区", "region"),
    ("区域", "region"),
    ("所在地区", "region"),
    ("省份", "region"),
    ("省", "region"),
    ("来源", "source"),
    ("线索来源", "source"),
    ("客户来源", "source"),
    ("来源渠道", "source"),
    ("来源详情", "source_detail"),
    ("活动名称", "source_detail"),
    ("备注", "notes"),
    ("说明", "notes"),
    ("网址", "website"),
    ("官网", "website"),
    ("网站", "website"),
    ("公司网址", "website"),
    ("规模", "company_size"),
    ("公司规模", "company_size"),
    ("企业规模", "company_size"),
    ("员工人数", "company_size"),
    ("人数", "company_size"),
    ("线索编号", "external_id"),
    ("线索ID", "external_id"),
    ("编号", "external_id"),
    ("状态", "status"),
    ("线索状态", "status"),
    ("创建时间", "created_at"),
    ("创建日期", "created_at"),
    ("录入时间", "created_at"),
    ("拒收邮件", "do_not_email"),
    ("邮件退订", "do_not_email"),
    ("禁止致电", "do_not_call"),
    ("勿电", "do_not_call"),
]

_PRESETS = {"baton": [], "salesforce": _SALESFORCE, "hubspot": _HUBSPOT, "chinese": _CHINESE}
PRESETS = tuple(_PRESETS)


def _with_baton_names(columns: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    keys = {header_key(h) for h, _ in columns}
    return tuple(columns) + tuple((h, t) for h, t in _BATON_NAMES if header_key(h) not in keys)


def preset(name: str) -> Mapping:
    """A built-in mapping: "baton" (Baton's own field names as headers), "salesforce", "hubspot" or "chinese"."""
    columns = _PRESETS.get(name.strip().lower())
    if columns is None:
        raise MappingError(f'no preset named "{name}"; the presets are: {", ".join(PRESETS)}')
    return Mapping(name=name.strip().lower(), columns=_with_baton_names(columns))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A preset by name, or a TOML mapping file by path."""
    if isinstance(name_or_path, str) and name_or_path.strip().lower() in _PRESETS:
        return preset(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise MappingError(
            f'"{name_or_path}" is neither a preset ({", ".join(PRESETS)}) nor a mapping file that exists'
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MappingError(f"{path.name}: a mapping file must be UTF-8 text")
    return mapping_from_toml(text, name=path.stem)


def mapping_from_toml(text: str, *, name: str = "mapping") -> Mapping:
    """A mapping from the text of a TOML mapping file (the layout is in the module docstring)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{name}: not valid TOML: {exc}")
    unknown = sorted(set(data) - set(_SETTINGS))
    if unknown:
        raise MappingError(
            f"{name}: unknown setting(s) {', '.join(unknown)}; the settings are: {', '.join(_SETTINGS)}"
        )

    def typed(key: str, kind: type, default):
        value = data.get(key, default)
        if value is not default and not isinstance(value, kind):
            raise MappingError(f"{name}: {key} must be {kind.__name__}, not {value!r}")
        return value

    columns_table = typed("columns", dict, {})
    columns = []
    for header, target in columns_table.items():
        if not isinstance(target, str):
            raise MappingError(
                f'{name}: [columns] "{header}" must map to a field name (text), not {target!r}'
            )
        columns.append((header, target.strip()))
    values = typed("values", dict, {})
    for target, table in values.items():
        if not isinstance(table, dict):
            raise MappingError(f"{name}: values.{target} must be a table of raw value = mapped value")
    empty_values = typed("empty_values", list, [])
    if not all(isinstance(v, str) for v in empty_values):
        raise MappingError(f"{name}: empty_values must be a list of text values")
    extends = typed("extends", str, None)
    if extends is not None:
        base = preset(extends)
        own = {header_key(h) for h, _ in columns}
        columns += [(h, t) for h, t in base.columns if header_key(h) not in own]
        values = {**base.values, **values}
    elif not columns:
        raise MappingError(f"{name}: the mapping has no [columns] (and extends no preset)")
    try:
        return Mapping(
            name=typed("name", str, name),
            columns=tuple(columns),
            values=values,
            empty_values=tuple(empty_values),
            default_source=typed("default_source", str, None),
            synthesise_name=typed("synthesise_name", str, None),
            require_contact=typed("require_contact", bool, True),
            expected=tuple(columns_table),
        )
    except MappingError as exc:
        raise MappingError(f"{name}: {exc.message}") from None

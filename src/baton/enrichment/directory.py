"""The offline provider: a company directory file (CSV or XLSX), indexed in memory.

The file has a header row naming some of these columns (English or Chinese names, any order, any
case; other columns are ignored with a warning):

=====================  ============================================================
field                  header names accepted
=====================  ============================================================
name                   name, company, company name, 公司名称, 企业名称, 公司, 名称
domain                 domain, website, url, 网址, 域名, 官网, 网站
industry               industry, 行业, 所属行业
city                   city, 城市, 所在城市
region                 region, province, 地区, 省份, 区域, 大区
headcount              headcount, employees, 人数, 员工人数, 人员规模, 参保人数
registered_capital     registered capital, capital, 注册资本, 注册资金
funding_round          funding round, funding stage, 融资轮次, 融资阶段
as_of                  as of, updated, 更新日期 (the date the row was true; default: the file's date)
=====================  ============================================================

A company needs a name or a domain. A lead is found by its domain (or a parent domain: shop.acme.com
finds acme.com), else by its normalised company name unless both have domains and they differ.
Registered capital is read by ``core.enrichment.parse_registered_capital`` ("1000万人民币", "2亿",
"5,000,000"); a unit in the header applies to bare numbers ("注册资本（万元）" with 1000 → 10,000,000
CNY); an amount in another currency is left empty with a warning (only CNY is stored). The file is read by the import reader (UTF-8, GBK/GB18030 or UTF-16
CSV, comma/semicolon/tab, XLSX), so line numbers are the ones a person sees in the file.

Rows that cannot be used are reported with their line numbers and skipped; the rest load. A domain
given twice: the first row wins, the later one is skipped with a warning. A company name (normalised)
given twice: look-ups by name find the first row.

The index is loaded on first use and again whenever the file's modification time or size changes.
If a changed file cannot be read, the previous index stays in use and the status shows the error.
"""

import contextlib
import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from baton import clock
from baton.core import normalize
from baton.core.enrichment import (
    MAX_LENGTHS,
    CompanyFacts,
    CompanyKey,
    parse_headcount,
    parse_registered_capital,
)
from baton.core.errors import InvalidInput
from baton.enrichment.providers import parent_domains

log = logging.getLogger(__name__)

MAX_LISTED = 200  # bad rows and warnings kept for the status page (counts are complete)

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "company name", "companyname", "organisation", "organization",
             "公司名称", "企业名称", "公司", "名称", "客户名称", "单位名称"),
    "domain": ("domain", "website", "web site", "url", "homepage", "web", "company website",
               "网址", "域名", "官网", "网站", "公司网址", "公司官网", "企业官网", "主页"),
    "industry": ("industry", "sector", "行业", "所属行业", "行业分类", "行业类别"),
    "city": ("city", "城市", "所在城市", "所属城市"),
    "region": ("region", "province", "state", "area", "地区", "省份", "所属地区", "所属省份", "区域", "大区", "所在地区"),
    "headcount": ("headcount", "employees", "employee count", "number of employees", "staff", "company size",
                  "size", "人数", "员工人数", "员工数", "人员规模", "参保人数", "公司规模", "企业规模"),
    "registered_capital": ("registered capital", "registered_capital", "capital", "注册资本", "注册资金"),
    "funding_round": ("funding round", "funding_round", "funding stage", "round", "融资轮次", "融资阶段",
                      "融资轮", "融资情况"),
    "as_of": ("as of", "as_of", "updated", "updated at", "last updated", "date", "更新日期", "更新时间", "数据日期"),
}  # fmt: skip

_BRACKETS_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|【([^【】]*)】")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_BARE_NUMBER_RE = re.compile(r"[\d,.\s]+")
_DOMAIN_RE = re.compile(r"[^\s/@:]+(?:\.[^\s/@:.]+)+")


def header_key(header: str) -> tuple[str, str]:
    """(the header's name for matching, the text in its brackets): "注册资本（万元）" → ("注册资本", "万元")."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    hints = [next(g for g in m.groups() if g is not None) for m in _BRACKETS_RE.finditer(folded)]
    base = _BRACKETS_RE.sub(" ", folded)
    return " ".join(re.sub(r"[_\-]+", " ", base).split()), " ".join(h.strip() for h in hints if h.strip())


_ALIASES = {header_key(alias)[0]: name for name, aliases in COLUMNS.items() for alias in aliases}


class DirectoryError(InvalidInput):
    """The directory file as a whole cannot be used. The message says why."""

    code = "invalid_directory"


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass
class DirectoryIndex:
    """A loaded directory: the look-up tables and what loading it found."""

    by_domain: dict[str, CompanyFacts] = field(default_factory=dict)
    by_name: dict[str, CompanyFacts] = field(default_factory=dict)
    rows: int = 0  # data rows read
    companies: int = 0  # rows indexed
    bad: list[Problem] = field(default_factory=list)
    bad_count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field → the header it was read from
    ignored_columns: list[str] = field(default_factory=list)
    format: str = ""
    encoding: str = ""

    def find(self, key: CompanyKey) -> CompanyFacts | None:
        """By domain (or a parent domain), else by name unless the domains contradict each other: a
        lead at acme.de is not the directory's "Acme" at acme.com."""
        domain, name_key = key
        for candidate in parent_domains(domain) if domain else ():
            facts = self.by_domain.get(candidate)
            if facts is not None:
                return facts
        facts = self.by_name.get(name_key) if name_key else None
        if facts is not None and domain and facts.domain and facts.domain not in parent_domains(domain):
            return None
        return facts

    def _bad(self, line: int, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < MAX_LISTED:
            self.bad.append(Problem(line, reason))

    def _warn(self, line: int, reason: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(Problem(line, reason))


def _columns(headers: list[str], index: DirectoryIndex) -> dict[str, tuple[str, str]]:
    """field → (header, unit hint) for the recognised headers; warns about the others."""
    found: dict[str, tuple[str, str]] = {}
    for header in headers:
        key, hint = header_key(header)
        name = _ALIASES.get(key)
        if name is None:
            index.ignored_columns.append(header)
        elif name in found:
            index._warn(0, f'column "{header}" ignored: "{found[name][0]}" already gives {name}')
        else:
            found[name] = (header, hint)
    if index.ignored_columns:
        index._warn(0, "columns ignored: " + ", ".join(f'"{h}"' for h in index.ignored_columns))
    if "name" not in found and "domain" not in found:
        raise DirectoryError(
            "the directory needs a company name column (name, 公司名称) or a domain column (domain, 网址); "
            f"its columns are: {', '.join(headers)}"
        )
    index.columns = {name: header for name, (header, _hint) in found.items()}
    return found


def _text(values: dict[str, str], columns: dict, name: str) -> str:
    header = columns.get(name)
    return " ".join(values.get(header[0], "").split()) if header else ""


def _as_of(text: str) -> date | None:
    m = _DATE_RE.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a date (e.g. 2026-05-01)")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _row_facts(
    values: dict[str, str], columns: dict, line: int, source: str, file_date: date, index: DirectoryIndex
) -> CompanyFacts | None:
    """The facts of one row, or None (with the reason recorded) if the row cannot be used."""
    problems: list[str] = []
    name = _text(values, columns, "name")
    raw_domain = _text(values, columns, "domain")
    domain = normalize.domain_from_website(raw_domain) if raw_domain else ""
    if raw_domain and not _DOMAIN_RE.fullmatch(domain):
        problems.append(f"{raw_domain!r} is not a website or domain")
    if not name and not domain:
        problems.append("no company name and no domain")
    texts = {f: _text(values, columns, f) for f in ("industry", "city", "region", "funding_round")}
    for f, value in [("name", name), ("domain", domain), *texts.items()]:
        if len(value) > MAX_LENGTHS[f]:
            problems.append(f"{f} is longer than {MAX_LENGTHS[f]} characters")
    headcount = capital = None
    try:
        headcount = parse_headcount(_text(values, columns, "headcount"))
    except ValueError as exc:
        problems.append(f"headcount: {exc}")
    raw_capital = _text(values, columns, "registered_capital")
    hint = columns.get("registered_capital", ("", ""))[1]
    if raw_capital and hint and _BARE_NUMBER_RE.fullmatch(raw_capital):
        raw_capital += hint  # "注册资本（万元）": 1000 → 1000万元
    try:
        parsed = parse_registered_capital(raw_capital)
    except ValueError as exc:
        problems.append(f"registered capital: {exc}")
        parsed = None
    as_of = file_date
    raw_date = _text(values, columns, "as_of")
    if raw_date:
        try:
            as_of = _as_of(raw_date)
        except ValueError as exc:
            problems.append(f"as of: {exc}")
    if problems:
        index._bad(line, "; ".join(problems))
        return None
    if parsed is not None:
        amount, currency = parsed
        if currency == "CNY":
            capital = amount
        else:
            index._warn(
                line, f"registered capital {raw_capital!r} is in {currency}; left empty (only CNY is kept)"
            )
    return CompanyFacts(
        name=name, domain=domain, industry=texts["industry"], city=texts["city"], region=texts["region"],
        headcount=headcount, registered_capital=capital, funding_round=texts["funding_round"],
        source=f"{source}, line {line}", as_of=as_of,
    )  # fmt: skip


def load_directory(path: str | Path) -> DirectoryIndex:
    """Read and index a directory file. Raises DirectoryError if the file as a whole cannot be used."""
    from baton.imports.reader import ImportFileError, open_table

    path = Path(path)
    try:
        table = open_table(path)
        mtime = path.stat().st_mtime
    except ImportFileError as exc:
        raise DirectoryError(f"the company directory {path.name} cannot be read: {exc.message}") from None
    except OSError as exc:
        raise DirectoryError(f"the company directory {path.name} cannot be read: {exc.strerror}") from None
    index = DirectoryIndex(format=table.format, encoding=table.encoding or "")
    columns = _columns(table.headers, index)
    file_date = datetime.fromtimestamp(mtime, UTC).date()
    source = f"directory {path.name}"
    name_lines: dict[str, int] = {}
    domain_lines: dict[str, int] = {}
    try:
        for row in table.rows():
            index.rows += 1
            if row.problem is not None:
                index._bad(row.line, row.problem.reason)
                continue
            facts = _row_facts(row.values, columns, row.line, source, file_date, index)
            if facts is None:
                continue
            if facts.domain:
                first = domain_lines.get(facts.domain)
                if first is not None:
                    index._warn(row.line, f"domain {facts.domain} is already on line {first}; the first wins")
                    continue
                domain_lines[facts.domain] = row.line
                index.by_domain[facts.domain] = facts
            key = normalize.company_key(facts.name) if facts.name else ""
            if key:
                first = name_lines.get(key)
                if first is None:
                    name_lines[key] = row.line
                    index.by_name[key] = facts
                elif not facts.domain:
                    index._warn(
                        row.line, f"company {facts.name!r} is already on line {first}; the first wins"
                    )
                    continue
            index.companies += 1
    except ImportFileError as exc:
        raise DirectoryError(f"the company directory {path.name} cannot be read: {exc.message}") from None
    return index


@dataclass(frozen=True)
class DirectoryStatus:
    """What the settings page and the status API show about the directory."""

    path: str
    file: str
    exists: bool
    loaded: bool
    rows: int = 0
    companies: int = 0
    bad_count: int = 0
    bad: tuple[Problem, ...] = ()
    warning_count: int = 0
    warnings: tuple[Problem, ...] = ()
    columns: dict = field(default_factory=dict)
    loaded_at: datetime | None = None
    load_seconds: float | None = None
    modified_at: datetime | None = None
    error: str = ""


class DirectoryProvider:
    """The ``directory`` provider: synchronous, answers every key at once."""

    name = "directory"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._index: DirectoryIndex | None = None
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the loaded file
        self._failed_stamp: tuple[int, int] | None = None
        self._loaded_at: datetime | None = None
        self._load_seconds: float | None = None
        self._error = ""

    @classmethod
    def from_configuration(cls, conf: dict) -> "DirectoryProvider":
        from baton.enrichment.providers import ProviderUnavailable

        path = conf.get("directory") or ""
        if not path:
            raise ProviderUnavailable(
                "the directory provider needs a company directory file: set BATON_ENRICHMENT_DIRECTORY "
                "to the path of a CSV or XLSX file"
            )
        return cls(path)

    def lookup_many(self, keys: list[CompanyKey]) -> dict[CompanyKey, CompanyFacts | None]:
        index = self.index()
        return {key: index.find(key) for key in keys}

    def index(self) -> DirectoryIndex:
        """The current index, (re)loaded if the file changed. Raises DirectoryError if there is none."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError as exc:
            with self._lock:
                self._error = f"the company directory {self.path.name} cannot be opened: {exc.strerror}"
                if self._index is not None:
                    return self._index  # keep answering from what was loaded
            raise DirectoryError(self._error) from None
        if stamp == self._stamp and self._index is not None:
            return self._index
        with self._lock:
            if stamp == self._stamp and self._index is not None:
                return self._index
            if stamp != self._failed_stamp:
                started = time.perf_counter()
                try:
                    index = load_directory(self.path)
                except DirectoryError as exc:
                    log.warning("company directory not (re)loaded: %s", exc.message)
                    self._failed_stamp, self._error = stamp, exc.message
                else:
                    self._index, self._stamp, self._failed_stamp = index, stamp, None
                    self._loaded_at, self._error = clock.now(), ""
                    self._load_seconds = round(time.perf_counter() - started, 3)
                    log.info("company directory %s loaded: %d companies", self.path.name, index.companies)
            if self._index is None:
                raise DirectoryError(self._error)
            return self._index

    def status(self) -> DirectoryStatus:
        """Loads the file if needed (so a broken file shows its error here)."""
        with contextlib.suppress(DirectoryError):
            self.index()
        index = self._index
        try:
            modified = datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
            exists = True
        except OSError:
            modified, exists = None, False
        base = {"path": str(self.path), "file": self.path.name, "exists": exists, "loaded": index is not None,
                "loaded_at": self._loaded_at, "load_seconds": self._load_seconds, "modified_at": modified,
                "error": self._error}  # fmt: skip
        if index is None:
            return DirectoryStatus(**base)
        return DirectoryStatus(
            **base, rows=index.rows, companies=index.companies, bad_count=index.bad_count,
            bad=tuple(index.bad), warning_count=index.warning_count, warnings=tuple(index.warnings),
            columns=dict(index.columns),
        )  # fmt: skip

"""A realistic sample company directory for demos and benchmarks (``baton enrich directory-sample``).

Chinese and English company names, domains (some written as URLs, some missing), the demo's industries,
cities and regions, headcounts and registered capitals written the ways real directories write them
("1000万人民币", "2亿", "5,000,000", "100-499人"), a few amounts in US dollars, and funding rounds. A seed
always gives the same file. No database is needed.
"""

import csv
import math
import random
from collections.abc import Iterator
from pathlib import Path

from baton.demo import names

HEADERS = {
    "en": [
        "name",
        "domain",
        "industry",
        "city",
        "region",
        "headcount",
        "registered_capital",
        "funding_round",
    ],
    "zh": ["公司名称", "网址", "行业", "城市", "地区", "员工人数", "注册资本", "融资轮次"],
}
CN_ROUNDS = [("", 40), ("天使轮", 8), ("Pre-A轮", 5), ("A轮", 12), ("B轮", 9), ("C轮", 6), ("D轮及以上", 3),
             ("战略融资", 5), ("IPO上市", 4), ("新三板", 2)]  # fmt: skip
EN_ROUNDS = [("", 40), ("Seed", 10), ("Series A", 14), ("Series B", 10), ("Series C", 6), ("Series D+", 3),
             ("Private equity", 4), ("Public", 5)]  # fmt: skip
EN_QUALIFIERS = ["", "", "Asia", "Pacific", "Global", "International", "China", "Digital", "Group"]


def _capital(rng: random.Random, english: bool) -> str:
    """A registered capital in one of the ways directories write it ("" about one time in ten)."""
    roll = rng.random()
    if roll < 0.1:
        return ""
    wan = int(round(math.exp(rng.uniform(math.log(50), math.log(500_000)))))  # 50万 … 50亿
    wan = int(float(f"{wan:.2g}"))  # round numbers, like real registrations
    if roll < 0.15:
        return f"{int(float(f'{max(1, wan // 7):.2g}'))}万美元"  # another currency: left empty (warned)
    style = rng.random()
    if english:
        if style < 0.5:
            return f"{wan * 10_000:,}"
        return f"RMB {wan / 100:g} million"
    if wan >= 10_000 and style < 0.4:
        return f"{wan / 10_000:g}亿" + rng.choice(["", "元", "人民币"])
    if style < 0.7:
        return f"{wan}万" + rng.choice(["人民币", "元", "元人民币"])
    if style < 0.85:
        return f"{wan * 10_000:,}"
    return f"人民币{wan}万元"


def _headcount(rng: random.Random, size: int) -> str:
    style = rng.random()
    if style < 0.45:
        return str(size)
    if style < 0.65:
        return f"{size}人"
    if style < 0.75:
        return f"{size:,}"
    if style < 0.9:
        for low, high in ((1, 49), (50, 99), (100, 499), (500, 999), (1000, 4999), (5000, 9999)):
            if size <= high:
                return f"{low}-{high}人" if low > 1 else "少于50人"
        return "10000人以上"
    return ""


def directory_rows(n: int, *, seed: int = 1) -> Iterator[list[str]]:
    """``n`` rows in the order of ``HEADERS`` (unique domains; company names unique once normalised)."""
    rng = random.Random(seed)
    industries = [i for i, _w, _f in names.INDUSTRIES]
    industry_weights = [w for _i, w, _f in names.INDUSTRIES]
    city_weights = [c[3] for c in names.CITIES]
    size_weights = [w for _s, w in names.SIZES]
    used_names: set[tuple] = set()
    stems: dict[str, int] = {}
    for _ in range(n):
        industry = rng.choices(industries, weights=industry_weights)[0]
        city_zh, city_en, region, _w = rng.choices(names.CITIES, weights=city_weights)[0]
        base = rng.choices(names.SIZES, weights=size_weights)[0][0]
        size = max(3, int(base * rng.uniform(0.6, 1.6)))
        english = rng.random() < 0.25
        number = None
        for attempt in range(12):
            if english:
                prefix = rng.choice(names.EN_PREFIXES)
                word = rng.choice(names.EN_WORDS[industry])
                qualifier = rng.choice(EN_QUALIFIERS) if attempt < 6 else rng.choice(names.EN_PREFIXES)
                parts = (prefix, qualifier, word) if qualifier else (prefix, word)
                stem = "".join(parts).lower()
                key: tuple = ("en", *parts)
            else:
                brand, b_py = rng.choice(names.BRANDS)
                if attempt >= 3:
                    second, s_py = rng.choice(names.BRANDS)
                    if second != brand:
                        brand, b_py = brand + second, b_py + s_py
                word, w_py = rng.choice(names.CN_INDUSTRY_WORDS[industry])
                stem = rng.choice((b_py, f"{b_py}{w_py}", f"{b_py}-{w_py}"))
                key = ("zh", city_zh, brand, word)
            if key not in used_names:
                break
        else:
            number = len(used_names)  # a numbered sister company: still unique
            key = (*key, number)
        used_names.add(key)
        if english:
            name = (
                " ".join(parts)
                + (f" {number}" if number is not None else "")
                + " "
                + rng.choice(names.EN_SUFFIXES)
            )
            tld = rng.choice([".com", ".com", ".cn", ".io", ".net"])
            city = city_en
        else:
            name = f"{city_zh}{brand}{word}{'' if number is None else f'{number}号'}{rng.choice(names.CN_SUFFIXES)}"
            tld = rng.choice(names.CN_TLDS)
            city = city_zh
        count = stems.get(stem + tld, 0)
        stems[stem + tld] = count + 1
        domain = f"{stem}{count + 1 if count else ''}{tld}"
        roll = rng.random()
        if roll < 0.08:
            website = ""
        elif roll < 0.18:
            website = f"https://www.{domain}/"
        elif roll < 0.25:
            website = f"www.{domain}"
        else:
            website = domain
        rounds = EN_ROUNDS if english else CN_ROUNDS
        funding = rng.choices([r for r, _w in rounds], weights=[w for _r, w in rounds])[0]
        yield [name, website, industry, city, region, _headcount(rng, size), _capital(rng, english), funding]


def write_sample(path: str | Path, rows: int, *, seed: int = 1, headers: str = "en",
                 encoding: str = "utf-8-sig") -> Path:  # fmt: skip
    """Write ``rows`` companies to ``path``: XLSX if the name ends in .xlsx, CSV otherwise (``encoding``;
    "utf-8-sig" opens in Excel, "gb18030" is what Chinese Excel saves)."""
    if rows < 0:
        raise ValueError("rows must not be negative")
    if headers not in HEADERS:
        raise ValueError(f"headers must be one of {', '.join(HEADERS)}")
    path = Path(path)
    data = directory_rows(rows, seed=seed)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("companies")
        sheet.append(HEADERS[headers])
        for row in data:
            sheet.append(row)
        workbook.save(path)
        return path
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS[headers])
        writer.writerows(data)
    return path

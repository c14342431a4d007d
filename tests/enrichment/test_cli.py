"""``baton enrich directory-sample`` and ``directory-check``."""

import json

import pytest

from baton.cli import main
from baton.enrichment.directory import load_directory
from baton.enrichment.sample import directory_rows


@pytest.mark.parametrize(("name", "headers", "encoding"), [("dir.csv", "en", "utf-8-sig"),
                                                            ("dir.csv", "zh", "gb18030"), ("dir.xlsx", "zh", "utf-8")])  # fmt: skip
def test_a_sample_directory_loads_without_bad_rows(tmp_path, capsys, name, headers, encoding):
    out = tmp_path / name
    assert main(["enrich", "directory-sample", "--rows", "400", "--out", str(out), "--headers", headers,
                 "--encoding", encoding, "--seed", "7"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"wrote 400 companies to {out}"
    index = load_directory(out)
    assert index.rows == 400 and index.bad_count == 0 and index.companies == 400
    assert len(index.by_name) == 400  # names are unique once normalised
    # Only the amounts in another currency are warned about.
    assert all("is in USD" in w.reason for w in index.warnings)
    assert sum(f.registered_capital is not None for f in index.by_name.values()) > 300
    assert any(not f.name.isascii() for f in index.by_name.values())
    assert any(f.name.isascii() for f in index.by_name.values())


def test_the_sample_is_the_same_for_a_seed_and_unique_when_large():
    assert list(directory_rows(50, seed=3)) == list(directory_rows(50, seed=3))
    assert list(directory_rows(50, seed=3)) != list(directory_rows(50, seed=4))
    rows = list(directory_rows(20000, seed=1))
    domains = [r[1].removeprefix("https://").removeprefix("www.").rstrip("/") for r in rows if r[1]]
    assert len(set(domains)) == len(domains)


def test_check_reports_bad_rows(tmp_path, capsys):
    good = tmp_path / "good.csv"
    main(["enrich", "directory-sample", "--rows", "20", "--out", str(good)])
    capsys.readouterr()
    assert main(["enrich", "directory-check", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["companies"] == 20
    bad = tmp_path / "bad.csv"
    bad.write_text("name,domain,headcount\nAcme,acme.com,many\nBeta,beta.com,5\n", encoding="utf-8")
    assert main(["enrich", "directory-check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert (
        "1 companies from 2 rows" in out and "line 2: headcount: 'many' is not a number of employees" in out
    )
    assert main(["enrich", "directory-check", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_rows_must_not_be_negative(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["enrich", "directory-sample", "--rows", "-1", "--out", str(tmp_path / "x.csv")])
    assert "must not be negative" in capsys.readouterr().err

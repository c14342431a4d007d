"""``baton score evaluate``: the predictive pipeline on a labelled CSV file, and every way a file can be bad.

The X Education test uses the real export, which lives outside the repository: BATON_SAMPLE_DATA names
its folder, else ``../shared/data`` beside the checkout; without it that test skips.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from labelled_leads import labelled_leads, write_csv

from baton.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("BATON_SAMPLE_DATA") or ROOT.parent / "shared" / "data")
LEADS = DATA / "x-education" / "Leads.csv"


def evaluate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["score", "evaluate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_json(capsys, *args: str) -> tuple[int, dict]:
    code, out, _ = evaluate(capsys, *args, "--json")
    return code, json.loads(out)


@pytest.fixture
def leads_csv(tmp_path) -> Path:
    path = tmp_path / "history.csv"
    write_csv(path, labelled_leads(600, seed=11))
    return path


def test_json_report(capsys, leads_csv):
    code, report = evaluate_json(
        capsys, "--csv", str(leads_csv), "--target", "Converted", "--exclude", "Industry"
    )
    assert code == 0 and report["ok"] is True
    assert report["rows"] == 600 and report["test_rows"] == 180 and report["train_rows"] == 420
    for key in ("roc_auc", "pr_auc", "brier", "baseline_roc_auc", "baseline_pr_auc", "baseline_brier"):
        assert 0 < report[key] < 1
    assert report["roc_auc"] > 0.75
    assert len(report["calibration"]) == 10
    assert {"name": "Industry", "reason": "excluded by request"} in report["dropped"]
    assert report["top_factors"][0]["feature"] == "Source"


def test_table_report(capsys, leads_csv):
    code, out, err = evaluate(capsys, "--csv", str(leads_csv), "--target", "converted", "--holdout", "0.25")
    assert code == 0 and err == ""
    assert (
        "600 labelled rows" in out
        and "stratified random hold-out of 25% (seed 1): 450 to train, 150 to test" in out
    )
    for words in ("ROC AUC", "naive Bayes baseline", "Calibration (hold-out)", "Top factors", "Fields not used",
                  "Lead ID", "identifier"):  # fmt: skip
        assert words in out


def test_the_seed_changes_the_hold_out_and_the_same_seed_repeats(capsys, leads_csv):
    args = ("--csv", str(leads_csv), "--target", "Converted")
    first = evaluate_json(capsys, *args, "--seed", "3")[1]
    again = evaluate_json(capsys, *args, "--seed", "3")[1]
    other = evaluate_json(capsys, *args, "--seed", "4")[1]
    assert first["roc_auc"] == again["roc_auc"] and first["brier"] == again["brier"]
    assert (first["roc_auc"], first["brier"]) != (other["roc_auc"], other["brier"])


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("gbk", ","), ("utf-8", ";"), ("utf-8", "\t")]
)
def test_encodings_and_delimiters(capsys, tmp_path, encoding, delimiter):
    rows = [
        {("来源" if k == "Source" else k): v for k, v in row.items()} for row in labelled_leads(400, seed=2)
    ]
    for row in rows:
        row["城市"] = "上海" if row["Converted"] == "Yes" and row["Visits"] != "0" else "北京"
    path = tmp_path / "leads.csv"
    write_csv(path, rows, encoding=encoding, delimiter=delimiter)
    code, report = evaluate_json(capsys, "--csv", str(path), "--target", "Converted")
    assert code == 0 and report["rows"] == 400
    assert {"来源", "城市"} <= {f["name"] for f in report["features"]}


def test_named_positive_value_and_time_ordered_hold_out(capsys, tmp_path):
    rows = labelled_leads(500, seed=5)
    for row in rows:
        row["Converted"] = "Closed Won" if row["Converted"] == "Yes" else "Closed Lost"
    path = tmp_path / "deals.csv"
    write_csv(path, rows)
    args = ("--csv", str(path), "--target", "Converted")
    code, report = evaluate_json(capsys, *args)
    assert code == 2 and report["ok"] is False and "'Closed Won'" in report["error"]
    code, report = evaluate_json(capsys, *args, "--positive", "closed won", "--time", "Signed up")
    assert code == 0 and report["split"] == "time" and report["time_column"] == "Signed up"
    assert report["positives"] == sum(r["Converted"] == "Closed Won" for r in rows)
    assert "Signed up" not in {d["name"] for d in report["dropped"]} | {f["name"] for f in report["features"]}


def _bad(tmp_path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def _rows_csv(tmp_path, rows: list[dict[str, str]]) -> str:
    path = tmp_path / f"rows-{len(list(tmp_path.iterdir()))}.csv"
    write_csv(path, rows)
    return str(path)


def _bad_inputs(tmp_path) -> list[tuple[list[str], str]]:
    few = labelled_leads(120, seed=1)
    one_outcome = [{**r, "Converted": "Yes"} for r in labelled_leads(300, seed=1)]
    odd_outcome = [
        {**r, "Converted": r["Converted"] if i % 50 else "maybe"} for i, r in enumerate(labelled_leads(300))
    ]
    all_missing = [{"Source": "", "Title": "Select", "Visits": "n/a", "Converted": "Yes" if i % 3 else "No"}
                   for i in range(300)]  # fmt: skip
    good = _rows_csv(tmp_path, labelled_leads(300, seed=1))
    return [
        (["--csv", str(tmp_path / "nope.csv"), "--target", "Converted"], "no such file"),
        (["--csv", str(tmp_path), "--target", "Converted"], "is a folder"),
        (["--csv", _bad(tmp_path, "empty.csv", ""), "--target", "Converted"], "is empty"),
        (["--csv", _bad(tmp_path, "blank.csv", "\r\n \r\n"), "--target", "Converted"], "is empty"),
        (["--csv", _bad(tmp_path, "header.csv", "Source,Converted\r\n"), "--target", "Converted"], "no data rows"),
        (["--csv", _bad(tmp_path, "book.xlsx", b"PK\x03\x04\x00\x00\xff\xfe\x00"), "--target", "Converted"],
         "is a spreadsheet workbook, not a text file"),
        (["--csv", _bad(tmp_path, "utf16.csv", "Source,Converted\n".encode("utf-16")), "--target", "Converted"],
         "is not a text file (or is UTF-16)"),
        (["--csv", _bad(tmp_path, "latin.csv", b"\xff\xfe\xfd\xfc\n\x80\x80"), "--target", "Converted"],
         "is neither UTF-8 nor GBK text"),
        (["--csv", good, "--target", "Outcome"], "no column named 'Outcome'; the columns are: 'Lead ID'"),
        (["--csv", good, "--target", "Converted", "--exclude", "Tags,Title"], "cannot exclude 'Tags'"),
        (["--csv", good, "--target", "Converted", "--time", "When"], "no column named 'When' for --time"),
        (["--csv", good, "--target", "Converted", "--time", "Title"], "is not an ISO date"),
        (["--csv", _rows_csv(tmp_path, few), "--target", "Converted"], "only 120 labelled rows"),
        (["--csv", _rows_csv(tmp_path, one_outcome), "--target", "Converted"], "have the same outcome (positive)"),
        (["--csv", _rows_csv(tmp_path, odd_outcome), "--target", "Converted"], "'maybe' (6×)"),
        (["--csv", _rows_csv(tmp_path, all_missing), "--target", "Converted"], "no usable column to learn from"),
    ]  # fmt: skip


def test_bad_input_exits_2_with_a_clear_message(capsys, tmp_path):
    for args, words in _bad_inputs(tmp_path):
        code, out, err = evaluate(capsys, *args)
        assert (code, out) == (2, ""), args
        assert err.startswith("error: ") and words in err, (args, err)
        code, out, err = evaluate(capsys, *args, "--json")
        report = json.loads(out)
        assert code == 2 and report["ok"] is False and words in report["error"] and report["code"], args


def test_too_little_history_says_rules_stay(capsys, tmp_path):
    code, _, err = evaluate(
        capsys, "--csv", _rows_csv(tmp_path, labelled_leads(150)), "--target", "Converted"
    )
    assert code == 2 and "rule scoring is used until then" in err


@pytest.mark.parametrize("holdout", ["0.9", "0", "abc"])
def test_a_bad_hold_out_is_refused_by_the_parser(capsys, leads_csv, holdout):
    with pytest.raises(SystemExit) as exc:
        main(["score", "evaluate", "--csv", str(leads_csv), "--target", "Converted", "--holdout", holdout])
    assert exc.value.code == 2 and "--holdout" in capsys.readouterr().err


def test_the_command_never_shows_a_traceback(tmp_path):
    path = _bad(tmp_path, "gbk-no-target.csv", "名称,来源\n张三,官网\n".encode("gbk"))
    result = subprocess.run([sys.executable, "-m", "baton.cli", "score", "evaluate", "--csv", path, "--target",
                             "成交"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert (
        "Traceback" not in result.stderr
        and "no column named '成交'; the columns are: '名称', '来源'" in result.stderr
    )


@pytest.fixture(scope="module")
def x_education() -> Path:
    if not LEADS.is_file():
        pytest.skip(f"the X Education export is not at {LEADS} (set BATON_SAMPLE_DATA to its data folder)")
    return LEADS


def test_x_education_beats_the_target_and_the_baseline(capsys, x_education):
    code, report = evaluate_json(capsys, "--csv", str(x_education), "--target", "Converted",
                                 "--exclude", "Tags,Lead Quality")  # fmt: skip
    assert code == 0
    assert (report["rows"], report["positives"], report["test_rows"]) == (9240, 3561, 2772)
    assert report["roc_auc"] >= 0.93
    assert report["roc_auc"] - report["baseline_roc_auc"] >= 0.03
    assert report["brier"] < report["baseline_brier"] < report["base_rate_brier"]
    assert report["warnings"] == []
    dropped = {d["name"]: d["reason"] for d in report["dropped"]}
    assert dropped["Tags"] == dropped["Lead Quality"] == "excluded by request"
    assert dropped["Prospect ID"].startswith("free text or identifier")
    assert dropped["Lead Number"].startswith("identifier")
    assert report["top_factors"][0]["feature"] == "Total Time Spent on Website"

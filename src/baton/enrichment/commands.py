"""``baton enrich directory-check``: read a company directory the way the provider does and report it."""

import json
import sys
import time

LISTED = 20


def check_directory(path: str, *, as_json: bool = False) -> int:
    """Exit status 0: every row usable; 1: some rows skipped (listed); 2: the file cannot be used."""
    from baton.enrichment.directory import DirectoryError, load_directory

    started = time.perf_counter()
    try:
        index = load_directory(path)
    except DirectoryError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": exc.message}, ensure_ascii=False))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        return 2
    report = {
        "ok": index.bad_count == 0,
        "rows": index.rows,
        "companies": index.companies,
        "domains": len(index.by_domain),
        "names": len(index.by_name),
        "columns": index.columns,
        "bad_rows": index.bad_count,
        "bad_row_examples": [str(p) for p in index.bad[:LISTED]],
        "warnings": index.warning_count,
        "warning_examples": [str(p) for p in index.warnings[:LISTED]],
        "seconds": round(time.perf_counter() - started, 3),
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"{index.companies} companies from {index.rows} rows ({report['seconds']} s); "
              f"{index.bad_count} rows skipped, {index.warning_count} warnings")  # fmt: skip
        print("columns: " + ", ".join(f"{header} → {field}" for field, header in index.columns.items()))
        for title, items, total in (("skipped", index.bad, index.bad_count),
                                    ("warnings", index.warnings, index.warning_count)):  # fmt: skip
            if total:
                print(f"{title}:")
                for problem in items[:LISTED]:
                    print(f"  {problem}")
                if total > LISTED:
                    print(f"  … and {total - LISTED} more")
    return 0 if index.bad_count == 0 else 1

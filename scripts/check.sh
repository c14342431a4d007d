#!/usr/bin/env bash
# Sets up a fresh machine and runs every check (CI runs this through .ci/run).
# All steps run even after a failure so one CI log shows every problem; the exit status is 1 if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

banner() { printf '\n\033[1m==== %s ====\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@"  # -n: fail instead of waiting for a password
    else echo "error: root or sudo needed to run: $*" >&2; return 1
    fi
}

banner "Python environment (.venv)"
[ -x .venv/bin/python ] || python3 -m venv .venv
# Reinstall only when pyproject.toml changed: pip needs the network even when nothing is new.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-* && touch "$stamp"
fi

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
# Without CJK fonts Chromium renders the Chinese UI as boxes.
if ! command -v dpkg >/dev/null || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then packages+=(fonts-noto-cjk); fi
if [ ${#packages[@]} -gt 0 ]; then
    banner "Installing ${packages[*]}"
    command -v apt-get >/dev/null || { echo "error: no apt-get; install ${packages[*]} yourself" >&2; exit 1; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
fi

# The same environment locally and in CI; only CI=true (passed through) turns skips into failures.
PATH="$PWD/.venv/bin:$PATH"
BATON_DATA_DIR="$(mktemp -d)"
DJANGO_SETTINGS_MODULE=baton.settings
export PATH BATON_DATA_DIR DJANGO_SETTINGS_MODULE
unset DATABASE_URL
trap 'rm -rf "$BATON_DATA_DIR"' EXIT

failed=()
step() {
    local name="$1"; shift
    banner "$name"
    # pytest's exit code 5 (no tests collected) is non-zero too, so it counts as a failure.
    "$@" || { echo "FAILED ($?): $name"; failed+=("$name"); }
}

step "ruff check" ruff check .
step "ruff format --check" ruff format --check .
step "import contracts (lint-imports)" lint-imports
step "migrations up to date" python -m django makemigrations --check --dry-run
step "pytest on SQLite (with e2e)" pytest --db=sqlite
step "pytest on PostgreSQL (without e2e)" pytest --db=postgres -m "not e2e"

if [ ${#failed[@]} -gt 0 ]; then
    banner "${#failed[@]} check(s) failed"
    printf '  - %s\n' "${failed[@]}"
    exit 1
fi
banner "All checks passed"

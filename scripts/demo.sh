#!/usr/bin/env bash
# Runs `baton demo` from a checkout; arguments are passed on. The caller's directory is kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
"$root/.venv/bin/pip" install -q --disable-pip-version-check -e "$root"
exec "$root/.venv/bin/baton" demo "$@"

#!/usr/bin/env bash
# suite_at.sh HH:MM [pytest args...]: the whole suite with every Python process's wall clock
# at HH:MM UTC today (see scripts/shifted_clock/sitecustomize.py). Proves no test depends on
# the hour it runs at: e.g. `scripts/suite_at.sh 00:30` and `scripts/suite_at.sh 23:30`.
set -euo pipefail
cd "$(dirname "$0")/.."
at=$1; shift
make -s .venv/.installed-train >/dev/null
export INTAKE_SHIFT_UTC="$at"
export PYTHONPATH="$PWD/scripts/shifted_clock${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/python -c 'from datetime import datetime, timezone; print("suite clock:", datetime.now(timezone.utc).isoformat(timespec="seconds"))'
exec .venv/bin/python -m pytest -q "$@"

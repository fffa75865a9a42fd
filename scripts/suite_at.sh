#!/usr/bin/env bash
# suite_at.sh HH:MM [pytest args...]: the whole suite with every Python process's wall clock
# starting at HH:MM UTC today and ticking on (scripts/shifted_clock/sitecustomize.py). Proves
# no test depends on the hour it runs at: `scripts/suite_at.sh 00:30`, `scripts/suite_at.sh 23:30`.
set -euo pipefail
cd "$(dirname "$0")/.."
at=$1; shift
make -s .venv/.installed-train >/dev/null
INTAKE_SHIFT_S=$(.venv/bin/python -c '
import sys, time
from datetime import datetime, timezone
hour, minute = map(int, sys.argv[1].split(":"))
target = datetime.now(timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
print(f"{target.timestamp() - time.time():.3f}")' "$at")
export INTAKE_SHIFT_S
export PYTHONPATH="$PWD/scripts/shifted_clock${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/python -c 'from datetime import datetime, timezone; print("suite clock:", datetime.now(timezone.utc).isoformat(timespec="seconds"))'
exec .venv/bin/python -m pytest -q "$@"

"""Runs this Python process (and every Python it starts) with its wall clock at another hour.

Put this folder first on PYTHONPATH and set INTAKE_SHIFT_UTC=HH:MM: at start-up the process's
wall clock (time.time, datetime.now, date.today) jumps to that time of today, UTC, and ticks on
from there. Monotonic time, which asyncio and every sleep use, is left alone, so timeouts
behave as usual. Used by scripts/suite_at.sh to prove the suite passes at any hour.
"""
from __future__ import annotations

import os
from datetime import datetime, time, timezone

_AT = os.environ.get("INTAKE_SHIFT_UTC")
if _AT:
    import time_machine

    _hour, _minute = (int(part) for part in _AT.split(":"))
    _target = datetime.combine(datetime.now(timezone.utc).date(), time(_hour, _minute), timezone.utc)
    time_machine.travel(_target, tick=True).start()

"""Runs this Python process (and every Python it starts) with its wall clock shifted.

Put this folder first on PYTHONPATH and set INTAKE_SHIFT_S to a number of seconds: at start-up
the process's wall clock (time.time, datetime.now, date.today) jumps that far and ticks on from
there. Every process of a run gets the same offset, so a gate restarted by a test sees time go
on, never back. Monotonic time, which asyncio and every sleep use, is left alone, so timeouts
behave as usual. scripts/suite_at.sh sets the offset that puts the suite at a given hour.
"""
from __future__ import annotations

import os
import time

_SHIFT = os.environ.get("INTAKE_SHIFT_S")
if _SHIFT:
    import time_machine

    time_machine.travel(time.time() + float(_SHIFT), tick=True).start()

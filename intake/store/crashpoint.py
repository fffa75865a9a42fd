"""Crash-test hook. With INTAKE_CRASH_AT=<point>:<n> the process SIGKILLs itself the n-th time
it reaches <point> (a record just committed, or an actuator just moved). INTAKE_CRASH_TRACE=FILE
appends every point reached, durably, so a test knows what was acknowledged before the kill.
Unset (production): one dict lookup per point."""
from __future__ import annotations

import json
import os
import signal
from collections import Counter
from typing import Any

_seen: Counter[str] = Counter()


def enabled() -> bool:
    return bool(os.environ.get("INTAKE_CRASH_AT") or os.environ.get("INTAKE_CRASH_TRACE"))


def crash_point(point: str, **detail: Any) -> None:
    target, trace = os.environ.get("INTAKE_CRASH_AT"), os.environ.get("INTAKE_CRASH_TRACE")
    if not target and not trace:
        return
    _seen[point] += 1
    if trace:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"point": point, "n": _seen[point], **detail}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    if target == f"{point}:{_seen[point]}":
        os.kill(os.getpid(), signal.SIGKILL)

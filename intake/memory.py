"""glibc malloc settings for a gate process that runs for months.

Photos, tiles and model inputs (hundreds of kB each) are allocated and freed by worker threads
thousands of times a day. With glibc's defaults the mmap threshold rises after the first such
buffer is freed, so later ones are carved out of the thread arenas, where small long-lived
allocations made meanwhile pin them: the arenas fragment and resident memory creeps up with
every truck (measured: about 60 MB of free space held in the arenas after 100 trucks, and
steady growth after that). A fixed mmap threshold hands every large buffer back to the kernel
when it is freed, and two arenas bound the per-thread heaps.

An operator's own MALLOC_* environment settings win (glibc applied them at start); on a C
library other than glibc this does nothing.
"""
from __future__ import annotations

import ctypes
import logging
import os
from functools import cache
from typing import Final

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD: Final = -3   # mallopt parameters, from glibc's malloc.h
M_ARENA_MAX: Final = -8
MMAP_THRESHOLD_BYTES: Final = 128 * 1024
ARENA_MAX: Final = 2

_ENV = {M_MMAP_THRESHOLD: "MALLOC_MMAP_THRESHOLD_", M_ARENA_MAX: "MALLOC_ARENA_MAX"}


def tune_malloc(settings: dict[int, int] | None = None) -> dict[str, int]:
    """Apply the settings not already given in the environment; returns what was applied
    (by environment-variable name), empty when this is not glibc."""
    wanted = settings if settings is not None else {M_MMAP_THRESHOLD: MMAP_THRESHOLD_BYTES, M_ARENA_MAX: ARENA_MAX}
    mallopt = _mallopt()
    if mallopt is None:
        return {}
    applied: dict[str, int] = {}
    for param, value in wanted.items():
        name = _ENV.get(param, str(param))
        if name in os.environ:
            continue
        if mallopt(param, value) == 1:
            applied[name] = value
        else:
            log.warning("mallopt(%s=%d) refused", name, value)
    return applied


@cache
def _mallopt():
    # The process's own symbol table holds the C library already loaded: no search on disk
    # (ctypes.util.find_library runs ldconfig in a subprocess), once per process.
    try:
        fn = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):   # not glibc (musl has no mallopt)
        return None
    fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn

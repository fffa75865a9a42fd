"""The malloc settings for a long-running gate: applied through glibc's mallopt, and an
operator's MALLOC_* environment settings are left alone."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from intake.memory import ARENA_MAX, M_ARENA_MAX, M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES, tune_malloc


def _large_buffer_is_mmapped(code_before: str) -> bool:
    """In a fresh process: after freeing one 1 MB buffer (which raises glibc's dynamic
    threshold), is a new 512 kB buffer still served by mmap? Read from mallinfo2's hblkhd."""
    script = textwrap.dedent(f"""
        import ctypes
        {code_before}
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        class MI(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc.mallinfo2.restype = MI
        libc.free(libc.malloc(1 << 20))
        before = libc.mallinfo2().hblkhd
        p = libc.malloc(512 * 1024)
        grew = libc.mallinfo2().hblkhd - before
        libc.free(p)
        print(grew >= 512 * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PATH": ""})
    return out.stdout.strip() == "True"


def test_after_tuning_large_buffers_go_back_to_the_kernel():
    # glibc's default: the freed 1 MB buffer raises the threshold, the next one comes from the heap.
    assert not _large_buffer_is_mmapped("")
    assert _large_buffer_is_mmapped("from intake.memory import tune_malloc; tune_malloc()")


def test_applies_both_settings_and_reports_them(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_malloc() == {"MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD_BYTES, "MALLOC_ARENA_MAX": ARENA_MAX}


def test_an_operator_setting_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_malloc({M_ARENA_MAX: 2, M_MMAP_THRESHOLD: MMAP_THRESHOLD_BYTES}) == {
        "MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD_BYTES}

"""Shared helpers for the scale tests (fixtures only: test dirs are not packages)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")
Waiter = Callable[..., T]


def _wait_for(predicate: Callable[[], T], timeout: float = 3.0, interval: float = 0.005) -> T:
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)


@pytest.fixture
def wait_for() -> Callable[..., object]:
    return _wait_for

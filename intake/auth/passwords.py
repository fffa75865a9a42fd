"""Password hashing: argon2id (memory-hard), parameters carried in each hash so they can be
raised later and old hashes still verify (and get rehashed at the next login)."""
from __future__ import annotations

from functools import cached_property
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

MIN_LENGTH: Final[int] = 10
MAX_LENGTH: Final[int] = 256   # bounds the hashing work a request can ask for


class WeakPassword(ValueError):
    pass


def default_hasher() -> PasswordHasher:
    # RFC 9106 "second recommended" profile: 64 MiB, 3 passes.
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2, type=Type.ID)


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or default_hasher()

    @cached_property
    def _dummy(self) -> str:
        # Verified against when the user does not exist, so the answer takes as long either way.
        return self.hasher.hash("not-a-real-password-0")

    def check_policy(self, password: str) -> None:
        if len(password) < MIN_LENGTH:
            raise WeakPassword(f"password must be at least {MIN_LENGTH} characters")
        if len(password) > MAX_LENGTH:
            raise WeakPassword(f"password must be at most {MAX_LENGTH} characters")

    def hash(self, password: str) -> str:
        self.check_policy(password)
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

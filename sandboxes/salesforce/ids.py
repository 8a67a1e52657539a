"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form.

An id is a 3-character key prefix naming the object (``001`` Account, ``006`` Opportunity…), a 2-character
pod id, zeros and 7 base-62 characters. The 18-character form appends a 3-character checksum:
for each 5-character chunk, a bit per character that is an upper-case letter, looked up in
``A-Z0-5``. The REST API answers with 18-character ids and accepts both forms.
"""

from __future__ import annotations

import random
import re
import secrets
import string

__all__ = ["IdFactory", "checksum", "is_id", "to18"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX = string.ascii_uppercase + "012345"
_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-5]{3})?$")
POD = "5g"


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character id."""
    out = ""
    for chunk in range(3):
        bits = 0
        for pos, char in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << pos
        out += _SUFFIX[bits]
    return out


def is_id(value: str) -> bool:
    """Whether ``value`` is shaped like a record id (15 characters, or 18 with a valid checksum)."""
    if not isinstance(value, str) or not _ID.match(value):
        return False
    return len(value) == 15 or value[15:].upper() == checksum(value[:15])


def to18(value: str) -> str:
    """The 18-character form of a 15- or 18-character id (raises ValueError when malformed)."""
    if not is_id(value):
        raise ValueError(f"not a Salesforce id: {value!r}")
    return value[:15] + checksum(value[:15])


class IdFactory:
    """Makes 18-character ids for a key prefix, deterministic under a seed.

    Args:
        seed: When given, the sequence of ids repeats from one run to the next.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        """A fresh 18-character id such as ``0015g00000AbCdEfGH``."""
        choose = self._rng.choice if self._rng is not None else secrets.choice
        tail = "".join(choose(_BASE62) for _ in range(7))
        return to18(f"{prefix}{POD}000{tail}")

    def reset(self) -> None:
        """Restart the deterministic sequence (no effect without a seed)."""
        if self._seed is not None:
            self._rng = random.Random(self._seed)

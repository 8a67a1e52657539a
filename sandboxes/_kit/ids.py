"""Vendor-style object ids (``cus_...``), random or deterministic under a seed."""

from __future__ import annotations

import random
import secrets
import string

__all__ = ["IdFactory"]

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes ids of the form ``<prefix>_<random>``.

    Args:
        seed: When given, ids repeat exactly from one run to the next (a failing run replays).
        length: Characters after the prefix.
    """

    def __init__(self, seed: int | None = None, length: int = 24) -> None:
        self._seed = seed
        self._length = length
        self._rng = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        """A fresh id such as ``cus_Nk3...``."""
        if self._rng is None:
            tail = "".join(secrets.choice(_ALPHABET) for _ in range(self._length))
        else:
            tail = "".join(self._rng.choice(_ALPHABET) for _ in range(self._length))
        return f"{prefix}_{tail}" if prefix else tail

    def reset(self) -> None:
        """Restart the deterministic sequence (no effect without a seed)."""
        if self._seed is not None:
            self._rng = random.Random(self._seed)

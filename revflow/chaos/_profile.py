"""How hard a chaos run pushes: how many deals, which seed, how many workers, how many kills and of what."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["PROFILES", "SERVICE_TARGETS", "ChaosProfile", "kill_plan"]

SERVICE_TARGETS = ("quote_to_cash", "erp", "billing", "crm")
"""Services a kill may hit, in turn (sandboxes are the vendors, never killed; the issuer holds the signing key)."""


@dataclass(frozen=True, kw_only=True)
class ChaosProfile:
    """One chaos run's size and violence."""

    deals: int = 1000
    """Deals entered in the CRM and won."""
    seed: int = 20251127
    """Seeds the deals' lines, the vendors' faults, the kill plan and the order of duplicates."""
    workers: int = 2
    """Quote-to-cash worker processes."""
    kills: int = 6
    """Kill events: every third hits a service (in turn ``SERVICE_TARGETS``), the next every worker at once,
    the others one worker."""
    blocked_every: int = 25
    """Every n-th deal carries an item the ERP does not have: it must park, owned by finance ops (0: none)."""
    by_hand: int = 25
    """Deals also started by hand through the process API (a person re-keying a close)."""
    concurrency: int = 16
    """Workflows one worker advances at once."""
    deadline_s: float = 3600.0
    """Bounds a hung run (not a performance expectation)."""


PROFILES: dict[str, ChaosProfile] = {
    "short": ChaosProfile(deals=30, kills=3, blocked_every=10, by_hand=5, deadline_s=600.0),
    "default": ChaosProfile(),
}
"""``short``: a check of about a minute and a half (the e2e test); ``default``: the issue's 1,000 deals."""


def kill_plan(profile: ChaosProfile) -> list[tuple[str, ...]]:
    """What each kill event hits, in order: worker slot names (``worker-<n>``) or service names."""
    rng = random.Random(profile.seed)
    workers = tuple(f"worker-{n}" for n in range(profile.workers))
    services = iter(SERVICE_TARGETS * (profile.kills // 3 + 1))
    plan: list[tuple[str, ...]] = []
    for index in range(profile.kills):
        if index % 3 == 1:
            plan.append((next(services),))
        elif index % 3 == 2:
            plan.append(workers)
        else:
            plan.append((rng.choice(workers),))
    return plan

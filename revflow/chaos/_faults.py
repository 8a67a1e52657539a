"""Seeded vendor faults, set and read through each sandbox's admin routes (``/__sandbox/faults``).

The sandboxes draw every fault from one ``random.Random(seed)``; which request meets a fault still depends on
the order requests arrive in, so a run is reproducible in its fault mix, not request by request.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["FAULTS", "clear_faults", "faults_injected", "inject_faults", "seeded_faults"]


def _faults(route: str, *, hang_seconds: float) -> dict[str, Any]:
    return {"route": route, "error_rate": 0.10, "error_status": 503, "rate_limit_rate": 0.05, "retry_after": 1,
            "error_after_rate": 0.02, "timeout_rate": 0.002, "hang_seconds": hang_seconds}


FAULTS: dict[str, dict[str, Any]] = {
    # Every NetSuite REST and SuiteQL call, every Stripe API call, and Salesforce's record updates (the finance
    # status written back, one /composite call; the chaos driver's own writes use /composite/sobjects):
    # 10% 5xx, 5% 429 with Retry-After, 2% answers lost after the write committed, and a request in 500 never
    # answered until the caller gives up (the system APIs' vendor timeout is 5 s).
    "netsuite": {"seed": 61, "rules": [_faults(r"^\w+ /services/rest/", hang_seconds=7.0)]},
    "stripe": {"seed": 62, "rules": [_faults(r"^\w+ /v1/", hang_seconds=7.0)]},
    "salesforce": {"seed": 63, "rules": [_faults(r"^PATCH /services/data/v[\d.]+/sobjects/Opportunity/",
                                                 hang_seconds=7.0),
                                         _faults(r"^POST /services/data/v[\d.]+/composite$", hang_seconds=7.0)]},
}
"""Seeded fault rules per sandbox (the draws are seeded; which request meets them depends on arrival order)."""


def seeded_faults(seed: int) -> dict[str, dict[str, Any]]:
    """``FAULTS`` with each sandbox's seed derived from ``seed`` (one run seed drives every sandbox)."""
    return {vendor: {**config, "seed": seed * 100 + index}
            for index, (vendor, config) in enumerate(FAULTS.items(), start=1)}


def inject_faults(sandboxes: dict[str, httpx.Client], faults: dict[str, dict[str, Any]]) -> None:
    """Set each sandbox's fault rules (``sandboxes``: a client on each sandbox's base URL)."""
    for vendor, config in faults.items():
        sandboxes[vendor].post("/__sandbox/faults", json=config).raise_for_status()


def faults_injected(sandboxes: dict[str, httpx.Client], vendors: list[str]) -> dict[str, int]:
    """How many requests each sandbox answered with a fault so far.

    Read it before the faults are cleared: setting or clearing rules empties the sandbox's fault log.
    """
    return {vendor: len(sandboxes[vendor].get("/__sandbox/faults").raise_for_status().json()["injected"])
            for vendor in vendors}


def clear_faults(sandboxes: dict[str, httpx.Client], vendors: list[str]) -> None:
    """Switch every fault off (the vendors are healthy again)."""
    for vendor in vendors:
        sandboxes[vendor].delete("/__sandbox/faults").raise_for_status()

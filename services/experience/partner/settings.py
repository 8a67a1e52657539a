"""Settings of the partner API (prefix ``REVFLOW_PARTNER_``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["DEFAULT_PLANS", "PartnerSettings", "PlanLimit", "load_settings"]


class PlanLimit(msgspec.Struct, frozen=True, kw_only=True):
    """A plan's request quota: ``requests`` per ``window_seconds``, all of which may come in one burst."""

    requests: Annotated[int, msgspec.Meta(ge=1)]
    """Requests allowed per window; the quota refills smoothly (one request every ``window / requests``)."""
    window_seconds: Annotated[int, msgspec.Meta(ge=1)] = 60
    """Length of the window, in seconds."""


DEFAULT_PLANS: dict[str, PlanLimit] = {
    "trial": PlanLimit(requests=60, window_seconds=60),
    "standard": PlanLimit(requests=600, window_seconds=60),
    "enterprise": PlanLimit(requests=6_000, window_seconds=60),
}
"""The plans a deployment has when it configures none."""


class PartnerSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings, the process API the partner API calls, rate-limit plans and webhook delivery."""

    service_name: str = "partner"
    process_url: str = "http://127.0.0.1:8110"
    """Base URL of the quote-to-cash process API."""
    client_id: str | None = "revflow-partner"
    client_secret: str | None = None
    """The partner API's own client secret for tokens to the process API."""
    upstream_timeout_seconds: float = 10.0
    """Per-attempt timeout of a call to the process API."""
    upstream_concurrency: int = 8
    """Process API calls one partner request makes at once (a list reads each of the tenant's deals)."""
    plans: dict[str, PlanLimit] = msgspec.field(default_factory=lambda: dict(DEFAULT_PLANS))
    """Rate-limit plans by name (JSON in the environment)."""
    client_plans: dict[str, str] = {}
    """Plan of each partner client id; clients not listed get ``default_plan``."""
    default_plan: str = "standard"
    webhook_max_attempts: int = 8
    """Attempts of one delivery before it is marked failed (a redelivery starts a new round)."""
    webhook_backoff_base_seconds: float = 30.0
    """Ceiling of the first retry delay; it doubles per attempt (half of it is jittered)."""
    webhook_backoff_cap_seconds: float = 3_600.0
    """Largest retry delay."""
    webhook_timeout_seconds: float = 10.0
    """How long a receiver may take to answer one delivery."""
    webhook_lease_seconds: float = 60.0
    """How long a replica holds a delivery it is attempting before another may take it (exceeds the timeout)."""
    webhook_poll_seconds: float = 1.0
    """How often a replica looks for deliveries that are due."""
    webhook_concurrency: int = 16
    """Deliveries one replica attempts at once."""
    webhook_retention_days: int = 30
    """How long deliveries and their attempts stay in the log."""
    webhook_allow_private_networks: bool = False
    """Accept webhook URLs on loopback, private and link-local addresses (development and tests only)."""
    max_webhooks_per_tenant: int = 10
    consume_events: bool = True
    """Turn the process tier's events into webhook deliveries in this process."""
    dispatch_webhooks: bool = True
    """Attempt due webhook deliveries in this process."""


def load_settings() -> PartnerSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(PartnerSettings, "REVFLOW_PARTNER_")

"""Settings of the billing system API (prefix ``REVFLOW_BILLING_``); nothing is read at import time."""

from __future__ import annotations

from typing import Literal

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["BillingSettings", "load_settings"]


class BillingSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the billing vendor and its credentials."""

    secret_fields = frozenset({"stripe_api_key", "chargebee_api_key", "webhook_secret"})

    service_name: str = "billing"
    vendor: Literal["stripe", "chargebee"] = "stripe"
    """Which billing vendor this deployment talks to."""
    vendor_url: str = "http://127.0.0.1:8203"
    """Base URL of the vendor API (the sandbox in development; ``https://api.stripe.com`` in production)."""
    stripe_api_key: str | None = None
    """Stripe secret key (``sk_test_...`` / ``sk_live_...``)."""
    chargebee_site: str | None = None
    """Chargebee site name (``acme-test``)."""
    chargebee_api_key: str | None = None
    """Chargebee API key (HTTP Basic user, empty password)."""
    webhook_secret: str | None = None
    """Signing secret of the vendor's webhook endpoint (Stripe ``whsec_...``); several may be given separated
    by commas while a secret is being rotated. Without one, inbound webhooks are refused."""
    vendor_timeout_seconds: float = 5.0
    """Per-attempt timeout of vendor calls."""
    vendor_max_attempts: int = 3
    """Attempts per vendor call when repeating is safe (reads, keyed writes)."""
    vendor_page_size: int = 100
    """Page size used when paging vendor lists (every page is always read)."""
    circuit_reset_seconds: float = 10.0
    """How long an open circuit to the vendor stays open before probing again."""


def load_settings() -> BillingSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(BillingSettings, "REVFLOW_BILLING_")

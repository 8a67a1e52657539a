"""The Stripe connector: the billing port over Stripe's real API (paths, form encoding, errors, paging).

Owns every Stripe payload shape; nothing Stripe-shaped leaves this package. It never reads settings itself:
``create_stripe_connector`` gets them from the app's lifespan.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from services.runtime.http import BreakerPolicy, RetryPolicy, Timeouts, UpstreamClient, UpstreamConfig
from services.system.billing.connectors.stripe._connector import StripeConnector
from services.system.billing.connectors.stripe._webhooks import verify_signature
from services.system.billing.connectors.stripe._wire import StripeKey, form_pairs
from services.system.billing.settings import BillingSettings

__all__ = ["StripeConnector", "create_stripe_connector", "form_pairs", "verify_signature"]


def create_stripe_connector(settings: BillingSettings,
                            tracer_provider: TracerProvider | None = None) -> StripeConnector:
    """A Stripe connector on a resilient client built from ``settings`` (call it in a lifespan)."""
    if not settings.stripe_api_key:
        raise ValueError("REVFLOW_BILLING_STRIPE_API_KEY is required when REVFLOW_BILLING_VENDOR=stripe")
    config = UpstreamConfig(
        name="stripe", base_url=settings.vendor_url,
        timeouts=Timeouts(default=settings.vendor_timeout_seconds),
        retry=RetryPolicy(max_attempts=settings.vendor_max_attempts),
        breaker=BreakerPolicy(reset_timeout=settings.circuit_reset_seconds))
    http = UpstreamClient(config, auth=StripeKey(settings.stripe_api_key), tracer_provider=tracer_provider)
    secrets = tuple(s.strip() for s in (settings.webhook_secret or "").split(",") if s.strip())
    return StripeConnector(http, page_size=settings.vendor_page_size, webhook_secrets=secrets)

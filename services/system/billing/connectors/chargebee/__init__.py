"""The Chargebee connector: the billing port over Chargebee API v2 with Product Catalog 2.0.

Speaks Chargebee's own wire (HTTP Basic with the site API key, indexed bracket forms, resources wrapped under
their names, ``next_offset`` paging, ``chargebee-idempotency-key``, Chargebee error bodies) over the
runtime's resilient upstream client, not the Chargebee SDK. Owns every Chargebee payload shape; nothing
Chargebee-shaped leaves this package. It never reads settings itself: ``create_chargebee_connector`` gets
them from the app's lifespan.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from services.runtime.http import BreakerPolicy, RetryPolicy, Timeouts, UpstreamClient, UpstreamConfig
from services.system.billing.connectors.chargebee._connector import ChargebeeConnector
from services.system.billing.connectors.chargebee._events import verify_basic
from services.system.billing.connectors.chargebee._wire import ChargebeeKey, form_pairs
from services.system.billing.settings import BillingSettings

__all__ = ["ChargebeeConnector", "create_chargebee_connector", "form_pairs", "verify_basic"]


def create_chargebee_connector(settings: BillingSettings,
                               tracer_provider: TracerProvider | None = None) -> ChargebeeConnector:
    """A Chargebee connector on a resilient client built from ``settings`` (call it in a lifespan).

    ``vendor_url`` is the site's origin (``https://acme-test.chargebee.com``, or the sandbox); the connector
    adds ``/api/v2``. ``webhook_secret`` holds the webhook's ``username:password`` Basic credentials.
    """
    if not settings.chargebee_api_key:
        raise ValueError("REVFLOW_BILLING_CHARGEBEE_API_KEY is required when REVFLOW_BILLING_VENDOR=chargebee")
    config = UpstreamConfig(
        name="chargebee", base_url=settings.vendor_url,
        timeouts=Timeouts(default=settings.vendor_timeout_seconds),
        retry=RetryPolicy(max_attempts=settings.vendor_max_attempts),
        breaker=BreakerPolicy(reset_timeout=settings.circuit_reset_seconds))
    http = UpstreamClient(config, auth=ChargebeeKey(settings.chargebee_api_key), tracer_provider=tracer_provider)
    credentials = tuple(s.strip() for s in (settings.webhook_secret or "").split(",") if s.strip())
    return ChargebeeConnector(http, page_size=settings.vendor_page_size, webhook_credentials=credentials)

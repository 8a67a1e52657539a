"""The NetSuite connector: the ERP port over SuiteTalk REST and SuiteQL, signed with OAuth 1.0a TBA.

Owns every NetSuite payload shape; nothing NetSuite-shaped leaves this package. It never reads settings
itself: ``create_netsuite_connector`` gets them from the app's lifespan.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from services.runtime.http import BreakerPolicy, RetryPolicy, Timeouts, UpstreamClient, UpstreamConfig
from services.system.erp.connectors.netsuite._auth import TokenCredentials, TokenSigner
from services.system.erp.connectors.netsuite._connector import NetSuiteConnector
from services.system.erp.connectors.netsuite._wire import NetSuiteApi, refusal
from services.system.erp.settings import ErpSettings

__all__ = ["NetSuiteApi", "NetSuiteConnector", "TokenCredentials", "TokenSigner", "create_netsuite_connector",
           "refusal"]

_REQUIRED = ("netsuite_account_id", "netsuite_consumer_key", "netsuite_consumer_secret", "netsuite_token_id",
             "netsuite_token_secret")


def create_netsuite_connector(settings: ErpSettings,
                              tracer_provider: TracerProvider | None = None) -> NetSuiteConnector:
    """A NetSuite connector on a resilient client built from ``settings`` (call it in a lifespan)."""
    missing = [f"REVFLOW_ERP_{name.upper()}" for name in _REQUIRED if not getattr(settings, name)]
    if missing:
        raise ValueError(f"{', '.join(missing)} required when REVFLOW_ERP_VENDOR=netsuite")
    credentials = TokenCredentials(
        account_id=str(settings.netsuite_account_id), consumer_key=str(settings.netsuite_consumer_key),
        consumer_secret=str(settings.netsuite_consumer_secret), token_id=str(settings.netsuite_token_id),
        token_secret=str(settings.netsuite_token_secret))
    config = UpstreamConfig(
        name="netsuite", base_url=settings.vendor_url,
        timeouts=Timeouts(default=settings.vendor_timeout_seconds),
        max_concurrency=settings.vendor_max_concurrency, concurrency_wait=30.0,
        retry=RetryPolicy(max_attempts=settings.vendor_max_attempts),
        breaker=BreakerPolicy(reset_timeout=settings.circuit_reset_seconds))
    http = UpstreamClient(config, auth=TokenSigner(credentials), tracer_provider=tracer_provider)
    return NetSuiteConnector(http, currencies=settings.netsuite_currencies, page_size=settings.vendor_page_size)

"""The HubSpot connector: the CRM port over HubSpot CRM v3 and associations v4.

Owns every HubSpot payload shape; nothing HubSpot-shaped leaves this package. It never reads settings
itself: ``create_hubspot_connector`` gets them from the app's lifespan.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from contracts.catalog import BillingFrequency
from services.system.crm.connectors._shared import upstream
from services.system.crm.connectors.hubspot._connector import FINANCE_PROPERTIES, HubSpotConnector
from services.system.crm.connectors.hubspot._signature import signature_v3
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.settings import CrmSettings

__all__ = ["FINANCE_PROPERTIES", "HubSpotConnector", "create_hubspot_connector", "signature_v3"]


def create_hubspot_connector(settings: CrmSettings, tracer_provider: TracerProvider | None = None) -> HubSpotConnector:
    """A HubSpot connector on a resilient client built from ``settings`` (call it in a lifespan)."""
    if not settings.hubspot_access_token:
        raise ValueError("REVFLOW_CRM_HUBSPOT_ACCESS_TOKEN is required when REVFLOW_CRM_VENDOR=hubspot")
    http = upstream("hubspot", settings, settings.hubspot_access_token, tracer_provider)
    defaults = (settings.default_currency, settings.default_term_months,
                BillingFrequency(settings.default_billing_frequency))
    return HubSpotConnector(HubSpotApi(http, settings.vendor_page_size), defaults, settings.hubspot_app_secret,
                            settings.webhook_tolerance_seconds)

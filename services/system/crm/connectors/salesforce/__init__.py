"""The Salesforce connector: the CRM port over Salesforce's REST API v62.0 (SOQL, external-id upserts, describe).

Owns every Salesforce payload shape; nothing Salesforce-shaped leaves this package. It never reads settings
itself: ``create_salesforce_connector`` gets them from the app's lifespan.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from services.system.crm.connectors._shared import upstream
from services.system.crm.connectors.salesforce._connector import FINANCE_COLUMNS, SalesforceConnector
from services.system.crm.connectors.salesforce._mapping import LineDefaults
from services.system.crm.connectors.salesforce._outbound import parse_notifications
from services.system.crm.connectors.salesforce._wire import SalesforceApi
from services.system.crm.settings import CrmSettings

__all__ = ["FINANCE_COLUMNS", "SalesforceConnector", "create_salesforce_connector", "parse_notifications"]


def create_salesforce_connector(settings: CrmSettings,
                                tracer_provider: TracerProvider | None = None) -> SalesforceConnector:
    """A Salesforce connector on a resilient client built from ``settings`` (call it in a lifespan)."""
    if not settings.salesforce_access_token:
        raise ValueError("REVFLOW_CRM_SALESFORCE_ACCESS_TOKEN is required when REVFLOW_CRM_VENDOR=salesforce")
    http = upstream("salesforce", settings, settings.salesforce_access_token, tracer_provider)
    defaults = LineDefaults(settings.default_currency, settings.default_term_months,
                            settings.default_billing_frequency)
    return SalesforceConnector(SalesforceApi(http, settings.vendor_page_size), defaults,
                               settings.salesforce_organization_id)

"""Settings of the CRM system API (prefix ``REVFLOW_CRM_``); nothing is read at import time."""

from __future__ import annotations

from typing import Literal

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["CrmSettings", "load_settings"]


class CrmSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the CRM vendor, its credentials and the closed-deal poller."""

    secret_fields = frozenset({"salesforce_access_token", "hubspot_access_token", "hubspot_app_secret"})

    service_name: str = "crm"
    vendor: Literal["salesforce", "hubspot"] = "salesforce"
    """Which CRM this deployment talks to."""
    vendor_url: str = "http://127.0.0.1:8201"
    """Base URL of the CRM API (Salesforce: the instance URL; HubSpot: ``https://api.hubapi.com``)."""
    salesforce_access_token: str | None = None
    """Salesforce session id / OAuth access token (sent as ``Authorization: Bearer``)."""
    salesforce_organization_id: str | None = None
    """The org id (``00D...``) an Outbound Message must carry; without it, outbound messages are refused."""
    hubspot_access_token: str | None = None
    """HubSpot private-app token (``pat-...``)."""
    hubspot_app_secret: str | None = None
    """HubSpot app client secret, the key of ``X-HubSpot-Signature-v3``; without it, webhooks are refused."""
    webhook_tolerance_seconds: int = 300
    """Largest accepted age of a signed webhook (HubSpot: five minutes)."""
    default_currency: str = "USD"
    """Currency of records whose CRM holds none (a single-currency Salesforce org, HubSpot companies)."""
    default_term_months: int = 12
    """Service term of a deal line whose CRM record carries no end date (Salesforce ``Service_End_Date__c``; HubSpot
    ``hs_recurring_billing_end_date`` or ``hs_recurring_billing_period``), or whose org has no such field."""
    default_billing_frequency: str = "annual"
    """Billing frequency of a deal line whose CRM record carries none (Salesforce ``Billing_Frequency__c``; HubSpot
    ``recurringbillingfrequency``), or whose org has no such field."""
    poll_interval_seconds: float = 0.0
    """Interval of the background poller of closed (won and lost) deals; 0 turns it off (the sync routes still work)."""
    poll_overlap_seconds: float = 5.0
    """How far before the watermark each pull starts again, for records committed with an earlier timestamp."""
    vendor_timeout_seconds: float = 5.0
    """Per-attempt timeout of vendor calls."""
    vendor_max_attempts: int = 3
    """Attempts per vendor call when repeating is safe (reads, upserts by external id)."""
    vendor_page_size: int = 100
    """Page size used when paging vendor lists (every page is always read)."""
    circuit_reset_seconds: float = 10.0
    """How long an open circuit to the vendor stays open before probing again."""


def load_settings() -> CrmSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(CrmSettings, "REVFLOW_CRM_")

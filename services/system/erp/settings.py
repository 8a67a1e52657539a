"""Settings of the ERP system API (prefix ``REVFLOW_ERP_``); nothing is read at import time."""

from __future__ import annotations

from typing import Literal

import msgspec

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["ErpSettings", "load_settings"]


class ErpSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the ERP vendor and its token-based-authentication credentials."""

    secret_fields = frozenset({"netsuite_consumer_key", "netsuite_consumer_secret", "netsuite_token_id",
                               "netsuite_token_secret"})

    service_name: str = "erp"
    vendor: Literal["netsuite"] = "netsuite"
    """Which ERP this deployment talks to."""
    vendor_url: str = "http://127.0.0.1:8204"
    """Base URL of the vendor (the sandbox in development; ``https://<account>.suitetalk.api.netsuite.com``)."""
    netsuite_account_id: str | None = None
    """The NetSuite account id as the OAuth realm spells it (``1234567_SB1``)."""
    netsuite_consumer_key: str | None = None
    """Consumer key of the integration record."""
    netsuite_consumer_secret: str | None = None
    """Consumer secret of the integration record."""
    netsuite_token_id: str | None = None
    """Id of the access token (token-based authentication)."""
    netsuite_token_secret: str | None = None
    """Secret of the access token."""
    netsuite_currencies: dict[str, str] = msgspec.field(
        default_factory=lambda: {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"})
    """ISO 4217 code -> internal id of the account's currency records (NetSuite references currencies by id). The
    default is NetSuite's four standard records; any other currency has an id of its account's own, so it is set
    here (the local topology adds the NetSuite sandbox's JPY 5 and AUD 6)."""
    vendor_timeout_seconds: float = 5.0
    """Per-attempt timeout of vendor calls."""
    vendor_max_attempts: int = 4
    """Attempts per vendor call when repeating is safe (reads, upserts by external id)."""
    vendor_max_concurrency: int = 5
    """Requests in flight to the account at once (NetSuite governs concurrency per account)."""
    vendor_page_size: int = 1000
    """SuiteQL page size (every page is always read, up to the caller's limit)."""
    circuit_reset_seconds: float = 10.0
    """How long an open circuit to the vendor stays open before probing again."""


def load_settings() -> ErpSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(ErpSettings, "REVFLOW_ERP_")

"""Settings of the CRM panel (prefix ``REVFLOW_CRM_PANEL_``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["CrmPanelSettings", "load_settings"]

Origin = Annotated[str, msgspec.Meta(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$",
                                     description="An exact browser origin: scheme://host[:port], no wildcard")]


class CrmPanelSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus where the process API is, the HubSpot app secret, CORS and caching."""

    secret_fields = frozenset({"hubspot_app_secret"})

    service_name: str = "crm_panel"
    process_url: str = "http://127.0.0.1:8110"
    """Base URL of the quote-to-cash process API, the only service the panel reads."""
    upstream_timeout_seconds: float = 5.0
    """Per-attempt timeout of a process API call."""
    hubspot_app_secret: str | None = None
    """The HubSpot app's client secret, which signs card data-fetch requests (``X-HubSpot-Signature-v3``).
    Without it every HubSpot request is refused."""
    hubspot_max_age_seconds: int = 300
    """How old (or how far ahead) ``X-HubSpot-Request-Timestamp`` may be; HubSpot documents five minutes."""
    public_url: str | None = None
    """The panel's base URL as HubSpot calls it (``https://crm-panel.example.com``): the signature covers the
    full URL, which a proxy or load balancer in front of the panel changes. Without it the request's own
    scheme and ``Host`` are used."""
    cors_origins: tuple[Origin, ...] = ()
    """Browser origins allowed to call the panel: the org's Lightning and Visualforce domains
    (``https://acme.lightning.force.com``). Exact origins only: a wildcard such as ``*.lightning.force.com``
    would admit every Salesforce customer's org."""
    cache_ttl_seconds: Annotated[int, msgspec.Meta(ge=1)] = 30
    """How long a deal's panel is served from Redis. Workflow events invalidate it at once; the TTL only
    bounds staleness for changes no event announces (an invoice paid before its sync workflow finishes)."""
    deal_url_template: str | None = None
    """Where a person sees the whole deal, ``{opportunity_id}`` standing for the deal: the ops console's deal
    page. It becomes the HubSpot card's title link and primary action, and the Salesforce shape's ``url``."""


def load_settings() -> CrmPanelSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(CrmPanelSettings, "REVFLOW_CRM_PANEL_")

"""Billing vendor connectors, one module per vendor, chosen by ``settings.vendor`` in the app's lifespan.

Each factory takes the billing settings (and the tracer provider) and returns a ``ports.BillingConnector``.
Connectors own vendor payload shapes; nothing here may be imported outside the billing service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.system.billing.connectors.chargebee import create_chargebee_connector
from services.system.billing.connectors.stripe import create_stripe_connector
from services.system.billing.ports import BillingConnector
from services.system.billing.settings import BillingSettings

__all__ = ["CONNECTORS", "ConnectorFactory", "create_connector"]

ConnectorFactory = Callable[[BillingSettings, Any], BillingConnector]

CONNECTORS: dict[str, ConnectorFactory] = {
    "stripe": create_stripe_connector,
    "chargebee": create_chargebee_connector,
}


def create_connector(settings: BillingSettings, tracer_provider: Any = None) -> BillingConnector:
    """The connector of the configured vendor."""
    try:
        factory = CONNECTORS[settings.vendor]
    except KeyError:
        raise ValueError(f"no billing connector for vendor {settings.vendor!r}; known: {sorted(CONNECTORS)}") from None
    return factory(settings, tracer_provider)

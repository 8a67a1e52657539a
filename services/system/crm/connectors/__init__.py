"""CRM vendor connectors, one package per vendor, chosen by ``settings.vendor`` in the app's lifespan.

Each factory takes the CRM settings (and the tracer provider) and returns a ``ports.CrmConnector``.
Connectors own vendor payload shapes; nothing here may be imported outside the CRM service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.system.crm.connectors.hubspot import create_hubspot_connector
from services.system.crm.connectors.salesforce import create_salesforce_connector
from services.system.crm.ports import CrmConnector
from services.system.crm.settings import CrmSettings

__all__ = ["CONNECTORS", "ConnectorFactory", "create_connector"]

ConnectorFactory = Callable[[CrmSettings, Any], CrmConnector]

CONNECTORS: dict[str, ConnectorFactory] = {
    "salesforce": create_salesforce_connector,
    "hubspot": create_hubspot_connector,
}


def create_connector(settings: CrmSettings, tracer_provider: Any = None) -> CrmConnector:
    """The connector of the configured vendor."""
    try:
        factory = CONNECTORS[settings.vendor]
    except KeyError:
        raise ValueError(f"no CRM connector for vendor {settings.vendor!r}; known: {sorted(CONNECTORS)}") from None
    return factory(settings, tracer_provider)

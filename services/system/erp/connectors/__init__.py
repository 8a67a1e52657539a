"""ERP vendor connectors, one package per vendor, chosen by ``settings.vendor`` in the app's lifespan.

Each factory takes the ERP settings (and the tracer provider) and returns a ``ports.ErpConnector``.
Connectors own vendor payload shapes; nothing here may be imported outside the ERP service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.system.erp.connectors.netsuite import create_netsuite_connector
from services.system.erp.ports import ErpConnector
from services.system.erp.settings import ErpSettings

__all__ = ["CONNECTORS", "ConnectorFactory", "create_connector"]

ConnectorFactory = Callable[[ErpSettings, Any], ErpConnector]

CONNECTORS: dict[str, ConnectorFactory] = {"netsuite": create_netsuite_connector}


def create_connector(settings: ErpSettings, tracer_provider: Any = None) -> ErpConnector:
    """The connector of the configured vendor."""
    try:
        factory = CONNECTORS[settings.vendor]
    except KeyError:
        raise ValueError(f"no ERP connector for vendor {settings.vendor!r}; known: {sorted(CONNECTORS)}") from None
    return factory(settings, tracer_provider)

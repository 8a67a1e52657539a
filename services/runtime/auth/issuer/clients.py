"""The issuer's client registry, and the documented dev clients used when none is configured.

Scopes follow one vocabulary, ``<service>:read`` and ``<service>:write``; a token's audience is the
service's name. Dev clients (never for production; their secrets are public):

===========================  ====================================  ==========================================
client id                    secret                                may call
===========================  ====================================  ==========================================
``revflow-dev``              ``revflow-dev-secret``                every service, every scope
``revflow-quote_to_cash``    ``revflow-quote_to_cash-dev-secret``  crm, erp, billing, revrec (read, write)
``revflow-ops_console``      ``revflow-ops_console-dev-secret``    quote_to_cash (read, write)
``revflow-crm_panel``        ``revflow-crm_panel-dev-secret``      quote_to_cash (read, write)
``revflow-partner``          ``revflow-partner-dev-secret``        quote_to_cash (read, write)
``partner-acme``             ``partner-acme-dev-secret``           partner (read, write), tenant ``acme``
``revflow-example``          ``revflow-example-dev-secret``        example (read): one example instance to its peer
===========================  ====================================  ==========================================

System APIs call vendors, not other services, so they have no client.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings

__all__ = ["DEV_AUDIENCES", "DEV_CLIENTS", "DEV_SCOPES", "dev_secret", "load_clients"]

DEV_AUDIENCES: tuple[str, ...] = (
    "crm", "erp", "billing", "revrec", "quote_to_cash", "ops_console", "crm_panel", "partner", "example",
)
"""Service names, i.e. the audiences of the dev topology."""


def _scopes(*services: str) -> tuple[str, ...]:
    return tuple(f"{service}:{access}" for service in services for access in ("read", "write"))


DEV_SCOPES: tuple[str, ...] = _scopes(*DEV_AUDIENCES)
"""Every scope of the dev topology."""


def _service_client(name: str, *callees: str) -> ClientConfig:
    return ClientConfig(client_id=f"revflow-{name}", client_secret=f"revflow-{name}-dev-secret",
                        scopes=_scopes(*callees), audiences=callees)


DEV_CLIENTS: tuple[ClientConfig, ...] = (
    ClientConfig(client_id="revflow-dev", client_secret="revflow-dev-secret", scopes=DEV_SCOPES,
                 audiences=DEV_AUDIENCES),
    _service_client("quote_to_cash", "crm", "erp", "billing", "revrec"),
    _service_client("ops_console", "quote_to_cash"),
    _service_client("crm_panel", "quote_to_cash"),
    _service_client("partner", "quote_to_cash"),
    _service_client("example", "example"),
    ClientConfig(client_id="partner-acme", client_secret="partner-acme-dev-secret", scopes=_scopes("partner"),
                 audiences=("partner",), tenant="acme"),
)
"""The clients served when no client is configured."""


def dev_secret(client_id: str) -> str | None:
    """The documented secret of a dev client, or ``None`` when ``client_id`` is not one."""
    return next((c.client_secret for c in DEV_CLIENTS if c.client_id == client_id), None)


def load_clients(settings: IssuerSettings) -> dict[str, ClientConfig]:
    """The configured clients by id: ``clients``, else ``clients_file``, else the dev clients.

    Raises:
        ValueError: the clients file is not a JSON list of clients, or two clients share an id.
    """
    clients: tuple[ClientConfig, ...] = DEV_CLIENTS
    if settings.clients is not None:
        clients = settings.clients
    elif settings.clients_file is not None:
        raw = Path(settings.clients_file).read_bytes()
        try:
            clients = msgspec.json.decode(raw, type=tuple[ClientConfig, ...])
        except msgspec.DecodeError as exc:
            raise ValueError(f"{settings.clients_file}: {exc}") from None
    by_id = {client.client_id: client for client in clients}
    if len(by_id) != len(clients):
        raise ValueError("client ids must be unique")
    return by_id

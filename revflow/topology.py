"""The one list of what revflow runs: every service and sandbox, its app factory and its fixed local port.

The CLI (``serve``, ``contracts export``), the launcher and the end-to-end fixtures all read this list, so a
new service is added here once. ``REVFLOW_PORT_OFFSET`` (default 0) moves every local port by that much, so a
second topology (a test's, next to a developer's ``revflow up``) can run on the same machine.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, replace
from typing import Any, Literal

__all__ = ["TOPOLOGY", "Component", "component", "sandboxes", "services"]


@dataclass(frozen=True, kw_only=True)
class Component:
    """One independently deployable process."""

    name: str
    kind: Literal["issuer", "system", "process", "experience", "sandbox", "example", "worker"]
    factory: str
    """``module:function`` returning the ASGI app; the function takes optional settings (empty for workers)."""
    port: int
    """Fixed local port; 0 for a component that serves no HTTP (a worker)."""
    description: str
    command: tuple[str, ...] | None = None
    """``revflow`` arguments that run the component, when not ``serve <name>``."""

    def create_app(self, *args: Any, **kwargs: Any) -> Any:
        """Import the factory and build the app (settings from the environment unless given)."""
        module, _, function = self.factory.partition(":")
        return getattr(importlib.import_module(module), function)(*args, **kwargs)

    @property
    def has_openapi_contract(self) -> bool:
        """Services publish a versioned OpenAPI contract; sandboxes speak their vendor's API instead."""
        return self.kind not in ("sandbox", "issuer", "worker")


PORT_OFFSET = int(os.environ.get("REVFLOW_PORT_OFFSET") or 0)
"""How far every local port is moved from its fixed value."""


_FIXED: tuple[Component, ...] = (
    Component(name="issuer", kind="issuer", factory="services.runtime.auth.issuer.app:create_app", port=8100,
              description="Built-in OAuth2 client-credentials issuer and JWKS"),
    Component(name="example", kind="example", factory="services.example.app:create_app", port=8190,
              description="Example service showing every runtime concern"),
    Component(name="crm", kind="system", factory="services.system.crm.app:create_app", port=8101,
              description="CRM system API over Salesforce or HubSpot (push + pull closed-won detection)"),
    Component(name="erp", kind="system", factory="services.system.erp.app:create_app", port=8102,
              description="ERP system API over NetSuite (SuiteTalk REST + SuiteQL, OAuth 1.0a TBA)"),
    Component(name="billing", kind="system", factory="services.system.billing.app:create_app", port=8103,
              description="Billing system API over Stripe (Chargebee connector to come)"),
    Component(name="revrec", kind="system", factory="services.system.revrec.app:create_app", port=8104,
              description="Revenue recognition system API (ASC 606 / IFRS 15) on the built-in engine"),
    Component(name="quote_to_cash", kind="process", factory="services.process.quote_to_cash.app:create_app",
              port=8110, description="Quote-to-cash process API: durable workflows from closed-won deal to cash and "
              "revenue (workers run as `revflow worker quote_to_cash`)"),
    Component(name="quote_to_cash_worker", kind="worker", factory="", port=0, command=("worker", "quote_to_cash"),
              description="Quote-to-cash workers: advance workflows, start them from CRM and billing events"),
    Component(name="partner", kind="experience", factory="services.experience.partner.app:create_app", port=8120,
              description="Partner API: orders, usage, customers, subscriptions, invoices, credit notes, signed "
              "webhooks; tenant-scoped client credentials, rate limits, /v1 (deprecated) and /v2, docs at /docs"),
    Component(name="ops_console", kind="experience", factory="services.experience.ops_console.app:create_app",
              port=8121, description="Finance-ops console: pipeline, deal timelines, exceptions, revenue, close "
              "(pages at /, sign in as finance / finance-dev-pass in development)"),
    Component(name="crm_panel", kind="experience", factory="services.experience.crm_panel.app:create_app",
              port=8122, description="CRM panel: a deal's finance status for Salesforce Lightning components "
              "(bearer token) and HubSpot CRM cards (signed requests)"),
    Component(name="stripe", kind="sandbox", factory="sandboxes.stripe.app:create_app", port=8201,
              description="Stripe API v1 sandbox (official stripe SDK works against it)"),
    Component(name="hubspot", kind="sandbox", factory="sandboxes.hubspot.app:create_app", port=8202,
              description="HubSpot CRM v3 sandbox (official hubspot-api-client works against it)"),
    Component(name="salesforce", kind="sandbox", factory="sandboxes.salesforce.app:create_app", port=8203,
              description="Salesforce REST v62.0 sandbox (plain HTTP here; HTTPS for simple-salesforce via "
              "python -m sandboxes.salesforce.tls)"),
    Component(name="netsuite", kind="sandbox", factory="sandboxes.netsuite.app:create_app", port=8204,
              description="NetSuite SuiteTalk REST + SuiteQL sandbox (OAuth 1.0a TBA verified)"),
    Component(name="chargebee", kind="sandbox", factory="sandboxes.chargebee.app:create_app", port=8205,
              description="Chargebee API v2 sandbox (official chargebee SDK works against it)"),
)

TOPOLOGY: tuple[Component, ...] = tuple(replace(c, port=c.port + PORT_OFFSET) if c.port else c for c in _FIXED)


def component(name: str) -> Component:
    """Find a component by name, with a message listing the valid names."""
    for item in TOPOLOGY:
        if item.name == name:
            return item
    raise KeyError(f"unknown component {name!r}; known: {', '.join(c.name for c in TOPOLOGY)}")


def sandboxes() -> list[Component]:
    """The vendor emulators."""
    return [c for c in TOPOLOGY if c.kind == "sandbox"]


def services() -> list[Component]:
    """Components that publish an OpenAPI contract."""
    return [c for c in TOPOLOGY if c.has_openapi_contract]

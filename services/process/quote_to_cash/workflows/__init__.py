"""Every workflow of quote-to-cash, one module each; ``DEFINITIONS`` is the registry the runner uses."""

from __future__ import annotations

from services.process.quote_to_cash.saga import WorkflowDefinition
from services.process.quote_to_cash.workflows.activation import ACTIVATION
from services.process.quote_to_cash.workflows.invoice_sync import INVOICE_SYNC

__all__ = ["DEFINITIONS"]

DEFINITIONS: dict[str, WorkflowDefinition] = {d.kind: d for d in (ACTIVATION, INVOICE_SYNC)}

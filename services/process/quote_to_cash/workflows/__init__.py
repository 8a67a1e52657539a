"""Every workflow of quote-to-cash, one module each; ``DEFINITIONS`` is the registry the runner uses."""

from __future__ import annotations

from services.process.quote_to_cash.saga import WorkflowDefinition
from services.process.quote_to_cash.workflows.activation import ACTIVATION
from services.process.quote_to_cash.workflows.amendment import AMENDMENT
from services.process.quote_to_cash.workflows.cancellation import CANCELLATION
from services.process.quote_to_cash.workflows.credit_refund import CREDIT_REFUND
from services.process.quote_to_cash.workflows.invoice_sync import INVOICE_SYNC
from services.process.quote_to_cash.workflows.order_intake import ORDER_INTAKE
from services.process.quote_to_cash.workflows.period_close import PERIOD_CLOSE
from services.process.quote_to_cash.workflows.reconciliation import RECONCILIATION
from services.process.quote_to_cash.workflows.renewal import RENEWAL, RENEWAL_TERM
from services.process.quote_to_cash.workflows.slo_breach import SLO_BREACH
from services.process.quote_to_cash.workflows.usage import USAGE

__all__ = ["DEFINITIONS"]

DEFINITIONS: dict[str, WorkflowDefinition] = {d.kind: d for d in (ACTIVATION, INVOICE_SYNC, ORDER_INTAKE)}
DEFINITIONS.update({d.kind: d for d in (CREDIT_REFUND, USAGE, PERIOD_CLOSE)})
DEFINITIONS[RECONCILIATION.kind] = RECONCILIATION
DEFINITIONS.update({d.kind: d for d in (AMENDMENT, RENEWAL, RENEWAL_TERM, CANCELLATION)})
DEFINITIONS[SLO_BREACH.kind] = SLO_BREACH

"""Reconciliation: do the books agree? Bookings, billings, ERP invoices, revenue and the GL, per contract and in total.

For every activated deal (or the ones named), as of the end of an accounting period (``YYYY-MM``, this month
by default), each system of record is read through its system API and compared with the next:

- **bookings** (CRM) vs the **revenue contract** (revrec): the fixed amount the opportunity books
  (``deal_terms.booked_amount``; usage is variable consideration and books nothing) against the contract's
  transaction price. A difference is explained when revrec recorded a modification (an amendment,
  cancellation or credit changed the price after the booking).
- **billings** (billing): the finalized invoices of the deal's subscription issued by the end of ``as_of``;
  the part on the deal's fixed products (not usage, not one-off charges on no product of the deal) net of
  credit notes, against the contract price. What is left to bill is *explained timing* while the
  subscription is live and it is whole future billing periods (or, before the first invoice, everything; or,
  once the subscription changed, a proration on the next invoice). Billing more than the price, a
  subscription that stopped before billing it all, or a remainder that no future period will bill, is not.
- **invoices posted** (ERP): each billed invoice's ERP invoice (``DealLinks.erp_invoice_of``) exists, names
  the billing invoice and has the same total; a voided billing invoice stays posted nowhere.
- **recognised + deferred** (revrec): each billed invoice is linked to the revenue contract for its total (a
  link that landed in a later period because the invoice's own period was closed is explained timing); no
  link exists without a billing invoice; credit-note links equal the ERP's credit memos; and billed - credited
  - recognised to date equals the contract liability (deferred revenue) less the contract asset.
- **GL** (ERP), for the whole book when no deals are named: in every period revrec closed (and in ``as_of``
  once period close posted it), the ERP's journals net to what revrec's journal entries say, per account.

The billing API lists no credit notes, so credits come from the revenue contract's credit-note links (each
made by the credit workflow from a billing credit note) and are checked against the ERP's credit memos.
Every difference names the two systems compared, its likely cause, its owner and the fix; ``unexplained``
counts those that are not expected timing, and period close requires it to be zero. ``DealLinks`` only says
which ids belong together; every amount is read from the systems.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from services.process.quote_to_cash.reconciliation._contract import contract, totals
from services.process.quote_to_cash.reconciliation._facts import credit_memos, deal_billing, gather
from services.process.quote_to_cash.reconciliation._ledger import gl_entries, ledger
from services.process.quote_to_cash.reconciliation._report import (
    PERIOD,
    ContractReconciliation,
    Difference,
    Figures,
    LedgerCheck,
    ReconciliationReport,
    invoice_period,
    periods_between,
)

__all__ = ["ContractReconciliation", "Difference", "Figures", "LedgerCheck", "ReconciliationReport", "deal_billing",
           "gl_entries", "invoice_period", "periods_between", "reconcile"]

_PARALLEL = 8
"""Deals read at once (each makes a handful of calls in turn)."""


async def reconcile(systems: Any, links: Any = None, deals: list[str] | None = None,
                    as_of: str | None = None) -> ReconciliationReport:
    """Reconcile the deals (every activated one when ``None``) as of the end of ``as_of`` (this month by default).

    Args:
        systems: ``Systems``: the crm, billing, erp and revrec clients.
        links: ``DealLinks``: which ids each deal has in each system (``systems.links`` when not given).
        deals: Opportunity ids; ``None`` for every activated deal and the GL of the whole book.
        as_of: Accounting period ``YYYY-MM``.

    Raises:
        ValueError: ``as_of`` is not an accounting period.
        StepFailed: a system could not be read (retryable unless it said otherwise).
    """
    links = links if links is not None else systems.links
    as_of = as_of or datetime.now(UTC).strftime("%Y-%m")
    if not PERIOD.match(as_of):
        raise ValueError(f"as_of: {as_of!r} is not an accounting period YYYY-MM")
    wanted = sorted(set(deals)) if deals is not None else await links.deals()
    gate = asyncio.Semaphore(_PARALLEL)

    async def one(deal: str) -> Any:
        async with gate:
            return await gather(systems, links, deal, as_of)

    facts = list(await asyncio.gather(*(one(deal) for deal in wanted)))
    await credit_memos(systems, facts)
    contracts = [contract(f) for f in facts]
    periods = [p for f in facts for p in f.periods()]
    checks, in_gl = await ledger(systems, min(periods), as_of) if deals is None and periods else ([], [])
    differences = [d for c in contracts for d in c.differences] + in_gl
    explained = sum(1 for d in differences if d.explained)
    return ReconciliationReport(as_of=as_of, generated_at=datetime.now(UTC), deals=len(contracts), contracts=contracts,
                                totals=totals(contracts), ledger=checks, differences=differences,
                                explained=explained, unexplained=len(differences) - explained,
                                clean=len(differences) == explained)

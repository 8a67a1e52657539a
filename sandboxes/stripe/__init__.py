"""Stripe sandbox: a stateful, wire-faithful emulator of the slice of Stripe API v1 quote-to-cash uses.

Customers (with search), products, prices (licensed, metered, tiered), subscriptions with second-exact
prorations and one-off ``add_invoice_items`` on their first invoice, invoice items, invoices, credit notes,
charges and refunds, billing meters and meter events, test clocks that bill renewals, webhook endpoints and
signed events. Idempotency, pagination, ``expand[]``, bracket-key forms and error bodies follow Stripe, so the
official ``stripe`` SDK works with only its base addresses changed. Response shapes follow Stripe's OpenAPI
spec for API version 2024-04-10.

Never imported by ``services``; imports neither ``services`` nor ``contracts``. Build it with
:func:`create_app`.
"""

from .app import create_app

__all__ = ["create_app"]

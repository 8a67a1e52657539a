"""Stripe API routes, one module per resource; :data:`ROUTES` collects them for the app."""

from . import (
    credit_notes,
    customers,
    invoiceitems,
    invoices,
    meters,
    prices,
    products,
    refunds,
    subscriptions,
    test_clocks,
    webhooks,
)

ROUTES = [
    *customers.ROUTES, *products.ROUTES, *prices.ROUTES, *subscriptions.ROUTES, *invoiceitems.ROUTES,
    *invoices.ROUTES, *credit_notes.ROUTES, *refunds.ROUTES, *meters.ROUTES, *test_clocks.ROUTES,
    *webhooks.ROUTES,
]

__all__ = ["ROUTES"]

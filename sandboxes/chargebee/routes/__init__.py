"""Chargebee API v2 routes, one module per resource family; :data:`ROUTES` collects them for the app."""

from . import catalog, customers, money, subscriptions, usages

ROUTES = [*customers.ROUTES, *catalog.ROUTES, *subscriptions.ROUTES, *money.ROUTES, *usages.ROUTES]

__all__ = ["ROUTES"]

"""NetSuite REST routes: the record service and SuiteQL; :data:`ROUTES` collects them for the app."""

from . import query, records

ROUTES = [*records.ROUTES, *query.ROUTES]

__all__ = ["ROUTES"]

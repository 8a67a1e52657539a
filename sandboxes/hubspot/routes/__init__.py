"""HubSpot API routes, one module per API area; :data:`ROUTES` collects them for the app."""

from . import associations, batch, objects, pipelines, search

ROUTES = [*search.ROUTES, *batch.ROUTES, *objects.ROUTES, *associations.ROUTES, *pipelines.ROUTES]

__all__ = ["ROUTES"]

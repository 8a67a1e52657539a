"""Connectors of the revrec API: one module per rev-rec platform behind ``ports.RevrecConnector``.

``CONNECTORS`` maps the ``connector`` setting to a factory ``(redis, keyspace, book calendar, *, gl_accounts) ->
RevrecConnector`` (``gl_accounts``: role -> the company's GL account number, checked by ``chart_of_accounts``);
the app builds the chosen one in its lifespan, never at import time, and calls its ``prepare``. Platform payloads
and engine types never leave their connector module; the ``_``-prefixed modules are the built-in platform's
internals.
"""

from __future__ import annotations

from collections.abc import Callable

from services.system.revrec.connectors._book import chart_of_accounts
from services.system.revrec.connectors.builtin import BuiltinRevrecConnector
from services.system.revrec.ports import RevrecConnector

__all__ = ["CONNECTORS", "BuiltinRevrecConnector", "chart_of_accounts"]

CONNECTORS: dict[str, Callable[..., RevrecConnector]] = {
    "builtin": BuiltinRevrecConnector}

"""Connectors of the revrec API: one module per rev-rec platform behind ``ports.RevrecConnector``.

``CONNECTORS`` maps the ``connector`` setting to a factory ``(redis, keyspace, book calendar) -> RevrecConnector``;
the app builds the chosen one in its lifespan, never at import time, and calls its ``prepare``. Platform payloads
and engine types never leave their connector module; the ``_``-prefixed modules are the built-in platform's
internals.
"""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from services.runtime.redis import KeySpace
from services.system.revrec.connectors.builtin import BuiltinRevrecConnector
from services.system.revrec.ports import RevrecConnector
from services.system.revrec.schemas import BookCalendarV1

__all__ = ["CONNECTORS", "BuiltinRevrecConnector"]

CONNECTORS: dict[str, Callable[[Redis, KeySpace, BookCalendarV1], RevrecConnector]] = {
    "builtin": BuiltinRevrecConnector}

"""What the partner services share: the dependencies they are built from and small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from services.experience.partner.process import ProcessApi
from services.experience.partner.tenancy import TenantIndex
from services.runtime.audit import AuditLog
from services.runtime.problems import ServiceError

__all__ = ["Deps", "bounded_gather", "not_found"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Deps:
    """The partner API's ports: its tenant index, the process API, the audit log, a concurrency bound."""

    index: TenantIndex
    process: ProcessApi
    audit: AuditLog
    concurrency: int = 8


def not_found(what: str, ident: str) -> ServiceError:
    """The one answer to an id outside the caller's tenant, whether it exists elsewhere or nowhere."""
    return ServiceError(f"No {what} {ident}.", slug="not-found")


async def bounded_gather(items: Iterable[T], call: Callable[[T], Awaitable[R]], limit: int) -> list[R]:
    """``call`` on every item, at most ``limit`` at once, results in the items' order."""
    gate = asyncio.Semaphore(max(1, limit))

    async def one(item: T) -> R:
        async with gate:
            return await call(item)

    return list(await asyncio.gather(*(one(item) for item in items)))

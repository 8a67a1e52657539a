"""The panel of a deal: from the cache while it is valid, else from the process API (and cached)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from services.experience.crm_panel.cache import PanelCache
from services.experience.crm_panel.clients import ExceptionRecord, ProcessClient, WorkflowRow
from services.experience.crm_panel.panel import compose_panel, open_workflows
from services.experience.crm_panel.schemas import DealPanelV1

__all__ = ["PanelService"]


class PanelService:
    """Builds deal panels.

    Args:
        process: The process API.
        cache: The per-deal cache.
        deal_url_template: ``...{opportunity_id}...`` of the page showing the whole deal, or ``None``.
        clock: Wall clock (UTC instants), replaceable in tests.
    """

    def __init__(self, process: ProcessClient, cache: PanelCache, *, deal_url_template: str | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.process, self.cache, self.template, self.clock = process, cache, deal_url_template, clock

    def url_of(self, opportunity_id: str) -> str | None:
        """The deal's page, when a template is configured (the id percent-encoded: it cannot break the URL)."""
        if not self.template:
            return None
        return self.template.replace("{opportunity_id}", quote(opportunity_id, safe=""))

    async def panel(self, opportunity_id: str) -> DealPanelV1 | None:
        """The deal's panel, or ``None`` when revflow has not seen the deal (that answer is cached too)."""
        cached, stamp = await self.cache.get(opportunity_id)
        if cached is not None:
            return cached.panel
        view = await self.process.deal(opportunity_id)
        panel = None
        if view is not None:
            waiting = open_workflows(view)
            records = await asyncio.gather(*(self.process.exception_of(w.id) for w in waiting))
            exceptions: list[tuple[WorkflowRow, ExceptionRecord]] = [
                (row, record) for row, record in zip(waiting, records, strict=True) if record is not None]
            panel = compose_panel(view, exceptions, now=self.clock(), url=self.url_of(opportunity_id))
        await self.cache.put(opportunity_id, panel, stamp)
        return panel

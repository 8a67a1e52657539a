"""Where the partner API's handlers get their collaborators: built in the lifespan, handed out from state."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from services.experience.partner.service import PartnerService
from services.experience.partner.webhooks import WebhookService

__all__ = ["DEPENDENCIES", "provide_partner", "provide_webhooks"]


def provide_partner(request: Request[Any, Any, Any]) -> PartnerService:
    return request.app.state.partner  # type: ignore[no-any-return]


def provide_webhooks(request: Request[Any, Any, Any]) -> WebhookService:
    return request.app.state.webhook_service  # type: ignore[no-any-return]


DEPENDENCIES = {"partner": Provide(provide_partner, sync_to_thread=False),
                "webhooks": Provide(provide_webhooks, sync_to_thread=False)}

"""The sandbox kit: what every vendor emulator shares, and nothing vendor-specific.

Admin routes under ``/__sandbox/`` (:func:`admin_router`), the fault-injection middleware
(:class:`FaultMiddleware` + :class:`FaultInjector`), ids (:class:`IdFactory`), cursor pagination, bracket-key
forms, an idempotency record store, and webhook signing and delivery (:class:`WebhookDispatcher`). Vendor
apps supply their own bodies and headers (:class:`VendorFaults`), so the kit never names a vendor.
"""

from .admin import SandboxState, admin_router
from .faults import FaultConfig, FaultInjector, FaultMiddleware, FaultRule, VendorFaults, json_body
from .forms import FormError, parse_bracket_form, parse_bracket_pairs
from .idempotency import IdempotencyStore, Saved
from .ids import IdFactory
from .pagination import CursorNotFoundError, Page, cursor_page, offset_page
from .webhooks import Delivery, DeliveryFaults, WebhookDispatcher, hmac_sha256_hex

__all__ = [
    "CursorNotFoundError",
    "Delivery",
    "DeliveryFaults",
    "FaultConfig",
    "FaultInjector",
    "FaultMiddleware",
    "FaultRule",
    "FormError",
    "IdFactory",
    "IdempotencyStore",
    "Page",
    "SandboxState",
    "Saved",
    "VendorFaults",
    "WebhookDispatcher",
    "admin_router",
    "cursor_page",
    "hmac_sha256_hex",
    "json_body",
    "offset_page",
    "parse_bracket_form",
    "parse_bracket_pairs",
]

"""Routes of the billing system API (v1): thin controllers that parse, call the service, return contracts.

Split by resource into private modules; ``CONTROLLERS`` is what the app mounts under ``/v1``.
"""

from services.system.billing.api._documents import (
    CreditNoteController,
    InvoiceController,
    RefundController,
    UsageController,
)
from services.system.billing.api._resources import CatalogController, CustomerController
from services.system.billing.api._subscriptions import SubscriptionController

__all__ = [
    "CONTROLLERS",
    "CatalogController",
    "CreditNoteController",
    "CustomerController",
    "InvoiceController",
    "RefundController",
    "SubscriptionController",
    "UsageController",
]

CONTROLLERS = [CustomerController, CatalogController, SubscriptionController, InvoiceController,
               CreditNoteController, RefundController, UsageController]

"""Routes of the ERP system API (v1): thin controllers that parse, call the service, return contracts.

Split by resource into private modules; ``CONTROLLERS`` is what the app mounts under ``/v1``.
"""

from services.system.erp.api._ledger import JournalEntryController, QueryController
from services.system.erp.api._master import CustomerController, ItemController
from services.system.erp.api._transactions import (
    CreditMemoController,
    CustomerPaymentController,
    InvoiceController,
    SalesOrderController,
)

__all__ = [
    "CONTROLLERS",
    "CreditMemoController",
    "CustomerController",
    "CustomerPaymentController",
    "InvoiceController",
    "ItemController",
    "JournalEntryController",
    "QueryController",
    "SalesOrderController",
]

CONTROLLERS = [CustomerController, ItemController, SalesOrderController, InvoiceController, CreditMemoController,
               CustomerPaymentController, JournalEntryController, QueryController]

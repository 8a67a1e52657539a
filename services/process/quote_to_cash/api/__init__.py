"""Routes of the quote-to-cash process API (v1): thin controllers over ``Workflows``, one module per resource.

``CONTROLLERS`` is what the app mounts under ``/v1``.
"""

from services.process.quote_to_cash.api._deals import DealChangeController
from services.process.quote_to_cash.api._finance import CreditController, PeriodCloseController, UsageController
from services.process.quote_to_cash.api._governance import CatalogueController, SystemOfRecordController
from services.process.quote_to_cash.api._orders import OrderController
from services.process.quote_to_cash.api._pipeline import DealController
from services.process.quote_to_cash.api._reconciliation import MetricsController, ReconciliationController
from services.process.quote_to_cash.api._slo import KpiController, SloController
from services.process.quote_to_cash.api._workflows import DeadLetterController, ExceptionController, WorkflowController

__all__ = ["CONTROLLERS"]

CONTROLLERS = [WorkflowController, ExceptionController, DeadLetterController, DealController, OrderController]
CONTROLLERS += [CreditController, UsageController, PeriodCloseController]
CONTROLLERS += [ReconciliationController, MetricsController]
CONTROLLERS += [DealChangeController]
CONTROLLERS += [SystemOfRecordController, CatalogueController]
CONTROLLERS += [SloController, KpiController]

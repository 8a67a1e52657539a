"""Routes of the CRM system API (v1): thin controllers that parse, call the service, return contracts.

Split by resource into private modules; ``CONTROLLERS`` is what the app mounts under ``/v1``.
"""

from services.system.crm.api._accounts import AccountController
from services.system.crm.api._contacts import ContactController
from services.system.crm.api._contracts import ContractController
from services.system.crm.api._opportunities import OpportunityController, SyncController
from services.system.crm.api._products import ProductController

__all__ = ["CONTROLLERS", "AccountController", "ContactController", "ContractController", "OpportunityController",
           "ProductController", "SyncController"]

CONTROLLERS = [AccountController, ContactController, ContractController, OpportunityController, ProductController,
               SyncController]

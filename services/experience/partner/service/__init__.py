"""The partner API's domain services: orders, usage and the tenant's documents, behind one facade.

Every method takes the caller's tenant first and reads only through the tenant index, so no service can be
asked for another tenant's data. Services call the process API only.
"""

from services.experience.partner.service._common import Deps
from services.experience.partner.service._documents import Documents
from services.experience.partner.service._orders import Orders, order_view
from services.experience.partner.service._usage import Usage

__all__ = ["Deps", "Documents", "Orders", "PartnerService", "Usage", "order_view"]


class PartnerService:
    """Orders, usage and documents over one set of dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.orders = Orders(deps)
        self.usage = Usage(deps, self.orders)
        self.documents = Documents(deps, self.orders)

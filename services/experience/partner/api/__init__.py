"""Routes of the partner API: ``/v1`` (deprecated), ``/v2`` (one module per major) and ``/docs``.

Every versioned route is tenant-scoped (a partner token's ``tenant``), rate limited per client and plan, and
reads only through the tenant index. Controllers stay thin: parse, call a service, shape the answer.
"""

from services.experience.partner.api._common import docs_router, partner_router
from services.experience.partner.api._v1 import V1_CONTROLLERS, V1_DEPRECATION
from services.experience.partner.api._v2 import V2_CONTROLLERS

__all__ = ["V1_CONTROLLERS", "V1_DEPRECATION", "V2_CONTROLLERS", "docs_router", "partner_router"]

"""Domain errors of the CRM API; each becomes an RFC 9457 problem through the runtime.

Vendor refusals are ``VendorRefused``: the problem keeps the vendor's own ``code`` and message and says
whether retrying can help and who owns the fix. Transport failures stay the runtime's ``UpstreamError``s
(502/503/504 with ``Retry-After``).
"""

from __future__ import annotations

from contracts.problems import FieldError
from services.runtime.problems import ServiceError

__all__ = ["CrmNotFound", "IncompleteCrmRecord", "OpportunityRefused", "VendorRefused", "WebhookRejected"]


class CrmNotFound(ServiceError):
    """The CRM has no such record."""

    slug = "not-found"

    def __init__(self, detail: str, *, code: str = "not_found") -> None:
        super().__init__(detail, code=code, retryable=False, owner="sales_ops")


class VendorRefused(ServiceError):
    """The CRM refused a request; ``code`` is the vendor's own error code."""


class IncompleteCrmRecord(ServiceError):
    """A CRM record lacks what the canonical contract needs (an account without an address, a line without a SKU)."""

    def __init__(self, detail: str, *, code: str = "crm_record_incomplete") -> None:
        super().__init__(detail, slug="business-rule", code=code, retryable=False, owner="sales_ops")


class OpportunityRefused(ServiceError):
    """A new opportunity the CRM cannot hold as asked (422); ``field`` names the input (``lines.0.list_price``).

    Nothing is written at the CRM before the input is known to fit, so a refused request leaves no record behind.
    """

    def __init__(self, detail: str, *, field: str, code: str, owner: str = "integration") -> None:
        super().__init__(detail, slug="business-rule", code=code, retryable=False, owner=owner,
                         errors=[FieldError(field=field, source="body", message=detail)])


class WebhookRejected(ServiceError):
    """An inbound notification failed authentication or could not be read."""

    def __init__(self, detail: str, *, code: str = "signature_invalid") -> None:
        super().__init__(detail, slug="validation", status_code=400, code=code, retryable=False,
                         owner="integration")

"""Domain errors of the billing API; each becomes an RFC 9457 problem through the runtime.

Vendor refusals are ``VendorRefused``: the problem keeps the vendor's own ``code`` and message and says
whether retrying can help and who owns the fix. Transport failures are not here: they stay the runtime's
``UpstreamError``s (502/503/504 with ``Retry-After``).
"""

from __future__ import annotations

from services.runtime.problems import ServiceError

__all__ = [
    "BillingNotFound",
    "CustomerNotFound",
    "EffectiveDateAhead",
    "InconsistentVendorData",
    "InvoicePaid",
    "UnsupportedByVendor",
    "VendorRefused",
    "WebhookRejected",
]


class BillingNotFound(ServiceError):
    """The billing system has no such object."""

    slug = "not-found"


class CustomerNotFound(BillingNotFound):
    """No billing customer carries this business key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"No billing customer with key {key!r}; upsert it first (PUT /v1/customers/{key}).",
                         code="customer_missing", retryable=False, owner="integration")


class VendorRefused(ServiceError):
    """The vendor refused a request; ``code`` is the vendor's own error code."""


class InvoicePaid(VendorRefused):
    """An invoice money was collected on cannot be voided: it is credited instead (409 ``invoice_paid``)."""

    def __init__(self, invoice_id: str, status: str) -> None:
        super().__init__(f"Invoice {invoice_id} is {status} and money was collected on it: credit it "
                         "(POST /v1/credit-notes) instead of voiding it.", slug="conflict", code="invoice_paid",
                         retryable=False, owner="billing_ops")


class UnsupportedByVendor(ServiceError):
    """The request is valid but the configured vendor cannot express it."""

    def __init__(self, detail: str, *, code: str = "unsupported", owner: str = "integration") -> None:
        super().__init__(detail, slug="business-rule", code=code, retryable=False, owner=owner)


class EffectiveDateAhead(ServiceError):
    """The vendor can make the change only on its effective day, which it has not reached (409, retry then)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="conflict", code="effective_date_ahead", retryable=True, owner="integration")


class InconsistentVendorData(ServiceError):
    """The vendor answered with an object the canonical contract refuses (totals that disagree, no lines)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="upstream-failed", code="vendor_data_inconsistent", retryable=False,
                         owner="billing_ops")


class WebhookRejected(ServiceError):
    """An inbound webhook failed authentication (bad, stale or missing signature) or could not be read."""

    def __init__(self, detail: str, *, code: str = "signature_invalid") -> None:
        super().__init__(detail, slug="validation", status_code=400, code=code, retryable=False,
                         owner="integration")

"""Domain errors of the ERP API; each becomes an RFC 9457 problem through the runtime.

Vendor refusals are ``VendorRefused``: the problem keeps NetSuite's ``o:errorCode`` and message and says
whether retrying can help and who owns the fix. A missing or inactive item is a *master-data exception*
(``MasterDataException``) owned by finance operations, with the fix in ``detail``. Transport failures stay
the runtime's ``UpstreamError``s (502/503/504 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Any

from services.runtime.problems import ServiceError

__all__ = [
    "ErpNotFound",
    "InconsistentVendorData",
    "MasterDataException",
    "UnbalancedJournal",
    "VendorRefused",
    "account_missing",
    "customer_missing",
    "sku_inactive",
    "sku_missing",
]


class ErpNotFound(ServiceError):
    """The ERP has no such record."""

    slug = "not-found"


class VendorRefused(ServiceError):
    """NetSuite refused a request.

    ``code`` is NetSuite's own ``o:errorCode``; ``vendor_path`` its ``o:errorPath`` (the field of the NetSuite body
    it refused, when it names one).
    """

    def __init__(self, detail: str, *, vendor_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.vendor_path = vendor_path


class MasterDataException(ServiceError):
    """Master data the request relies on is missing or unusable in the ERP; finance operations fix it."""

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail, slug="business-rule", code=code, retryable=False, owner="finance_ops")


class UnbalancedJournal(ServiceError):
    """A journal entry whose debits and credits differ; it never reaches the ERP."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="business-rule", code="journal_unbalanced", retryable=False,
                         owner="integration")


class InconsistentVendorData(ServiceError):
    """NetSuite answered with a record the canonical contract cannot express (an amount finer than the currency)."""

    def __init__(self, detail: str, *, owner: str = "finance_ops") -> None:
        super().__init__(detail, slug="upstream-failed", code="vendor_data_inconsistent", retryable=False,
                         owner=owner)


def sku_missing(sku: str) -> MasterDataException:
    """The item ``sku`` does not exist in the ERP."""
    return MasterDataException(
        f"Item {sku!r} does not exist in NetSuite. Create the item with Item Name/Number {sku!r} "
        "(Lists > Accounting > Items > New), then retry.", code="sku_missing")


def sku_inactive(sku: str) -> MasterDataException:
    """The item ``sku`` exists but is inactive."""
    return MasterDataException(
        f"Item {sku!r} is inactive in NetSuite. Reactivate it (clear 'Inactive' on the item record) or sell "
        "an active item instead, then retry.", code="sku_inactive")


def account_missing(number: str) -> MasterDataException:
    """No active general-ledger account has this number."""
    return MasterDataException(
        f"No active GL account numbered {number!r} in NetSuite's chart of accounts. Create or reactivate it "
        "(Lists > Accounting > Accounts), or have the revenue book post that role to an existing account "
        "(REVFLOW_REVREC_GL_ACCOUNTS), then retry.", code="account_missing")


def customer_missing(key: str) -> ErpNotFound:
    """No ERP customer carries this business key as its external id."""
    return ErpNotFound(f"No ERP customer with key {key!r}; upsert it first (PUT /v1/customers/{key}).",
                       code="customer_missing", retryable=False, owner="integration")

"""Process vocabulary finance reads: a workflow's business status and who owns an exception.

The process tier reports these in its API and in ``revflow.process.workflow.*`` events; the experience tier
shows them. Contract version: 1.
"""

from __future__ import annotations

import enum

__all__ = ["BusinessStatus", "ExceptionOwner"]


class BusinessStatus(enum.StrEnum):
    """Where a deal stands, in finance's words (independent of retries and other technical states)."""

    PENDING_VALIDATION = "pending_validation"
    BLOCKED_MASTER_DATA = "blocked_master_data"
    AWAITING_BILLING = "awaiting_billing"
    AWAITING_ERP_POSTING = "awaiting_erp_posting"
    AWAITING_REVENUE_SCHEDULE = "awaiting_revenue_schedule"
    COMPLETED = "completed"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"
    """Cancelled on request; every completed step was undone (compensated)."""


class ExceptionOwner(enum.StrEnum):
    """The team that must act on a workflow exception."""

    SALES_OPS = "sales_ops"
    FINANCE_OPS = "finance_ops"
    BILLING_OPS = "billing_ops"
    INTEGRATION = "integration"

"""The system APIs the process tier calls (crm, erp, billing, revrec), and what their answers mean to a step.

This is the only module of the process tier that speaks HTTP. A system API answers problems (RFC 9457) that
already say whether a retry can help (``retryable``) and who owns the fix (``owner``); ``call`` turns them
into ``StepFailed`` so a workflow step never inspects a status code. A transport failure, a 429 or a 5xx
beyond the client's own retries is retryable by the saga's durable backoff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import StepFailed
from services.runtime.http import UpstreamClient, UpstreamError

__all__ = ["Systems", "call"]

_OWNERS = {owner.value: owner for owner in ExceptionOwner}
_MASTER_DATA_CODES = ("sku_missing", "sku_inactive", "item_missing", "item_inactive", "account_missing")
"""Problem codes of master-data exceptions: the workflow is `blocked_master_data` until the item exists."""


@dataclass(frozen=True)
class Systems:
    """What a step reaches: one resilient client per system API, the deal links, and workflow start."""

    crm: UpstreamClient
    erp: UpstreamClient
    billing: UpstreamClient
    revrec: UpstreamClient
    links: Any
    """``DealLinks``: the ids a deal has in each system."""
    start: Callable[..., Awaitable[Any]]
    """``Workflows.start``: a step may start a follow-up workflow (idempotent by id)."""
    catalog: Any = None
    """``CatalogMemo``: items synced to the billing catalogue recently (``None``: sync every time)."""

    async def aclose(self) -> None:
        for client in (self.crm, self.erp, self.billing, self.revrec):
            await client.aclose()


async def call(client: UpstreamClient, method: str, path: str, *, json: Any = None, key: str | None = None,
               params: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
    """Call a system API; the decoded JSON body on success (``None`` for 404 when ``missing_ok``).

    Raises:
        StepFailed: the call failed; retryable unless the API said a retry cannot help.
    """
    try:
        response = await client.request(method, path, json=json, idempotency_key=key, params=params)
    except UpstreamError as exc:
        raise StepFailed(f"{client.name}: {method} {path} failed ({exc.reason or type(exc).__name__})",
                         retryable=True, retry_after=exc.retry_after, code=exc.reason or None) from exc
    if response.status_code < 300:
        return msgspec.json.decode(response.content) if response.content else None
    if response.status_code == 404 and missing_ok:
        return None
    raise failure_of(client.name, method, path, response)


def failure_of(system: str, method: str, path: str, response: httpx.Response) -> StepFailed:
    """The ``StepFailed`` a problem response stands for."""
    try:
        problem = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    status = response.status_code
    retryable = problem.get("retryable")
    if retryable is None:
        retryable = status in (408, 409, 425, 429) or status >= 500
    owner = _OWNERS.get(str(problem.get("owner")), ExceptionOwner.INTEGRATION)
    code = problem.get("code")
    detail = problem.get("detail") or problem.get("title") or f"answered {status}"
    errors = problem.get("errors") or []
    if errors:
        detail += " (" + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:5]) + ")"
    business = BusinessStatus.NEEDS_ATTENTION
    if owner is ExceptionOwner.FINANCE_OPS and code in _MASTER_DATA_CODES:
        business = BusinessStatus.BLOCKED_MASTER_DATA
    retry_after = _retry_after(response)
    return StepFailed(f"{system}: {detail}", retryable=bool(retryable), owner=owner, code=code,
                      business_status=business, retry_after=retry_after,
                      fix=_fix(system, owner, code, detail) if not retryable else None)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _fix(system: str, owner: ExceptionOwner, code: str | None, detail: str) -> str:
    if owner is ExceptionOwner.FINANCE_OPS and code in _MASTER_DATA_CODES:
        return (f"Create or reactivate the missing master data (item or account) in the {system.upper()} "
                f"({detail}), then resume the workflow: completed steps are not repeated.")
    if owner is ExceptionOwner.SALES_OPS:
        return f"Correct the deal in the CRM ({detail}), then resume the workflow."
    if owner is ExceptionOwner.BILLING_OPS:
        return f"Correct the billing record ({detail}), then resume the workflow."
    return f"{system} refused the request ({detail}). Fix the cause, then resume or cancel the workflow."

"""Usage: one usage record becomes a billing meter event and usage revenue on the deal's revenue contract.

validate (the deal meters the product, and the units were not used before its service began) -> billing meter
event (``POST /v1/usage``) -> revrec usage measurement of ``po-<SKU>``.

One workflow per usage record, ``usage:<record id>``: the record id is the source's own idempotency key, so
a record reported twice (a batch resent, a collector restarted) starts nothing new and is counted once. The
billing write also carries the record id to the vendor (Stripe's meter-event ``identifier``), which
deduplicates it there as well. Usage is billed in arrears by the billing system; revenue is recognised when
used (a ``usage`` obligation priced per unit, ASC 606-10-32-40), in the period the usage occurred, or in the
first open period when that one is closed.

Neither write can be taken back through the system APIs (a meter event is final, a measurement is part of
the contract's history), so the steps have no ``undo``: a wrong record is corrected by a correcting record.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any
from urllib.parse import quote

import msgspec

from contracts.common import Instant, Quantity, Sku
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call

__all__ = ["USAGE", "UsageRecordV1", "usage_workflow_id"]

RecordId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                                       description="The usage record's id at its source: reporting it again is a "
                                                   "no-op", examples=["acme-2025-03-14-api"])]
OpportunityId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                                            description="The CRM opportunity (deal) the usage belongs to",
                                            examples=["0061x00000AbCdE"])]


class UsageRecordV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Units of a usage-priced product a customer used."""

    id: RecordId
    opportunity_id: OpportunityId
    sku: Sku
    """The usage line's product (its revenue obligation is ``po-<sku>``)."""
    quantity: Quantity
    occurred_at: Instant


def usage_workflow_id(record: UsageRecordV1) -> str:
    """The workflow of one usage record: its id alone, so a repeat finds the first run."""
    return f"usage:{record.id}"


def _day_of(data: Any) -> date | None:
    """The day a usage record's units were used (``None`` for a record its validation will refuse)."""
    try:
        return msgspec.convert(data, UsageRecordV1).occurred_at.astimezone(UTC).date()
    except msgspec.ValidationError:
        return None


def _record(ctx: StepContext) -> UsageRecordV1:
    return msgspec.convert(ctx.input, UsageRecordV1)


async def _activated(ctx: StepContext, needs: str) -> dict[str, str]:
    links = await ctx.systems.links.of(ctx.workflow.subject)
    if not links.get(needs):
        raise StepFailed(f"usage record {ctx.input['id']}: deal {ctx.workflow.subject} is not activated (it has no "
                         f"{needs.replace('_', ' ')})", retryable=False, owner=ExceptionOwner.INTEGRATION,
                         code="deal_not_activated",
                         fix="Check the opportunity id the usage source sent; activate the deal, then resume.")
    return links


def _refused(reason: str, code: str, fix: str) -> StepFailed:
    return StepFailed(reason, retryable=False, owner=ExceptionOwner.INTEGRATION, code=code, fix=fix, refused=True,
                      business_status=BusinessStatus.PENDING_VALIDATION)


async def validate(ctx: StepContext) -> dict[str, Any]:
    """Refuse (end the workflow, writing nothing) usage the deal cannot bill.

    That is a product it does not meter, or units used before the usage line's service began. Units after its
    registered end are not refused: a term can run on (a renewal, an amendment), and billing, which knows the
    current term, answers for them.
    """
    record = _record(ctx)
    contract = (await _activated(ctx, "revenue_contract_id"))["revenue_contract_id"]
    view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract}")
    oid = f"po-{record.sku}"
    obligation = next((o for o in view["contract"]["obligations"] if o["id"] == oid), None)
    if obligation is None or obligation.get("pattern") != "usage":
        what = "has no line of" if obligation is None else "does not meter (it is not a usage line)"
        raise _refused(f"usage record {record.id}: deal {ctx.workflow.subject} {what} {record.sku}",
                       "sku_not_metered", "Report usage only for the deal's usage products, in a new record.")
    used_on = record.occurred_at.astimezone(UTC).date()
    start = date.fromisoformat(obligation["start_date"]) if obligation.get("start_date") else None
    if start is not None and used_on < start:
        raise _refused(f"usage record {record.id}: used on {used_on}, before {record.sku}'s service began on "
                       f"{start}", "usage_before_term",
                       "Report the units against the deal whose term they were used in, in a new record.")
    return {"revenue_contract_id": contract, "obligation_id": oid, "on": used_on.isoformat()}


async def billing_usage(ctx: StepContext) -> dict[str, Any]:
    record = _record(ctx)
    links = await _activated(ctx, "subscription_id")
    body = {"id": record.id, "subscription_id": links["subscription_id"], "sku": record.sku,
            "quantity": record.quantity, "occurred_at": record.occurred_at.isoformat()}
    reported = await call(ctx.systems.billing, "POST", "/v1/usage", json=body, key=ctx.key)
    return {"subscription_id": links["subscription_id"], "subscription_item_id": reported.get("subscription_item_id"),
            "quantity": record.quantity}


async def revenue_usage(ctx: StepContext) -> dict[str, Any]:
    record = _record(ctx)
    contract = (await _activated(ctx, "revenue_contract_id"))["revenue_contract_id"]
    obligation = f"po-{record.sku}"
    # The day the units were used (UTC) decides the period their revenue belongs to.
    body = {"kind": "usage", "on": record.occurred_at.astimezone(UTC).date().isoformat(),
            "quantity": str(record.quantity)}
    await call(ctx.systems.revrec, "POST",
               f"/v1/contracts/{contract}/obligations/{quote(obligation, safe='')}/measurements", json=body,
               key=ctx.key)
    return {"revenue_contract_id": contract, "obligation_id": obligation, "on": body["on"]}


USAGE = WorkflowDefinition(
    kind="usage",
    description="A usage record billed as a meter event and recognised as usage revenue.",
    dated=_day_of,
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("billing_usage", billing_usage, BusinessStatus.AWAITING_BILLING),
        Step("revenue_usage", revenue_usage, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
)

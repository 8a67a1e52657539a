"""The system-of-record map applied by the process: refuse to start on a bad map; stop drift from spreading.

A deal's prices are the CRM's (``subscription.unit_price`` is owned by ``crm`` in the committed map); billing,
the ERP and revrec follow. When billing holds another price than the one the CRM booked for a line that an
amendment touches, someone changed it in billing directly: the amendment stops before any follower is written and
parks with a ``drift`` exception naming both values, the owning system and team, and the fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from contracts.system_of_record import SystemOfRecordMapV1, load_map, validate_map
from services.process.quote_to_cash.saga import StepContext, StepFailed
from services.process.quote_to_cash.systems import call

__all__ = ["DRIFT_CODE", "active_map", "booked_unit_prices", "check_price_drift", "record_booked_prices",
           "startup_map"]

DRIFT_CODE = "drift"
_BOOKED = "booked_unit_minor:"
"""Deal-link prefix of the unit price revflow last carried from the CRM to billing for a SKU (by an amendment)."""


@lru_cache(maxsize=1)
def active_map() -> SystemOfRecordMapV1:
    """The committed map, read once per process (workers apply it to every workflow)."""
    return load_map()


def startup_map(given: SystemOfRecordMapV1 | str | Path | None = None) -> SystemOfRecordMapV1:
    """The map the API starts with: ``given`` (a map or a YAML path) or the committed one, validated.

    Raises:
        SystemOfRecordError: the map gives an object two owners or none (the message names it).
    """
    if given is None:
        return active_map()
    if isinstance(given, SystemOfRecordMapV1):
        return validate_map(given)
    return load_map(given)


async def booked_unit_prices(ctx: StepContext, deal: str) -> dict[str, set[int]]:
    """Unit prices the owner booked per SKU: revflow's last carried price, else the CRM opportunity's lines."""
    opportunity = await call(ctx.systems.crm, "GET", f"/v1/opportunities/{deal}")
    booked: dict[str, set[int]] = {}
    for line in opportunity.get("lines", []):
        booked.setdefault(line["product_sku"], set()).add(int(line["sale_price"]["amount_minor"]))
    for key, value in (await ctx.systems.links.of(deal)).items():
        if key.startswith(_BOOKED):
            booked[key.removeprefix(_BOOKED)] = {int(value)}
    return booked


async def record_booked_prices(ctx: StepContext, deal: str, changes: list[dict[str, Any]]) -> None:
    """After billing took an owner's change, remember the prices it now holds as the booked ones."""
    await ctx.systems.links.record(deal, **{f"{_BOOKED}{c['sku']}": str(c["unit_minor"]) for c in changes})


def check_price_drift(subscription: dict[str, Any], booked: dict[str, set[int]], skus: list[str],
                      sor: SystemOfRecordMapV1 | None = None) -> list[dict[str, Any]]:
    """The SKUs whose billing price is not the booked one; raises when there is any.

    Raises:
        StepFailed: code ``drift``, owned by the team the map names for ``subscription.unit_price``.
    """
    owner = (sor or active_map()).owner_of("subscription", "unit_price")
    found = []
    for item in subscription["items"]:
        sku, held = item["product_sku"], int(item["unit_amount"]["amount_minor"])
        if sku in skus and sku in booked and held not in booked[sku]:
            found.append({"sku": sku, "owner_value": sorted(booked[sku])[0], "follower_value": held,
                          "currency": item["unit_amount"]["currency"]})
    if not found:
        return []
    values = "; ".join(f"{d['sku']}: {owner.owner} (owner) books {d['owner_value']}, billing holds "
                       f"{d['follower_value']} ({d['currency']} minor units)" for d in found)
    raise StepFailed(
        f"price drift on subscription {subscription['id']}: {values}. The billing value was not propagated to the "
        f"ERP or revenue", retryable=False, owner=owner.team, code=DRIFT_CODE,
        fix=f"The {owner.owner} owns deal prices: put the {owner.owner}'s price back on the billing subscription, "
            f"or book the new price in the {owner.owner} as an amendment; then resume this workflow.")

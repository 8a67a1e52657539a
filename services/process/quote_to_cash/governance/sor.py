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

import msgspec

from contracts.system_of_record import SystemOfRecordMapV1, load_map, validate_map
from services.process.quote_to_cash.saga import StepContext, StepFailed
from services.process.quote_to_cash.systems import call

__all__ = ["DRIFT_CODE", "Booked", "active_map", "booked_terms", "check_drift", "record_booked_terms",
           "startup_map"]

DRIFT_CODE = "drift"
_BOOKED = "booked_unit_minor:"
"""Deal-link prefix of the unit price revflow last carried from the CRM to billing for a SKU (by an amendment)."""
_BOOKED_QUANTITY = "booked_quantity:"
"""Deal-link prefix of the quantity revflow last carried from the CRM to billing for a SKU (by an amendment)."""
_NOT_SEATS = ("usage", "one_time")
"""Billing frequencies whose quantity is not a booked count (usage is measured, one-time items are invoiced once)."""


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


class Booked(msgspec.Struct, frozen=True, kw_only=True):
    """What the owner booked per SKU: the unit prices and the quantity billing should hold."""

    unit_prices: dict[str, set[int]]
    quantities: dict[str, set[int]]
    """Each line's quantity and their sum (a ramp deal bills one phase's lines at a time)."""


async def booked_terms(ctx: StepContext, deal: str) -> Booked:
    """The owner's terms per SKU: revflow's last carried price and quantity, else the CRM opportunity's lines."""
    opportunity = await call(ctx.systems.crm, "GET", f"/v1/opportunities/{deal}")
    prices: dict[str, set[int]] = {}
    quantities: dict[str, set[int]] = {}
    for line in opportunity.get("lines", []):
        sku = line["product_sku"]
        prices.setdefault(sku, set()).add(int(line["sale_price"]["amount_minor"]))
        if line.get("billing_frequency") not in _NOT_SEATS:
            quantities.setdefault(sku, set()).add(int(line["quantity"]))
    for sku, each in list(quantities.items()):
        lines = [int(line["quantity"]) for line in opportunity.get("lines", []) if line["product_sku"] == sku]
        quantities[sku] = each | {sum(lines)}
    for key, value in (await ctx.systems.links.of(deal)).items():
        if key.startswith(_BOOKED):
            prices[key.removeprefix(_BOOKED)] = {int(value)}
        elif key.startswith(_BOOKED_QUANTITY):
            quantities[key.removeprefix(_BOOKED_QUANTITY)] = {int(value)}
    return Booked(unit_prices=prices, quantities=quantities)


async def record_booked_terms(ctx: StepContext, deal: str, changes: list[dict[str, Any]]) -> None:
    """After billing took an owner's change, remember the prices and quantities it now holds as the booked ones."""
    await ctx.systems.links.record(deal, **{f"{_BOOKED}{c['sku']}": str(c["unit_minor"]) for c in changes},
                                   **{f"{_BOOKED_QUANTITY}{c['sku']}": str(c["quantity"]) for c in changes})


def check_drift(subscription: dict[str, Any], booked: Booked, skus: list[str],
                sor: SystemOfRecordMapV1 | None = None) -> list[dict[str, Any]]:
    """The SKUs whose billing price or quantity is not the booked one; raises when there is any.

    Raises:
        StepFailed: code ``drift``, owned by the team the map names for the drifted field (``unit_price`` first).
    """
    the_map = sor or active_map()
    found: list[dict[str, Any]] = []
    held_quantities: dict[str, int] = {}
    for item in subscription["items"]:
        sku = item["product_sku"]
        if sku not in skus:
            continue
        held_price = int(item["unit_amount"]["amount_minor"])
        if sku in booked.unit_prices and held_price not in booked.unit_prices[sku]:
            found.append({"sku": sku, "field": "unit_price", "owner_value": sorted(booked.unit_prices[sku])[0],
                          "follower_value": held_price, "unit": f"{item['unit_amount']['currency']} minor units"})
        if item.get("billing_frequency") not in _NOT_SEATS:
            held_quantities[sku] = held_quantities.get(sku, 0) + int(item.get("quantity") or 0)
    for sku, held in held_quantities.items():
        if sku in booked.quantities and held not in booked.quantities[sku]:
            found.append({"sku": sku, "field": "quantity", "owner_value": max(booked.quantities[sku]),
                          "follower_value": held, "unit": "units"})
    if not found:
        return []
    owner = the_map.owner_of("subscription", found[0]["field"])
    def said(d: dict[str, Any]) -> str:
        who = the_map.owner_of("subscription", d["field"]).owner
        return (f"{d['sku']} {d['field'].replace('_', ' ')}: {who} (owner) books {d['owner_value']}, "
                f"billing holds {d['follower_value']} ({d['unit']})")

    values = "; ".join(said(d) for d in found)
    what = " and ".join(sorted({d["field"].replace("_", " ") for d in found}, reverse=True))
    raise StepFailed(
        f"{what} drift on subscription {subscription['id']}: {values}. The billing value was not propagated to the "
        f"ERP or revenue", retryable=False, owner=owner.team, code=DRIFT_CODE,
        fix=f"The {owner.owner} owns deal {what}s: put the {owner.owner}'s value back on the billing subscription, "
            f"or book the new {what} in the {owner.owner} as an amendment; then resume this workflow.")

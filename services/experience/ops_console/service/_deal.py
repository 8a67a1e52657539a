"""The deal view, shaped from the process API's deal and its workflows (pure: no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from services.experience.ops_console.schemas import (
    DealPageV1,
    InvoiceRowV1,
    RevenueContractViewV1,
    StepV1,
    WorkflowTimelineV1,
)
from services.experience.ops_console.schemas import ExceptionInfoV1 as _ExceptionInfo
from services.experience.ops_console.schemas import HistoryV1 as _History

__all__ = ["deal_page", "exception_info", "revision", "timeline"]

_HISTORY_SHOWN = 60
_ID_SUFFIXES = ("_id", "_key", "_ids")


def revision(rows: list[Mapping[str, Any]]) -> str:
    """A short digest of where each workflow stands (id, state, business status)."""
    text = ";".join(sorted(f"{r['id']}={r['state']}/{r['business_status']}" for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _minor(money: Any) -> int:
    return int(money.get("amount_minor", 0)) if isinstance(money, Mapping) else 0


def _step_ids(output: Mapping[str, Any]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for key, value in output.items():
        if not key.endswith(_ID_SUFFIXES) or value in (None, "", []):
            continue
        if isinstance(value, str | int) and not isinstance(value, bool):
            ids[key] = str(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            ids[key] = ", ".join(value[:5]) + (f" (+{len(value) - 5})" if len(value) > 5 else "")
    return ids


def exception_info(exc: Mapping[str, Any], sla_hours: Mapping[str, int], now: datetime) -> _ExceptionInfo:
    """An exception with its age and whether it waited longer than its owner's SLA."""
    occurred = _instant(exc["occurred_at"]) or now
    age = max(0, int((now - occurred).total_seconds()))
    sla = int(sla_hours.get(exc["owner"], 24))
    return _ExceptionInfo(owner=exc["owner"], step=exc["step"], reason=exc["reason"], fix=exc["fix"],
                          code=exc.get("code"), occurred_at=occurred, age_seconds=age, sla_hours=sla,
                          overdue=age > sla * 3600)


def timeline(record: Mapping[str, Any], sla_hours: Mapping[str, int], now: datetime) -> WorkflowTimelineV1:
    """A workflow record as a step timeline: what ran, when, how often, and the ids it created."""
    history = record.get("history") or []
    runs: dict[str, int] = {}
    for entry in history:
        if entry.get("event") == "step_started" and entry.get("step"):
            runs[entry["step"]] = runs.get(entry["step"], 0) + 1
    steps = []
    for step in record.get("steps") or []:
        started, finished = _instant(step.get("started_at")), _instant(step.get("finished_at"))
        duration = int((finished - started).total_seconds() * 1000) if started and finished else None
        steps.append(StepV1(name=step["name"], status=step.get("status", "pending"),
                            attempts=int(step.get("attempts", 0)),
                            runs=runs.get(step["name"], int(step.get("attempts", 0))),
                            started_at=started, finished_at=finished, duration_ms=duration,
                            ids=_step_ids(step.get("output") or {}), error=step.get("error")))
    shown = history[-_HISTORY_SHOWN:]
    exc = record.get("exception")
    return WorkflowTimelineV1(
        id=record["id"], kind=record["kind"], state=record["state"], business_status=record["business_status"],
        correlation_id=record.get("correlation_id"), created_at=_instant(record["created_at"]) or now,
        updated_at=_instant(record["updated_at"]) or now, completed_at=_instant(record.get("completed_at")),
        resumes=int(record.get("resumes", 0)),
        exception=exception_info(exc, sla_hours, now) if exc and record["state"] not in (
            "succeeded", "compensated") else None,
        steps=steps, external_ids={k: str(v) for k, v in (record.get("external_ids") or {}).items()},
        history=[msgspec.convert(h, _History) for h in shown])


def _contract(view: Mapping[str, Any]) -> RevenueContractViewV1 | None:
    contract = view.get("contract") if isinstance(view.get("contract"), Mapping) else None
    if contract is None:
        return None
    names = {o["id"]: o for o in contract.get("obligations") or []}
    periods: set[str] = set()
    obligations = []
    for schedule in view.get("schedules") or []:
        cells: dict[str, list[int | bool]] = {}
        for line in schedule.get("lines") or []:
            cell = cells.setdefault(line["accounting_period"], [0, True])
            cell[0] = int(cell[0]) + _minor(line.get("amount"))
            cell[1] = bool(cell[1]) and bool(line.get("closed"))
        periods.update(cells)
        meta = names.get(schedule["obligation_id"], {})
        obligations.append({
            "id": schedule["obligation_id"], "name": meta.get("name") or schedule["obligation_id"],
            "pattern": meta.get("pattern"), "start_date": meta.get("start_date"), "end_date": meta.get("end_date"),
            "allocation": _minor(schedule.get("allocation")),
            "schedule": [{"period": p, "amount": a, "closed": c} for p, (a, c) in sorted(cells.items())]})
    signs = {"invoice": 1, "credit_note": -1}  # payments collect what was billed; they bill nothing more
    billed = sum(_minor(b.get("amount")) * signs.get(str(b.get("kind")), 0) for b in view.get("billings") or [])
    return msgspec.convert({
        "id": contract.get("id") or "", "currency": contract["currency"], "status": contract.get("status"),
        "version": contract.get("version"), "transaction_price": _minor(contract.get("transaction_price")),
        "obligations": obligations, "periods": sorted(periods), "billed": billed}, RevenueContractViewV1)


def _invoice(invoice: Mapping[str, Any]) -> dict[str, Any]:
    paid = invoice.get("amount_paid")
    return {"id": str(invoice.get("id") or ""), "number": invoice.get("number"),
            "status": str(invoice.get("status") or "unknown"), "currency": str(invoice.get("currency") or ""),
            "total": _minor(invoice.get("total")), "amount_paid": _minor(paid) if paid else None,
            "issued_on": invoice.get("issued_on"), "due_on": invoice.get("due_on"),
            "period_start": invoice.get("period_start"), "period_end": invoice.get("period_end")}


def deal_page(deal: Mapping[str, Any], records: list[Mapping[str, Any]], sla_hours: Mapping[str, int],
              now: datetime) -> DealPageV1:
    """The deal view: every workflow as a timeline (oldest first), the revenue contract, the invoices."""
    rows = deal.get("workflows") or []
    current = next((r for r in rows if r.get("state") not in ("succeeded", "compensated")), rows[-1] if rows else {})
    customer = next((r.get("customer") for r in rows if r.get("customer")), None)
    contract = deal.get("revenue_contract")
    ids = {k: str(v) for r in records for k, v in (r.get("external_ids") or {}).items() if v not in (None, "")}
    ids.update({k: str(v) for k, v in (deal.get("ids") or {}).items()})
    return DealPageV1(
        opportunity_id=deal["opportunity_id"], customer=customer, business_status=deal["business_status"],
        owner=current.get("owner"), ids=ids,
        workflows=[timeline(r, sla_hours, now) for r in records],
        revenue_contract=_contract(contract) if isinstance(contract, Mapping) else None,
        invoices=msgspec.convert([_invoice(i) for i in deal.get("invoices") or []], list[InvoiceRowV1]),
        unavailable=list(deal.get("unavailable") or []), revision=revision(rows))

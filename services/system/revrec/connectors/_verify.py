"""Verification of a vendor's schedule: recompute it under the claimed convention and explain each difference.

The claimed convention may name a fiscal calendar; without its ``fiscal_year`` it takes the book's. Vendor
lines name periods by ``accounting_period`` in the convention's wire form (``2026-01`` is ``FY2026-P01``
under a fiscal calendar).
"""

from __future__ import annotations

from services.system.revrec import engine as eng
from services.system.revrec.connectors._calendar import Calendar, convention_calendar, resolve_convention
from services.system.revrec.connectors._convert import check_date, engine_convention
from services.system.revrec.connectors._views import verification_view
from services.system.revrec.errors import engine_problem, field_error
from services.system.revrec.schemas import VerificationRequestV1, VerificationV1, VerifyObligationV1

__all__ = ["verify"]


def _vendor(o: VerifyObligationV1, i: int, currency: str, cal: Calendar) -> dict[str, int]:
    if o.allocation.currency != currency:
        raise field_error(f"obligations.{i}.allocation.currency", f"must be the request currency {currency}")
    check_date(o.start_date, f"obligations.{i}.start_date")
    check_date(o.end_date, f"obligations.{i}.end_date")
    if (o.end_date - o.start_date).days > 100 * 366:
        raise field_error(f"obligations.{i}.end_date", "service periods longer than a hundred years are not verified")
    vendor: dict[str, int] = {}
    for j, line in enumerate(o.vendor_schedule):
        if line.amount.currency != currency:
            raise field_error(f"obligations.{i}.vendor_schedule.{j}.amount.currency",
                              f"must be the request currency {currency}")
        key = cal.from_wire(line.accounting_period)
        vendor[key] = vendor.get(key, 0) + line.amount.amount_minor
    return vendor


def verify(request: VerificationRequestV1, book: Calendar) -> VerificationV1:
    """Per obligation and period: match, or the difference and its most likely cause."""
    claimed = resolve_convention(request.convention, book)
    cal = convention_calendar(claimed)
    try:
        convention = engine_convention(claimed)
    except eng.EngineError as exc:
        raise engine_problem(exc) from None
    results = []
    for i, o in enumerate(request.obligations):
        vendor = _vendor(o, i, request.currency, cal)
        where = {"end": f"obligations.{i}.end_date", "start": f"obligations.{i}.start_date"}
        try:
            result = eng.verify_schedule(obligation_id=o.obligation_id, vendor=vendor,
                                         amount=o.allocation.amount_minor, currency=request.currency,
                                         start=o.start_date, end=o.end_date, convention=convention)
        except eng.EngineError as exc:
            raise engine_problem(exc, where) from None
        results.append(verification_view(result, vendor, request.currency, cal))
    return VerificationV1(matched=all(r.cause.value == "match" for r in results), obligations=results)

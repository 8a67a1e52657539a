"""Revenue for a period range, as server-rendered SVG charts with the figures beside them, and as CSV.

Bookings, billings and recognised revenue per period, ARR and deferred revenue at each period end, the
deferred-revenue roll-forward and the bookings-to-revenue waterfall.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get

from contracts.money import exponent
from services.experience.ops_console import charts
from services.experience.ops_console.formatting import compact, money
from services.experience.ops_console.schemas import CurrencyRevenueV1
from services.experience.ops_console.service import MAX_PERIODS, PERIOD, default_range, periods_between, revenue_csv
from services.experience.ops_console.views._web import PAGE_OPT, console_of, page, person_of, query

__all__ = ["RevenuePagesController", "period_range"]


def period_range(params: Any) -> tuple[str, str, str | None]:
    """``from`` and ``to`` from the query (twelve months to this one by default), and what was wrong with them."""
    first, last = default_range(datetime.now(UTC).date())
    given_first, given_last = params.get("from") or "", params.get("to") or ""
    if not given_first and not given_last:
        return first, last, None
    if not PERIOD.match(given_first) or not PERIOD.match(given_last):
        return first, last, "Periods are written YYYY-MM; showing the last twelve months instead."
    if given_first > given_last:
        return first, last, "The first period comes after the last; showing the last twelve months instead."
    if len(list(periods_between(given_first, given_last))) > MAX_PERIODS:
        return first, last, f"At most {MAX_PERIODS} periods at once; showing the last twelve months instead."
    return given_first, given_last, None


def currency_charts(block: CurrencyRevenueV1) -> dict[str, Any]:
    """The four charts of one currency."""
    code = block.currency

    def axis(v: int) -> str:
        return compact(v, code)

    def value(v: int) -> str:
        return money(v, code)

    periods = [r.period for r in block.periods]
    key = code.lower()
    flows = charts.bars(
        f"flows-{key}", f"Bookings, billings and recognised revenue per period ({code})",
        f"Grouped bars per period from {periods[0]} to {periods[-1]}." if periods else "No periods.", periods,
        [charts.Series("Bookings", charts.COLOURS["bookings"], [r.bookings for r in block.periods]),
         charts.Series("Billings", charts.COLOURS["billings"], [r.billings for r in block.periods]),
         charts.Series("Recognised", charts.COLOURS["recognized"], [r.recognized for r in block.periods])],
        axis, value)
    balances = charts.lines(
        f"balances-{key}", f"ARR and deferred revenue at the end of each period ({code})",
        "Two lines: annual recurring revenue and deferred revenue (contract liability) at each period end.",
        periods, [charts.Series("ARR", charts.COLOURS["arr"], [r.arr for r in block.periods]),
                  charts.Series("Deferred revenue", charts.COLOURS["deferred"], [r.deferred for r in block.periods])],
        axis, value)
    rf = block.roll_forward
    roll_forward = charts.bridge(
        f"rollforward-{key}", f"Deferred revenue roll-forward ({code})",
        "Opening balance, plus billings, minus recognised revenue, plus other movements, gives the closing balance.",
        [charts.Step("Opening", rf.opening, "total"), charts.Step("Billings", rf.billings),
         charts.Step("Recognised", -rf.recognized), charts.Step("Other", rf.other),
         charts.Step("Closing", rf.closing, "total")], axis, value)
    waterfall = charts.bridge(
        f"waterfall-{key}", f"Revenue waterfall: bookings to recognised revenue ({code})",
        "Bookings of the range, plus or minus the difference to what was billed, gives billings; plus or minus "
        "the difference to what was recognised gives recognised revenue.",
        [charts.Step("Bookings", block.bookings, "total"),
         charts.Step("Billed vs booked", block.billings - block.bookings),
         charts.Step("Billings", block.billings, "total"),
         charts.Step("Recognised vs billed", block.recognized - block.billings),
         charts.Step("Recognised", block.recognized, "total")], axis, value)
    return {"flows": flows, "balances": balances, "roll_forward": roll_forward, "waterfall": waterfall}


class RevenuePagesController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/revenue", opt=query("from", "to", "refresh"), include_in_schema=False)
    async def revenue(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        first, last, problem = period_range(request.query_params)
        report = await console_of(request).revenue(first, last, refresh=bool(request.query_params.get("refresh")))
        blocks = [(block, currency_charts(block)) for block in report.currencies] if report else []
        return await page(request, "revenue.html.j2", session=session, session_id=session_id, person=person,
                          report=report, blocks=blocks, first=first, last=last, problem=problem)

    @get("/revenue.csv", opt=query("from", "to"), include_in_schema=False)
    async def revenue_csv(self, request: Request[Any, Any, Any]) -> Response[str]:
        await person_of(request)
        first, last, _ = period_range(request.query_params)
        report = await console_of(request).revenue(first, last)
        if report is None:
            return Response("The process API does not offer metrics yet.\r\n", status_code=503,
                            media_type="text/plain; charset=utf-8")
        return Response(revenue_csv(report, exponent), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="revenue-{first}-{last}.csv"', "Cache-Control": "no-store"})

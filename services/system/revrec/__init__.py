"""The revrec system API: contracts, schedules, periods and verification around the pure rev-rec engine.

Owns the revenue domain's canonical API (v1): registering contracts from won deals, allocation and
schedules, modifications, billing links, period runs and close, journals and reports, stateless previews,
and verification of vendor schedules. It reaches a rev-rec platform only through ``ports.RevrecConnector``
(the built-in one wraps ``engine/``). It must never import another service, and ``engine/`` must never
import it.

**The book's calendar.** A book closes its periods on one calendar: calendar months, or a 4-4-5, 4-5-4 or
5-4-4 fiscal calendar of 52/53-week years (the 53rd week in period 12). It is deployment configuration
(``REVFLOW_REVREC_CALENDAR`` and the fiscal-year settings, see ``settings``), recorded with the book when it is
first opened; a deployment stating another calendar for an existing book refuses to start, because closed
periods cannot be re-cut. Nothing is substituted silently: every contract states the book's calendar in its
convention (a different one is refused with a 422 naming ``convention.calendar``), is stored with the
calendar's fiscal year resolved, and every period on the wire carries its dates. In a fiscal book
``accounting_period`` keeps the ``YYYY-MM`` form v1 promised but means the fiscal year and period number
(``2026-01`` is ``FY2026-P01``), and ``fiscal_period`` carries the label beside it; the period routes take
either form (``/periods/2026-01``, ``/fiscal-periods/FY2026-P01``), and ``GET /v1/calendar`` lists a year's
periods. Previews and verifications are stateless and may use any calendar.

**Later exchange rates.** A foreign-currency contract's rate table grows by appending (``POST
/v1/contracts/{id}/exchange-rates``): in date order, never a second value for a date, never inside a closed
period; a repeated rate is a no-op. Functional-currency journals and balances always convert at the rate in
force on each day, so a month-end closing rate added later remeasures that month's receivable and contract
asset.
"""

__all__: list[str] = []

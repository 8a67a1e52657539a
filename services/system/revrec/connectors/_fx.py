"""A foreign-currency contract booked in its functional currency (pure).

The engine's ``functional_ledger`` over the contract's billings, its recognised revenue and a remeasurement at
every period end.

Events of one day are taken in this order: revenue recognised, invoices, credit notes, payments, then the
period-end remeasurement (on the last day of every period of the contract's calendar, at the rate in force
that day: the closing rate when one was given for it, at registration or later). Ratable revenue is recognised
on the last day of its period; a point-in-time obligation's revenue on the day control transferred (when its
line is in that day's period).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from contracts.revenue import RecognitionPattern
from services.system.revrec import engine as eng
from services.system.revrec.connectors._calendar import Calendar, convention_calendar
from services.system.revrec.connectors._store import ContractRecord
from services.system.revrec.connectors._terms import rate_table
from services.system.revrec.errors import field_error

__all__ = ["ledger_through"]

_RANK = {eng.FxEventKind.RECOGNITION: 0, eng.FxEventKind.INVOICE: 1, eng.FxEventKind.CREDIT_NOTE: 2,
         eng.FxEventKind.PAYMENT: 3, eng.FxEventKind.REMEASURE: 4}


def _recognition(record: ContractRecord, cal: Calendar) -> dict[date, int]:
    out: dict[date, int] = {}
    for o in record.obligations:
        ob = o.obligation
        transfer = (ob.satisfied_on or ob.start_date) if ob.pattern is RecognitionPattern.POINT_IN_TIME else None
        for line in o.lines:
            period = cal.period(line.period)
            on = transfer if transfer is not None and period.start <= transfer < period.end \
                else period.end - timedelta(days=1)
            out[on] = out.get(on, 0) + line.amount
    return out


def _period_ends(first: date, last: date, cal: Calendar) -> Iterable[date]:
    period = cal.period_of(first)
    while period.start <= last:
        yield period.end - timedelta(days=1)
        period = cal.period_of(period.end)


def ledger_through(record: ContractRecord, billing: list[eng.BillingEvent], period: str) -> eng.FxLedger:
    """The functional-currency books of ``record`` through the end of ``period``.

    Raises:
        RevrecRuleError: Revenue reversed on a day (a net negative recognition), which this ledger cannot book.
    """
    assert record.functional_currency is not None
    cal = convention_calendar(record.convention)
    end = cal.last_day(period)
    events = []
    for on, amount in _recognition(record, cal).items():
        if amount < 0 and on <= end:
            raise field_error("functional_currency", f"revenue is reversed on {on}; a net reversal cannot be booked "
                              "in the functional currency", rule=True)
        if amount and on <= end:
            events.append(eng.FxEvent(kind=eng.FxEventKind.RECOGNITION, on=on, amount=amount))
    events += [eng.FxEvent(kind=eng.FxEventKind(b.kind.value), on=b.on, amount=b.amount)
               for b in billing if b.on <= end]
    if events:
        first = min(e.on for e in events)
        events += [eng.FxEvent(kind=eng.FxEventKind.REMEASURE, on=d) for d in _period_ends(first, end, cal)]
    events.sort(key=lambda e: (e.on, _RANK[e.kind]))
    rates = rate_table(record.currency, record.functional_currency, record.exchange_rates)
    try:
        return eng.functional_ledger(rates=rates, events=events, calendar=cal.engine)
    except eng.EngineError as exc:
        raise field_error("exchange_rates", exc.reason, rule=True) from None

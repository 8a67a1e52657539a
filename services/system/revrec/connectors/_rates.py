"""Exchange rates added to a foreign-currency contract after registration (pure).

Month-end closing rates usually arrive after a contract is registered. They are appended to the contract's
rate table, which stays in strictly increasing date order, so every conversion still takes the rate in force
on its day (IAS 21.21-23, ASC 830-20-30): a closing rate added for 31 March remeasures the receivable and
contract asset at 31 March, and every later event until the next rate converts at it. Advances already in
deferred revenue keep their historical rates (non-monetary).

Rules, each refusal naming the request field:

* a rate the contract already has (same date, same value, however written) is accepted again and changes
  nothing, so a retried or repeated feed is harmless;
* another value for a date that has a rate is refused (422): a rate once used is never silently replaced;
* a rate dated before the contract's latest rate, or not after the previous rate of the request, is refused
  (422): inserting one would reprice events already converted at the later rate;
* a rate dated in a closed period is refused (422): the period's remeasurement is final, and a closed
  period is never restated.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.system.revrec.connectors._convert import check_date
from services.system.revrec.connectors._store import ContractRecord
from services.system.revrec.errors import field_error
from services.system.revrec.schemas import ExchangeRatesV1, ExchangeRateV1

__all__ = ["merge_rates"]


def _check_new(rate: ExchangeRateV1, path: str, latest: date, closed: tuple[date, str] | None) -> None:
    if rate.on < latest:
        raise field_error(f"{path}.on", f"is before the contract's latest rate ({latest}); rates are added in date "
                          "order, since a rate slipped in earlier would reprice events already converted", rule=True)
    if closed is not None and rate.on <= closed[0]:
        raise field_error(f"{path}.on", f"falls in a closed period (closed through {closed[1]}, which ends "
                          f"{closed[0]}); a closed period's remeasurement is never restated", rule=True)


def merge_rates(record: ContractRecord, request: ExchangeRatesV1, closed: tuple[date, str] | None,
                ) -> list[ExchangeRateV1] | None:
    """The contract's rate table with ``request`` appended, or ``None`` when it adds nothing new.

    Args:
        record: The contract.
        request: The rates to add, in increasing date order.
        closed: ``(last day, label)`` of the last closed period of the book, if any.

    Raises:
        RevrecRuleError: No functional currency, another value for a known date, a rate out of date order or
            inside a closed period (422).
        RevrecInputError: A zero rate or a date outside the range the API accepts (400).
    """
    if record.functional_currency is None or not record.exchange_rates:
        raise field_error("rates", "the contract has no functional currency, so it takes no exchange rates",
                          rule=True)
    known = {r.on: r for r in record.exchange_rates}
    latest = record.exchange_rates[-1].on
    added: list[ExchangeRateV1] = []
    previous: date | None = None
    for i, rate in enumerate(request.rates):
        path = f"rates.{i}"
        check_date(rate.on, f"{path}.on")
        if Fraction(rate.rate) <= 0:
            raise field_error(f"{path}.rate", "an exchange rate must be positive")
        if previous is not None and rate.on <= previous:
            raise field_error(f"{path}.on", f"the request's rates must be in increasing date order ({rate.on} is "
                              f"not after {previous})", rule=True)
        previous = rate.on
        same = known.get(rate.on)
        if same is not None:
            if Fraction(same.rate) != Fraction(rate.rate):
                raise field_error(f"{path}.rate", f"the contract already has rate {same.rate} on {rate.on}; a date "
                                  "has one rate, never replaced", rule=True)
            continue
        _check_new(rate, path, latest, closed)
        added.append(rate)
    return [*record.exchange_rates, *added] if added else None

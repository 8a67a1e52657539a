"""Bad input raises a typed error naming the field; never a wrong number."""

from datetime import date

import pytest

from services.system.revrec.engine import (
    AllocationLine,
    Convention,
    InvalidPeriodError,
    Modification,
    ModificationKind,
    NegativeSSPError,
    OverlappingModificationError,
    PointSSP,
    ResidualApproachError,
    UnknownCurrencyError,
    ZeroSSPTotalError,
    allocate,
    ratable_schedule,
    resolve_ssp,
    validate_modifications,
)


def _line(oid, ssp):
    return AllocationLine(obligation_id=oid, ssp=ssp)


def test_negative_ssp():
    with pytest.raises(NegativeSSPError) as err:
        allocate(transaction_price=100, currency="USD", lines=[_line("a", 10), _line("b", -1)])
    assert err.value.field == "lines[1].ssp" and err.value.code == "negative_ssp"
    with pytest.raises(NegativeSSPError):
        resolve_ssp(PointSSP(amount=-5))


def test_zero_ssp_total():
    with pytest.raises(ZeroSSPTotalError) as err:
        allocate(transaction_price=100, currency="USD", lines=[_line("a", 0), _line("b", 0)])
    assert err.value.reason


def test_unknown_currency():
    with pytest.raises(UnknownCurrencyError) as err:
        allocate(transaction_price=100, currency="XYZ", lines=[_line("a", 10)])
    assert err.value.field == "currency"


def test_end_before_start():
    with pytest.raises(InvalidPeriodError) as err:
        ratable_schedule(
            obligation_id="o",
            amount=100,
            currency="USD",
            start=date(2024, 2, 1),
            end=date(2024, 1, 1),
            convention=Convention(),
        )
    assert err.value.field == "end"


def test_overlapping_modifications():
    a = Modification(version=2, effective=date(2024, 3, 1), kind=ModificationKind.PROSPECTIVE, obligation_id="o")
    b = Modification(version=3, effective=date(2024, 2, 1), kind=ModificationKind.PROSPECTIVE, obligation_id="o")
    with pytest.raises(OverlappingModificationError):
        validate_modifications([a, b])
    with pytest.raises(OverlappingModificationError):
        validate_modifications([a, a])
    same_day = Modification(version=3, effective=date(2024, 3, 1), kind=ModificationKind.PROSPECTIVE,
                            obligation_id="o")
    validate_modifications([a, same_day])  # a further change from the same day on


def test_residual_with_nothing_left():
    with pytest.raises(ResidualApproachError):
        allocate(
            transaction_price=100,
            currency="USD",
            lines=[_line("a", 100), AllocationLine(obligation_id="r", residual=True)],
        )

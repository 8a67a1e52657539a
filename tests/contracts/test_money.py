"""Money: the exponent table, exact parsing and formatting, currency-safe arithmetic, exact allocation."""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.money import (
    CURRENCY_EXPONENTS,
    CurrencyMismatchError,
    Money,
    UnknownCurrencyError,
    exponent,
)

CODES = sorted(CURRENCY_EXPONENTS)


class TestExponent:
    # Facts from ISO 4217 list one, written here independently of the table under test.
    @pytest.mark.parametrize(
        ("code", "digits"),
        [("JPY", 0), ("KRW", 0), ("ISK", 0), ("CLP", 0), ("VND", 0), ("XAF", 0), ("XOF", 0), ("XPF", 0),
         ("USD", 2), ("EUR", 2), ("GBP", 2), ("CHF", 2), ("INR", 2), ("MGA", 2), ("MRU", 2),
         ("BHD", 3), ("KWD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3), ("IQD", 3), ("LYD", 3),
         ("CLF", 4), ("UYW", 4)],
    )
    def test_iso_4217_minor_units(self, code: str, digits: int) -> None:
        assert exponent(code) == digits

    @pytest.mark.parametrize("code", ["XAU", "XDR", "XTS", "XXX", "usd", "US", "USDX", "HRK", "ABC", ""])
    def test_unknown_or_unit_less_codes_are_refused(self, code: str) -> None:
        with pytest.raises(UnknownCurrencyError, match="unknown ISO 4217"):
            exponent(code)

    def test_unknown_currency_is_a_value_error(self) -> None:
        assert issubclass(UnknownCurrencyError, ValueError)

    def test_table_is_large_and_well_formed(self) -> None:
        assert len(CURRENCY_EXPONENTS) > 150
        assert all(len(c) == 3 and c.isascii() and c.isupper() for c in CURRENCY_EXPONENTS)
        assert set(CURRENCY_EXPONENTS.values()) == {0, 2, 3, 4}

    def test_table_is_read_only(self) -> None:
        with pytest.raises(TypeError):
            CURRENCY_EXPONENTS["ZZZ"] = 2  # type: ignore[index]


class TestConstruction:
    def test_serialises_as_minor_units_and_code(self) -> None:
        assert msgspec.json.encode(Money.parse("12.34", "USD")) == b'{"amount_minor":1234,"currency":"USD"}'

    @pytest.mark.parametrize("amount", [1.5, True, "12", None])
    def test_amount_must_be_an_int(self, amount: object) -> None:
        with pytest.raises(TypeError, match="amount_minor"):
            Money(amount_minor=amount, currency="USD")  # type: ignore[arg-type]

    def test_unknown_currency_refused(self) -> None:
        with pytest.raises(UnknownCurrencyError):
            Money(amount_minor=1, currency="ZZZ")

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b'{"amount_minor": 12.5, "currency": "USD"}', "Expected `int`, got `float`"),
            (b'{"amount_minor": true, "currency": "USD"}', "Expected `int`, got `bool`"),
            (b'{"amount_minor": 1, "currency": "usd"}', r"Invalid enum value 'usd' - at `\$.currency`"),
            (b'{"amount_minor": 1, "currency": "ZZZ"}', r"Invalid enum value 'ZZZ' - at `\$.currency`"),
            (b'{"amount_minor": "1", "currency": "USD"}', "Expected `int`, got `str`"),
        ],
    )
    def test_bad_json_is_a_validation_error(self, raw: bytes, reason: str) -> None:
        with pytest.raises(msgspec.ValidationError, match=reason):
            msgspec.json.decode(raw, type=Money)

    def test_zero(self) -> None:
        assert Money.zero("JPY").amount_minor == 0
        assert Money.zero("JPY").is_zero


class TestParseAndFormat:
    @pytest.mark.parametrize(
        ("text", "currency", "minor"),
        [("12.34", "USD", 1234), ("-0.05", "USD", -5), ("12.3", "USD", 1230), ("12", "USD", 1200),
         ("+7", "EUR", 700), ("1000", "JPY", 1000), ("1.234", "KWD", 1234), ("0.0001", "CLF", 1),
         ("00012.30", "USD", 1230), ("-0", "USD", 0)],
    )
    def test_parse(self, text: str, currency: str, minor: int) -> None:
        assert Money.parse(text, currency).amount_minor == minor

    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [(1234, "USD", "12.34"), (-5, "USD", "-0.05"), (1000, "JPY", "1000"), (-1000, "JPY", "-1000"),
         (1, "KWD", "0.001"), (0, "USD", "0.00"), (123456, "CLF", "12.3456"), (100, "USD", "1.00")],
    )
    def test_format(self, minor: int, currency: str, text: str) -> None:
        assert Money(amount_minor=minor, currency=currency).format() == text

    def test_str_carries_the_code(self) -> None:
        assert str(Money(amount_minor=-5, currency="USD")) == "-0.05 USD"

    @pytest.mark.parametrize(("text", "currency"), [("12.345", "USD"), ("1.5", "JPY"), ("1.00001", "CLF")])
    def test_too_many_decimals_refused(self, text: str, currency: str) -> None:
        with pytest.raises(ValueError, match=f"decimal places; {currency} allows at most"):
            Money.parse(text, currency)

    @pytest.mark.parametrize(
        "text", ["1e3", "1E-2", "NaN", "nan", "Infinity", "-inf", "", " 1.00", "1.00 ", "1,000.00", "1_000",
                 ".5", "5.", "--1", "0x10", "١٢", "12.34.5"],
    )
    def test_non_plain_decimals_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="not a plain decimal"):
            Money.parse(text, "USD")

    @pytest.mark.parametrize("value", [12.34, 12, None])
    def test_non_strings_refused(self, value: object) -> None:
        with pytest.raises(TypeError, match="decimal string"):
            Money.parse(value, "USD")  # type: ignore[arg-type]

    def test_unknown_currency_refused(self) -> None:
        with pytest.raises(UnknownCurrencyError):
            Money.parse("1.00", "XAU")

    @given(minor=st.integers(min_value=-(10**15), max_value=10**15), currency=st.sampled_from(CODES))
    def test_format_parse_round_trip(self, minor: int, currency: str) -> None:
        money = Money(amount_minor=minor, currency=currency)
        assert Money.parse(money.format(), currency) == money

    @given(whole=st.integers(min_value=0, max_value=10**12), currency=st.sampled_from(CODES), data=st.data())
    def test_parse_format_round_trip(self, whole: int, currency: str, data: st.DataObject) -> None:
        digits = exponent(currency)
        fraction = data.draw(st.text("0123456789", min_size=digits, max_size=digits))
        text = f"{whole}.{fraction}" if digits else str(whole)
        assert Money.parse(text, currency).format() == text


class TestArithmetic:
    def test_add_sub_neg_abs(self) -> None:
        a, b = Money.parse("10.00", "USD"), Money.parse("2.50", "USD")
        assert (a + b).amount_minor == 1250
        assert (a - b).amount_minor == 750
        assert (b - a).amount_minor == -750
        assert (-a).amount_minor == -1000
        assert abs(b - a).amount_minor == 750

    def test_multiply_by_int_both_sides(self) -> None:
        price = Money.parse("0.07", "USD")
        assert (price * 3).amount_minor == 21
        assert (3 * price).amount_minor == 21

    @pytest.mark.parametrize("factor", [1.5, True, Fraction(1, 2), "2"])
    def test_multiply_refuses_non_int(self, factor: object) -> None:
        with pytest.raises(TypeError, match="only be multiplied by an int"):
            Money.parse("1.00", "USD") * factor  # type: ignore[operator]

    def test_comparisons(self) -> None:
        small, big = Money.parse("1.00", "USD"), Money.parse("1.01", "USD")
        assert small < big and small <= big and big > small and big >= small
        assert not (big < small) and small <= Money.parse("1", "USD")

    @pytest.mark.parametrize("op", ["add", "sub", "lt", "le", "gt", "ge"])
    def test_mixing_currencies_raises(self, op: str) -> None:
        usd, eur = Money.parse("1.00", "USD"), Money.parse("1.00", "EUR")
        with pytest.raises(CurrencyMismatchError, match="USD and EUR"):
            getattr(usd, f"__{op}__")(eur)

    def test_equal_amounts_in_different_currencies_are_not_equal(self) -> None:
        assert Money.parse("1.00", "USD") != Money.parse("1.00", "EUR")

    def test_adding_a_plain_number_is_a_type_error(self) -> None:
        with pytest.raises(TypeError):
            Money.parse("1.00", "USD") + 1  # type: ignore[operator]

    def test_total(self) -> None:
        amounts = [Money.parse(x, "KWD") for x in ("1.001", "2.002", "-0.003")]
        assert Money.total(amounts, "KWD") == Money(amount_minor=3000, currency="KWD")
        assert Money.total([], "JPY").is_zero
        with pytest.raises(CurrencyMismatchError):
            Money.total([Money.parse("1", "JPY")], "USD")


class TestAllocate:
    def test_three_way_split_of_a_dollar(self) -> None:
        parts = Money.parse("1.00", "USD").allocate([1, 1, 1])
        assert [p.amount_minor for p in parts] == [34, 33, 33]

    def test_largest_remainder_not_first_part(self) -> None:
        # Exact shares of 10 by 1:2:4 are 1.43, 2.86, 5.71: floors 1+2+5=8; the 2 leftover units go to the
        # largest remainders (.86 and .71), not to the first parts.
        parts = Money(amount_minor=10, currency="JPY").allocate([1, 2, 4])
        assert [p.amount_minor for p in parts] == [1, 3, 6]

    def test_fraction_weights(self) -> None:
        parts = Money.parse("100.00", "USD").allocate([Fraction(1, 3), Fraction(2, 3)])
        assert [p.amount_minor for p in parts] == [3333, 6667]

    def test_negative_amount_mirrors_positive(self) -> None:
        parts = Money.parse("-1.00", "USD").allocate([1, 1, 1])
        assert [p.amount_minor for p in parts] == [-34, -33, -33]

    @pytest.mark.parametrize(
        ("weights", "error", "match"),
        [([], ValueError, "must not be empty"), ([0, 0], ValueError, "must not all be zero"),
         ([1, -1], ValueError, r"weights\[1\]: must not be negative"), ([0.5, 0.5], TypeError, "int or Fraction"),
         ([True, 1], TypeError, "int or Fraction")],
    )
    def test_bad_weights_refused(self, weights: list[object], error: type[Exception], match: str) -> None:
        with pytest.raises(error, match=match):
            Money.parse("1.00", "USD").allocate(weights)  # type: ignore[arg-type]

    @given(
        minor=st.integers(min_value=-(10**12), max_value=10**12),
        weights=st.lists(
            st.one_of(st.integers(min_value=0, max_value=10**6),
                      st.fractions(min_value=0, max_value=1000, max_denominator=997)),
            min_size=1, max_size=12,
        ).filter(lambda ws: any(w > 0 for w in ws)),
    )
    def test_parts_sum_exactly_and_stay_within_one_unit(self, minor: int, weights: list[int | Fraction]) -> None:
        money = Money(amount_minor=minor, currency="USD")
        parts = money.allocate(weights)
        assert len(parts) == len(weights)
        assert sum(p.amount_minor for p in parts) == minor
        total = sum(Fraction(w) for w in weights)
        for part, weight in zip(parts, weights, strict=True):
            exact = Fraction(minor) * Fraction(weight) / total
            assert abs(part.amount_minor - exact) < 1
            if weight == 0:
                assert part.amount_minor == 0
            assert part.currency == "USD"

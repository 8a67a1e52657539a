"""Ledger: a journal entry exists only balanced, per currency, with at least two positive lines."""

from __future__ import annotations

import re
from datetime import date

import msgspec
import pytest

from contracts.ledger import EntrySide, GlAccountRef, JournalEntry, JournalLine
from contracts.money import Money
from tests.contracts.contract_samples import journal

DEBIT, CREDIT = EntrySide.DEBIT, EntrySide.CREDIT


def line(side: EntrySide, text: str, currency: str = "USD", account: str = "4000") -> JournalLine:
    return JournalLine(account=GlAccountRef(number=account), side=side, amount=Money.parse(text, currency))


def entry(*lines: JournalLine) -> JournalEntry:
    return JournalEntry(entry_date=date(2025, 1, 31), lines=list(lines))


class TestBalance:
    def test_split_credit_balances(self) -> None:
        e = entry(line(DEBIT, "100.00"), line(CREDIT, "33.33"), line(CREDIT, "66.67"))
        assert e.net_by_currency() == {"USD": 0}
        assert e.totals(CREDIT) == {"USD": Money(amount_minor=10000, currency="USD")}

    def test_unbalanced_entry_refused_with_the_difference(self) -> None:
        with pytest.raises(ValueError, match=r"lines: entry is unbalanced \(USD debits exceed credits by 0.01\)"):
            entry(line(DEBIT, "100.00"), line(CREDIT, "99.99"))

    def test_credit_heavy_entry_refused(self) -> None:
        with pytest.raises(ValueError, match="JPY credits exceed debits by 5"):
            entry(line(DEBIT, "95", "JPY"), line(CREDIT, "100", "JPY"))

    def test_balance_is_per_currency_not_in_total(self) -> None:
        # 100 in each column overall, but USD and EUR each unbalanced: refused, both currencies named.
        with pytest.raises(ValueError, match=re.escape("EUR credits exceed debits by 100.00, USD debits exceed")):
            entry(line(DEBIT, "100.00", "USD"), line(CREDIT, "100.00", "EUR"))

    def test_multi_currency_entry_balanced_in_each(self) -> None:
        e = entry(line(DEBIT, "1.000", "KWD"), line(CREDIT, "1.000", "KWD"),
                  line(DEBIT, "500", "JPY"), line(CREDIT, "500", "JPY"))
        assert e.net_by_currency() == {"KWD": 0, "JPY": 0}

    def test_single_line_refused(self) -> None:
        with pytest.raises(ValueError, match="at least two lines, got 1"):
            entry(line(DEBIT, "0.01"))

    def test_no_lines_refused(self) -> None:
        with pytest.raises(ValueError, match="at least two lines, got 0"):
            entry()

    @pytest.mark.parametrize("text", ["0.00", "-5.00"])
    def test_line_amount_must_be_positive(self, text: str) -> None:
        with pytest.raises(ValueError, match="amount: must be greater than zero"):
            line(DEBIT, text)

    def test_signed_amounts(self) -> None:
        assert line(CREDIT, "2.00").signed.amount_minor == -200
        assert line(DEBIT, "2.00").signed.amount_minor == 200


class TestWire:
    def test_round_trip(self) -> None:
        original = journal()
        assert msgspec.json.decode(msgspec.json.encode(original), type=JournalEntry) == original

    def test_decoding_an_unbalanced_entry_is_a_validation_error(self) -> None:
        doc = msgspec.json.decode(msgspec.json.encode(journal()))
        doc["lines"][1]["amount"]["amount_minor"] = 6666
        raw = msgspec.json.encode(doc)
        with pytest.raises(msgspec.ValidationError, match="lines: entry is unbalanced"):
            msgspec.json.decode(raw, type=JournalEntry)

    def test_decoding_one_line_is_refused_by_the_schema(self) -> None:
        doc = msgspec.json.decode(msgspec.json.encode(journal()))
        doc["lines"] = doc["lines"][:1]
        with pytest.raises(msgspec.ValidationError, match=r"length >= 2 - at `\$.lines`"):
            msgspec.json.decode(msgspec.json.encode(doc), type=JournalEntry)

    def test_unknown_side_refused(self) -> None:
        doc = msgspec.json.decode(msgspec.json.encode(journal()))
        doc["lines"][0]["side"] = "both"
        with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 'both' - at `\$.lines\[0\].side`"):
            msgspec.json.decode(msgspec.json.encode(doc), type=JournalEntry)

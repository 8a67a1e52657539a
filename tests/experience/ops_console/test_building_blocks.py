"""The console's pure building blocks: passwords, roles, amounts, charts, revenue shaping, redirects."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from services.experience.ops_console import charts
from services.experience.ops_console.access import may
from services.experience.ops_console.formatting import age, compact, label, money
from services.experience.ops_console.passwords import DEV_USERS, hash_password, verify_password
from services.experience.ops_console.service._revenue import revenue, revenue_csv
from services.experience.ops_console.views._web import safe_next
from tests.experience.ops_console.harness import PASSWORDS

SVG = "{http://www.w3.org/2000/svg}"


class TestPasswords:
    def test_a_hash_verifies_its_password_only(self):
        stored = hash_password("correct horse", n=2**10)
        assert verify_password("correct horse", stored)
        assert not verify_password("correct horsE", stored)
        assert hash_password("correct horse", n=2**10) != stored  # salted

    @pytest.mark.parametrize("stored", ["", "plain", "scrypt$1$8$1$AA$AA", "md5$16384$8$1$AA$AA",
                                        "scrypt$16384$8$1$!!$AA", "scrypt$99999999$8$1$AA$AA"])
    def test_malformed_or_foreign_hashes_match_nothing(self, stored):
        assert not verify_password("anything", stored)

    def test_the_documented_dev_passwords_are_the_dev_users_passwords(self):
        for user in DEV_USERS:
            assert verify_password(PASSWORDS[user.username], user.password_hash), user.username


class TestRoles:
    @pytest.mark.parametrize(("roles", "action", "owner", "allowed"), [
        (["finance_ops"], "resume", "integration", True),
        (["finance_ops"], "cancel", "sales_ops", True),
        (["sales_ops"], "resume", "sales_ops", True),
        (["sales_ops"], "resume", "finance_ops", False),
        (["sales_ops"], "cancel", "sales_ops", False),
        (["billing_ops"], "retry", "billing_ops", True),
        (["billing_ops"], "replay", None, True),
        (["billing_ops"], "close_period", None, False),
        (["viewer"], "resume", "finance_ops", False),
        (["viewer"], "replay", None, False),
        ([], "resume", None, False),
    ])
    def test_the_table(self, roles, action, owner, allowed):
        assert may(roles, action, owner) is allowed


class TestAmounts:
    @pytest.mark.parametrize(("minor", "currency", "text"), [
        (123456, "USD", "USD 1,234.56"), (-5, "USD", "USD -0.05"), (1000, "JPY", "JPY 1,000"),
        (1234567, "KWD", "KWD 1,234.567"), (0, "EUR", "EUR 0.00"), (None, "USD", "-")])
    def test_money_uses_the_currency_exponent(self, minor, currency, text):
        assert money(minor, currency) == text

    def test_compact_axis_labels_and_words(self):
        assert (compact(1_250_000, "USD"), compact(-250_000_00, "USD"), compact(0, "USD")) == ("12.5k", "-250k", "0")
        assert label("awaiting_erp_posting") == "Awaiting ERP posting" and label("erp_invoice_id") == "ERP invoice id"
        assert (age(59), age(3_700), age(90_000)) == ("59 s", "1 h 1 min", "1 d 1 h")


class TestCharts:
    def _parse(self, markup: str) -> ET.Element:
        return ET.fromstring(str(markup))

    def test_bars_are_valid_svg_with_a_title_a_description_and_a_mark_per_value(self):
        svg = self._parse(charts.bars("c1", "Flows <USD>", "Two periods", ["2025-01", "2025-02"],
                                      [charts.Series("Bookings", "#000", [100, -50]),
                                       charts.Series("Billings", "#111", [0, 75])], str, str))
        assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-t c1-d"
        assert svg.find(f"{SVG}title").text == "Flows <USD>"
        marks = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
        assert [m.find(f"{SVG}title").text for m in marks] == [
            "2025-01 Bookings: 100", "2025-01 Billings: 0", "2025-02 Bookings: -50", "2025-02 Billings: 75"]

    def test_a_bridge_floats_deltas_from_the_running_total(self):
        steps = [charts.Step("Opening", 100, "total"), charts.Step("Billed", 50), charts.Step("Recognised", -30),
                 charts.Step("Closing", 120, "total")]
        svg = self._parse(charts.bridge("b", "Roll-forward", "d", steps, str, str))
        bars = {r.find(f"{SVG}title").text.split(":")[0]: r for r in svg.iter(f"{SVG}rect")
                if r.find(f"{SVG}title") is not None}

        def span(name: str) -> tuple[float, float]:
            top, height = float(bars[name].get("y")), float(bars[name].get("height"))
            return round(top, 1), round(top + height, 1)

        assert span("Billed")[1] == span("Opening")[0]  # the delta stands on the opening balance
        assert span("Recognised")[0] == span("Billed")[0]  # and the decrease hangs from the new total
        assert bars["Recognised"].get("fill") == charts.COLOURS["down"]


class TestRevenueShaping:
    def test_the_roll_forward_opens_with_the_period_before_the_range(self):
        metrics = {"deals": 2, "currencies": [{"currency": "USD", "periods": [
            {"period": "2024-12", "bookings": 9, "billings": 9, "recognized_revenue": 9, "deferred_revenue": 400,
             "arr": 1200},
            {"period": "2025-01", "bookings": 1200, "billings": 300, "recognized_revenue": 100,
             "deferred_revenue": 600, "arr": 1200},
            {"period": "2025-02", "bookings": 0, "billings": 0, "recognized_revenue": 100, "deferred_revenue": 490,
             "arr": 1200}]}]}
        report = revenue(metrics, "2025-01", "2025-02", datetime(2025, 3, 1, tzinfo=UTC))
        [usd] = report.currencies
        assert [p.period for p in usd.periods] == ["2025-01", "2025-02"]
        assert (usd.bookings, usd.billings, usd.recognized, usd.deferred, usd.arr) == (1200, 300, 200, 490, 1200)
        rf = usd.roll_forward
        assert (rf.opening, rf.billings, rf.recognized, rf.closing) == (400, 300, 200, 490)
        assert rf.opening + rf.billings - rf.recognized + rf.other == rf.closing and rf.other == -10
        csv = revenue_csv(report, lambda code: 2)
        assert csv.splitlines()[1:] == ["USD,2025-01,12.00,3.00,1.00,6.00,12.00",
                                        "USD,2025-02,0.00,0.00,1.00,4.90,12.00"]


class TestRedirects:
    @pytest.mark.parametrize(("target", "expected"), [
        ("/deals/006A?x=1", "/deals/006A?x=1"), ("//evil.example", "/pipeline"), ("https://evil.example/", "/pipeline"),
        ("/\\evil.example", "/pipeline"), ("javascript:alert(1)", "/pipeline"), ("", "/pipeline"), (None, "/pipeline")])
    def test_only_local_paths(self, target, expected):
        assert safe_next(target) == expected

"""Parties and catalogue: addresses, contacts, prices (flat or tiered) and billing frequencies."""

from __future__ import annotations

import re

import msgspec
import pytest

from contracts.catalog import BillingFrequency, Price, PriceTier, TierMode
from contracts.common import System
from contracts.money import CurrencyMismatchError, UnknownCurrencyError
from contracts.parties import Contact, ContactRole, Customer
from tests.contracts.contract_samples import customer, usd


class TestCustomer:
    def test_round_trip_keeps_external_ids_by_system_role(self) -> None:
        raw = msgspec.json.encode(customer())
        assert b'"external_ids":{"billing":"cus_123","erp":"C-77"}' in raw
        back = msgspec.json.decode(raw, type=Customer)
        assert back.external_ids[System.ERP] == "C-77"
        assert back == customer()

    def test_unknown_system_key_refused(self) -> None:
        doc = msgspec.to_builtins(customer())
        doc["external_ids"] = {"salesforce": "001"}
        reason = r"Invalid enum value 'salesforce' - at `key` in `\$.external_ids`"
        with pytest.raises(msgspec.ValidationError, match=reason):
            msgspec.convert(doc, Customer)

    def test_bad_country_refused(self) -> None:
        doc = msgspec.to_builtins(customer())
        doc["billing_address"]["country"] = "USA"
        with pytest.raises(msgspec.ValidationError, match=r"`\$.billing_address.country`"):
            msgspec.convert(doc, Customer)

    def test_unknown_currency_refused(self) -> None:
        with pytest.raises(UnknownCurrencyError):
            msgspec.structs.replace(customer(), currency="ABC")

    def test_duplicate_contact_email_refused_case_insensitively(self) -> None:
        contacts = [Contact(name="A", email="ada@acme.test"), Contact(name="B", email="ADA@acme.test")]
        with pytest.raises(ValueError, match=re.escape("contacts[].email: duplicate")):
            msgspec.structs.replace(customer(), contacts=contacts)

    def test_contact_for_role(self) -> None:
        assert customer().contact_for(ContactRole.BILLING) is not None
        assert customer().contact_for(ContactRole.LEGAL) is None


class TestPrice:
    def _tiers(self, *bounds: int | None) -> list[PriceTier]:
        return [PriceTier(up_to=b, unit_amount=usd("1.00")) for b in bounds]

    def test_flat_or_tiered_but_not_both(self) -> None:
        with pytest.raises(ValueError, match="unit_amount: set exactly one of unit_amount and tiers"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.USAGE,
                  unit_amount=usd("1.00"), tiers=self._tiers(None), tier_mode=TierMode.GRADUATED)
        with pytest.raises(ValueError, match="set exactly one"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.USAGE)

    def test_tiers_need_a_mode_and_increasing_bounds(self) -> None:
        with pytest.raises(ValueError, match="tier_mode: required"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.USAGE,
                  tiers=self._tiers(100, None))
        with pytest.raises(ValueError, match="up_to must strictly increase"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.USAGE,
                  tiers=self._tiers(100, 100, None), tier_mode=TierMode.VOLUME)
        with pytest.raises(ValueError, match="only the last tier may be unbounded"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.USAGE,
                  tiers=self._tiers(None, 100), tier_mode=TierMode.VOLUME)

    def test_tier_in_another_currency_refused(self) -> None:
        tiers = [PriceTier(up_to=None, unit_amount=usd("1.00"), flat_amount=usd("5.00"))]
        with pytest.raises(CurrencyMismatchError, match=r"tiers\[0\].unit_amount: currency USD differs .* EUR"):
            Price(product_sku="API", currency="EUR", billing_frequency=BillingFrequency.USAGE,
                  tiers=tiers, tier_mode=TierMode.GRADUATED)

    def test_negative_unit_amount_refused(self) -> None:
        with pytest.raises(ValueError, match="unit_amount: must not be negative"):
            Price(product_sku="API", currency="USD", billing_frequency=BillingFrequency.MONTHLY,
                  unit_amount=usd("-1.00"))

    def test_bad_sku_refused_on_decode(self) -> None:
        doc = {"product_sku": " spaced sku", "currency": "USD", "billing_frequency": "monthly",
               "unit_amount": {"amount_minor": 100, "currency": "USD"}}
        with pytest.raises(msgspec.ValidationError, match=r"`\$.product_sku`"):
            msgspec.convert(doc, Price)

    @pytest.mark.parametrize(
        ("frequency", "months"),
        [("monthly", 1), ("quarterly", 3), ("semiannual", 6), ("annual", 12), ("one_time", None), ("usage", None)],
    )
    def test_months_per_period(self, frequency: str, months: int | None) -> None:
        assert BillingFrequency(frequency).months == months

"""What both CRM connectors use: exact decimal money, month arithmetic, a bearer token, the upstream client.

Also the checks that a CRM value fits a canonical field (an email address, a SKU) and how a person's name is split.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Generator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import httpx
from opentelemetry.trace import TracerProvider

from contracts.deals import CustomerContract
from contracts.money import Money, exponent
from contracts.parties import Contact
from services.runtime.http import BreakerPolicy, RetryPolicy, Timeouts, UpstreamClient, UpstreamConfig
from services.system.crm.errors import IncompleteCrmRecord
from services.system.crm.schemas import CatalogItemV1
from services.system.crm.settings import CrmSettings

__all__ = ["BearerToken", "SubResources", "add_months", "decimal_text", "is_email", "is_sku", "line_keys", "money_of",
           "name_parts", "term_end", "upstream", "whole_months"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
"""The canonical ``Contact.email`` pattern."""
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
"""The canonical ``Sku`` pattern."""


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every attempt."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def upstream(name: str, settings: CrmSettings, token: str, tracer_provider: TracerProvider | None) -> UpstreamClient:
    """The resilient client of one CRM, built from the settings (call it in a lifespan)."""
    config = UpstreamConfig(name=name, base_url=settings.vendor_url,
                            timeouts=Timeouts(default=settings.vendor_timeout_seconds),
                            retry=RetryPolicy(max_attempts=settings.vendor_max_attempts),
                            breaker=BreakerPolicy(reset_timeout=settings.circuit_reset_seconds))
    return UpstreamClient(config, auth=BearerToken(token), tracer_provider=tracer_provider)


def money_of(value: object, currency: str, what: str, factor: Decimal = Decimal(1)) -> Money:
    """A CRM decimal amount (a JSON number or a numeric string) times ``factor``, rounded half-even to minor units.

    CRMs store currency as decimals; rounding happens once, here, after any discount factor is applied.
    """
    try:
        amount = Decimal(str(value)) * factor
    except InvalidOperation:
        raise IncompleteCrmRecord(f"{what} is not an amount: {value!r}") from None
    minor = (amount * 10 ** exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Money(amount_minor=int(minor), currency=currency)


def decimal_text(money: Money) -> str:
    """``Money`` as the plain decimal string CRMs store (``1200.00``)."""
    digits = exponent(money.currency)
    return str(Decimal(money.amount_minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole months, clamped to the month's last day."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def term_end(start: date, months: int) -> date:
    """The last day (inclusive) of a term of ``months`` starting on ``start``."""
    return add_months(start, months) - timedelta(days=1)


def line_keys(key: str, count: int) -> list[str]:
    """The external ids of a new opportunity's lines: ``<opportunity key>#<n>``, numbered from 1 in the given order.

    Each CRM holds them in a unique field, so a line inserted twice is refused there instead of duplicated.
    """
    return [f"{key}#{n}" for n in range(1, count + 1)]


def whole_months(start: date, end: date) -> int | None:
    """The term in whole months from ``start`` to ``end`` (inclusive), or None when it is not whole months."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return next((n for n in (months, months + 1) if n >= 1 and term_end(start, n) == end), None)


def is_email(value: object) -> bool:
    """Whether a CRM value is an email address the canonical ``Contact`` accepts."""
    return isinstance(value, str) and len(value) <= 254 and _EMAIL.match(value) is not None


def is_sku(value: object) -> bool:
    """Whether a CRM product code is a canonical SKU."""
    return isinstance(value, str) and _SKU.match(value) is not None


def name_parts(name: str) -> tuple[str | None, str]:
    """A person's name as (first name, last name): the last word is the last name, as both CRMs require one."""
    first, _, last = name.strip().rpartition(" ")
    return first.strip() or None, last


class SubResources:
    """Contacts, the product catalogue and contracts: each connector keeps them in sub-objects of one shape.

    A connector sets ``contacts`` (``upsert``, ``of_account``), ``catalog`` (``items``, ``item``) and ``contracts``
    (``get``, ``of_account``) in its constructor; these methods are its port for them.
    """

    contacts: Any
    catalog: Any
    contracts: Any

    async def upsert_contact(self, account_key: str, key: str, contact: Contact) -> Contact:
        return await self.contacts.upsert(account_key, key, contact)

    async def list_contacts(self, account_key: str) -> list[Contact]:
        return await self.contacts.of_account(account_key)

    async def list_products(self) -> list[CatalogItemV1]:
        return await self.catalog.items()

    async def get_product(self, sku: str) -> CatalogItemV1:
        return await self.catalog.item(sku)

    async def get_contract(self, contract_id: str) -> CustomerContract:
        return await self.contracts.get(contract_id)

    async def list_contracts(self, account_key: str) -> list[CustomerContract]:
        return await self.contracts.of_account(account_key)

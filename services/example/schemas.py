"""Request and response bodies of the example service (v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from contracts.parties import EMAIL_PATTERN

__all__ = ["AccountCreate", "AccountPage", "AccountPatch", "AccountView", "Pong"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="Legal name of the account")]
Email = Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=320)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
CreditLimit = Annotated[int, msgspec.Meta(ge=0, le=10**15, description="Credit limit in minor units")]


class AccountCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new account."""

    name: Name
    email: Email
    currency: Currency
    credit_limit_minor: CreditLimit = 0


class AccountPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; absent fields stay as they are."""

    name: Name | None = None
    email: Email | None = None
    credit_limit_minor: CreditLimit | None = None


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    """An account as stored."""

    id: str
    name: str
    email: str
    currency: str
    credit_limit_minor: int
    created_at: datetime
    updated_at: datetime
    version: int


class AccountPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of accounts, oldest first; pass ``next_cursor`` as ``cursor`` for the next."""

    data: list[AccountView]
    next_cursor: str | None = None


class Pong(msgspec.Struct, frozen=True, kw_only=True):
    """Answer of the cheap authenticated route."""

    service: str
    client_id: str

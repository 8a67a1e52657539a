"""Salesforce Contacts <-> the canonical contacts of an account.

A contact belongs to one Account (``AccountId``) and is known by revflow's key in ``Revflow_Id__c``, the org's
unique external id, so a write is an upsert by external id (``PATCH /sobjects/Contact/Revflow_Id__c/{key}``): a
repeat or a retry finds the same record. The canonical name is written as ``FirstName`` and ``LastName`` (its last
word: Salesforce requires a last name) and read back as the org's ``Name``; ``Email`` and ``Phone`` are standard
fields; the roles are the restricted multi-select picklist ``Revflow_Contact_Roles__c`` (``Primary;Billing``) of an
org prepared for revflow, written and read when the org has it (``describe``). ``Email`` is optional in Salesforce,
but a canonical contact is someone finance can write to: a contact without a valid address is left out of the
account's list.
"""

from __future__ import annotations

from typing import Any

from contracts.common import System
from contracts.parties import Contact, ContactRole
from services.runtime.problems import ServiceError
from services.system.crm.connectors._shared import is_email, name_parts
from services.system.crm.connectors.salesforce._wire import SalesforceApi, soql_text
from services.system.crm.errors import CrmNotFound

__all__ = ["ROLES", "SalesforceContacts", "account_id"]

EXTERNAL_ID = "Revflow_Id__c"
ROLES = "Revflow_Contact_Roles__c"
_ROLE_NAMES = {role: role.value.capitalize() for role in ContactRole}
"""Canonical role -> the org's picklist value (``billing`` -> ``Billing``)."""
_ROLES_OF = {name: role for role, name in _ROLE_NAMES.items()}
_COLUMNS = ("Id", "Name", "Email", "Phone", "AccountId", EXTERNAL_ID)


async def account_id(api: SalesforceApi, key: str) -> str:
    """The Salesforce id of the Account known by revflow's ``key`` (``CrmNotFound`` when there is none)."""
    records = await api.query(f"SELECT Id FROM Account WHERE {EXTERNAL_ID} = {soql_text(key)}")
    if not records:
        raise CrmNotFound(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                          code="account_missing")
    return str(records[0]["Id"])


def _fields(contact: Contact, account: str, roles: bool) -> dict[str, Any]:
    first, last = name_parts(contact.name)
    fields: dict[str, Any] = {"AccountId": account, "FirstName": first, "LastName": last, "Email": contact.email,
                              "Phone": contact.phone}
    if roles:
        fields[ROLES] = ";".join(_ROLE_NAMES[r] for r in ContactRole if r in contact.roles) or None
    return fields


def _contact_of(record: dict[str, Any]) -> Contact | None:
    """A Contact record as a canonical contact; None when it has no usable email address."""
    if not is_email(record.get("Email")) or not record.get("Name"):
        return None
    held = {v.strip() for v in str(record.get(ROLES) or "").split(";")}
    ids = {System.CRM: str(record["Id"])}
    if record.get(EXTERNAL_ID):
        ids[System.REVFLOW] = str(record[EXTERNAL_ID])
    return Contact(name=record["Name"], email=record["Email"], phone=record.get("Phone") or None,
                   roles=[role for name, role in _ROLES_OF.items() if name in held], external_ids=ids)


class SalesforceContacts:
    """The contacts of the org's accounts (see the module docstring)."""

    def __init__(self, api: SalesforceApi) -> None:
        self.api = api
        self._roles: bool | None = None

    async def _columns(self) -> tuple[str, ...]:
        if self._roles is None:
            described = await self.api.get("/sobjects/Contact/describe")
            self._roles = any(f.get("name") == ROLES for f in described.get("fields") or [])
        return (*_COLUMNS, ROLES) if self._roles else _COLUMNS

    async def _by_key(self, key: str) -> dict[str, Any] | None:
        records = await self.api.query(f"SELECT {', '.join(await self._columns())} FROM Contact "
                                       f"WHERE {EXTERNAL_ID} = {soql_text(key)}")
        return records[0] if records else None

    async def upsert(self, account_key: str, key: str, contact: Contact) -> Contact:
        """Create or update the contact of ``key`` at the account of ``account_key``."""
        account = await account_id(self.api, account_key)
        found = await self._by_key(key)
        if found is not None and found.get("AccountId") not in (None, account):
            raise ServiceError(f"Contact {found['Id']} already has the revflow key {key!r}, at another account.",
                               slug="conflict", code="contact_key_taken", retryable=False, owner="integration")
        roles = ROLES in await self._columns()
        await self.api.upsert("Contact", EXTERNAL_ID, key, _fields(contact, account, roles))
        stored = _contact_of(await self._by_key(key) or {})
        if stored is None:
            raise CrmNotFound(f"Salesforce does not show contact {key!r} it accepted.", code="contact_missing")
        return stored

    async def of_account(self, account_key: str) -> list[Contact]:
        """Every contact of the account with an email address, revflow's keys in order, then the others by id."""
        account = await account_id(self.api, account_key)
        records = await self.api.query(f"SELECT {', '.join(await self._columns())} FROM Contact "
                                       f"WHERE AccountId = {soql_text(account)} ORDER BY Id")
        found = [c for c in map(_contact_of, records) if c is not None]
        return sorted(found, key=lambda c: (System.REVFLOW not in c.external_ids,
                                            c.external_ids.get(System.REVFLOW, ""), c.external_ids[System.CRM]))

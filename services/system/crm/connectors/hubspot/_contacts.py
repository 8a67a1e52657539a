"""HubSpot contacts <-> the canonical contacts of an account.

A contact is known by revflow's key in the portal's unique ``revflow_external_id`` and written by batch upsert on
it, so a repeat or a retry finds the same record. It belongs to the company through the default (unlabelled)
contact -> company association of associations v4, set on every write (setting it again changes nothing). The
canonical name is written as ``firstname`` and ``lastname`` (its last word) and read back joined; ``email`` and
``phone`` are HubSpot's own; the roles are the multiple-checkboxes property ``revflow_contact_roles``
(``primary;billing``) of a portal prepared for revflow. An empty string clears a property, so a write replaces
what the contact held.

HubSpot keeps one contact per email address: a key whose email another contact already holds is refused (409,
``contact_email_taken``, naming ``email``) instead of being merged into that person. A contact without a valid
email address is left out of the account's list: finance cannot write to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from contracts.common import System
from contracts.parties import Contact, ContactRole
from contracts.problems import FieldError
from services.runtime.problems import ServiceError
from services.system.crm.connectors._shared import is_email, name_parts
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.errors import CrmNotFound, VendorRefused

__all__ = ["HubSpotContacts", "company_id"]

UNIQUE = "revflow_external_id"
ROLES = "revflow_contact_roles"
PROPERTIES = ["firstname", "lastname", "email", "phone", ROLES, UNIQUE]


async def company_id(api: HubSpotApi, key: str) -> str:
    """The HubSpot id of the company known by revflow's ``key`` (``CrmNotFound`` when there is none)."""
    try:
        company = await api.get(f"/crm/v3/objects/companies/{quote(key, safe='')}",
                                [("idProperty", UNIQUE), ("properties", UNIQUE)])
    except CrmNotFound:
        raise CrmNotFound(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                          code="account_missing") from None
    return str(company["id"])


def _properties(contact: Contact) -> dict[str, str]:
    first, last = name_parts(contact.name)
    return {"firstname": first or "", "lastname": last, "email": contact.email, "phone": contact.phone or "",
            ROLES: ";".join(role.value for role in ContactRole if role in contact.roles)}


def _contact_of(record: dict[str, Any]) -> Contact | None:
    """A contact record as a canonical contact; None when it has no usable email address or name."""
    props = record.get("properties") or {}
    name = " ".join(part for part in (props.get("firstname"), props.get("lastname")) if part)
    if not is_email(props.get("email")) or not name:
        return None
    held = set(str(props.get(ROLES) or "").split(";"))
    ids = {System.CRM: str(record["id"])}
    if props.get(UNIQUE):
        ids[System.REVFLOW] = str(props[UNIQUE])
    return Contact(name=name, email=props["email"], phone=props.get("phone") or None,
                   roles=[role for role in ContactRole if role.value in held], external_ids=ids)


class HubSpotContacts:
    """The contacts of the portal's companies (see the module docstring)."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api

    async def upsert(self, account_key: str, key: str, contact: Contact) -> Contact:
        """Create or update the contact of ``key`` at the company of ``account_key``."""
        company = await company_id(self.api, account_key)
        found = await self.api.post("/crm/v3/objects/contacts/batch/read", {
            "idProperty": UNIQUE, "inputs": [{"id": key}], "properties": [UNIQUE]}, repeatable=True)
        for record in found.get("results") or []:
            companies = await self.api.associated("contacts", str(record["id"]), "companies")
            if companies and company not in companies:
                raise ServiceError(f"Contact {record['id']} already has the revflow key {key!r}, at another "
                                   "account.", slug="conflict", code="contact_key_taken", retryable=False,
                                   owner="integration")
        try:
            page = await self.api.post("/crm/v3/objects/contacts/batch/upsert", {"inputs": [
                {"idProperty": UNIQUE, "id": key, "properties": _properties(contact)}]}, repeatable=True)
        except VendorRefused as exc:
            if exc.code != "CONFLICT":
                raise
            raise ServiceError(f"Another HubSpot contact already has the email address {contact.email} (HubSpot "
                               "keeps one contact per address).", slug="conflict", code="contact_email_taken",
                               retryable=False, owner="sales_ops", errors=[FieldError(
                                   field="email", source="body", message="another contact holds this address")],
                               ) from None
        contact_id = str((page.get("results") or [{}])[0]["id"])
        await self.api.put(f"/crm/v4/objects/contacts/{contact_id}/associations/default/companies/{company}")
        stored = _contact_of(await self.api.get(f"/crm/v3/objects/contacts/{contact_id}",
                                                [("properties", p) for p in PROPERTIES]))
        if stored is None:
            raise CrmNotFound(f"HubSpot does not show contact {key!r} it accepted.", code="contact_missing")
        return stored

    async def of_account(self, account_key: str) -> list[Contact]:
        """Every contact of the company with an email address, revflow's keys in order, then the others by id."""
        company = await company_id(self.api, account_key)
        ids = await self.api.associated("companies", company, "contacts")
        records = await self.api.read_batch("contacts", ids, PROPERTIES)
        found = [c for c in map(_contact_of, records) if c is not None]
        return sorted(found, key=lambda c: (System.REVFLOW not in c.external_ids,
                                            c.external_ids.get(System.REVFLOW, ""),
                                            int(c.external_ids[System.CRM])))

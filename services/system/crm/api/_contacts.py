"""Contacts of an account: upserted by their own business key under the account, and listed."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency

from contracts.parties import Contact
from services.runtime.auth.guards import requires
from services.system.crm.api import _examples
from services.system.crm.api._common import SERVICE, AccountKey, ContactKey, actor_of, body
from services.system.crm.schemas import ContactListV1
from services.system.crm.service import CrmService

__all__ = ["ContactController"]


class ContactController(Controller):
    """The people at a CRM account, each known by revflow's business key."""

    path = "/accounts/{key:str}/contacts"
    tags = ["contacts"]
    dependencies = SERVICE

    @put("/{contact_key:str}", operation_id="upsertContactV1", guards=[requires("crm:write")],
         summary="Create or update a contact of the account, by the contact's business key",
         description="Naturally idempotent: an upsert on the CRM's external-id field, so a repeat or a retry "
                     "leaves one contact, linked to the account. The answer is what the CRM now holds, with "
                     "`external_ids.crm` (the CRM's id) and `external_ids.revflow` (the key); `external_ids` sent "
                     "in the body are not written. A key that belongs to a contact of another account is refused "
                     "(409 `contact_key_taken`), and so, on HubSpot, which keeps one contact per email address, is "
                     "an address another contact holds (409 `contact_email_taken`, naming `email`).")
    async def upsert(self, key: AccountKey, contact_key: ContactKey,
                     data: Annotated[Contact, body("Contact", _examples.CONTACT, "ContactUpsert")],
                     service: NamedDependency[CrmService], request: Request[Any, Any, Any]) -> Contact:
        return await service.upsert_contact(key, contact_key, data, actor_of(request))

    @get("/", operation_id="listContactsV1", guards=[requires("crm:read")],
         summary="Every contact of the account (every CRM page read)",
         description="Contacts revflow keeps come first, by key; contacts entered in the CRM follow. A CRM contact "
                     "without a valid email address is not listed: finance cannot write to it.")
    async def list_contacts(self, key: AccountKey, service: NamedDependency[CrmService]) -> ContactListV1:
        return ContactListV1(data=await service.list_contacts(key))

"""The CRM and billing events that start workflows: one workflow per business fact, however often announced."""

from __future__ import annotations

import msgspec

from contracts.deals import Amendment
from contracts.events import new_event
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.triggers import Triggers
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.process.quote_to_cash.workflows.amendment import amendment_key
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace

AMENDED = "revflow.crm.opportunity.amended.v1"


async def test_an_amendment_without_an_id_is_one_workflow_however_it_arrives(redis, key_prefix):
    """Announced twice by the CRM (two events) and sent once by hand with the same content, an amendment without
    an id is one workflow, named as the process API names it; a different option makes it another one."""
    keyspace = KeySpace(key_prefix)
    flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), DEFINITIONS)
    triggers = Triggers(flows)
    amendment = {"opportunity_id": "006AMENDNOID", "effective_date": "2025-04-16", "currency": "USD",
                 "changed_lines": [{"action": "remove", "line_id": "00k000000000001"}]}
    for data in ({"amendment": amendment}, {"amendment": dict(reversed(amendment.items()))},
                 {"amendment": amendment, "proration": "none"}):
        await triggers.on_crm(new_event(type=AMENDED, source="/test", subject="006AMENDNOID", data=data))
    ids = sorted(row.id for row in await flows.store.summaries() if row.kind == "amendment")
    canonical = msgspec.convert(amendment, Amendment)
    expected = sorted([f"amendment:{amendment_key(canonical)}",
                       f"amendment:{amendment_key(canonical, proration='none')}"])
    assert ids == expected and len(set(ids)) == 2
    assert all(i.startswith("amendment:am-") for i in ids)


async def test_a_one_off_invoice_event_starts_the_sync_of_its_deal_and_a_stranger_starts_nothing(redis, key_prefix):
    """A deal of one-time lines has no subscription: the paid event of its invoice is matched by the invoice's id
    (recorded by the activation), and the event of an invoice no deal issued starts nothing."""
    keyspace = KeySpace(key_prefix)
    flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), DEFINITIONS)
    await flows.links.record("006ONEOFF", one_off_invoice_id="in_ONEOFF", customer_key="ACME-1", currency="USD")
    triggers = Triggers(flows)
    for invoice in ({"id": "in_ONEOFF", "subscription_id": None}, {"id": "in_STRANGER", "subscription_id": None}):
        await triggers.on_billing(new_event(type="revflow.billing.invoice.paid.v1", source="/test",
                                            subject=invoice["id"], data={"invoice": invoice}))
    rows = [(row.id, row.subject) for row in await flows.store.summaries() if row.kind == "invoice_sync"]
    assert rows == [("invoice_sync:in_ONEOFF:paid", "006ONEOFF")]
    assert await flows.links.deals() == ["006ONEOFF"]

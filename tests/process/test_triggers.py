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

"""Journal entries (refused unless balanced) and read-only SuiteQL queries."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from contracts.ledger import JournalEntry
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.system.erp.api import _examples
from services.system.erp.api._common import KEYED, SERVICE, body, caller_of
from services.system.erp.schemas import JournalEntryCreateV1, QueryResultV1, QueryV1
from services.system.erp.service import ErpService

__all__ = ["JournalEntryController", "QueryController"]


class JournalEntryController(Controller):
    """General-ledger journal entries."""

    path = "/journal-entries"
    tags = ["journal entries"]
    dependencies = SERVICE

    @post("/", operation_id="postJournalEntryV1", guards=[requires("erp:write")], opt=KEYED,
          summary="Post a balanced journal entry (requires Idempotency-Key)",
          description="An entry whose debits and credits differ is refused with a 422 (`journal_unbalanced`) "
                      "before anything reaches the ERP; an unknown account is a master-data exception.")
    async def create(self, data: Annotated[JournalEntryCreateV1, body("Journal entry", _examples.JOURNAL_ENTRY)],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> JournalEntry:
        return await service.post_journal_entry(data, caller_of(request))


class QueryController(Controller):
    """Read-only SuiteQL passthrough."""

    path = "/queries"
    tags = ["queries"]
    dependencies = SERVICE

    @post("/", operation_id="runQueryV1", guards=[requires("erp:read")], opt={IDEMPOTENCY_OPT: "off"},
          status_code=200, summary="Run one read-only SuiteQL SELECT (every page read up to `limit` rows)")
    async def run(self, data: Annotated[QueryV1, body("Query", _examples.QUERY)],
                  service: NamedDependency[ErpService]) -> QueryResultV1:
        return await service.query(data)

"""NetSuite sandbox: a stateful, wire-faithful emulator of SuiteTalk REST (record service v1 + SuiteQL).

Records customer, non-inventory / service / inventory items, account, salesOrder, invoice, creditMemo,
customerPayment and journalEntry with their sublists; POST/PATCH/PUT-upsert answer ``204`` with a
``Location`` header, GET answers NetSuite's record shape (references with ``refName``, sublists on
``expandSubResources=true``), transforms (``salesOrder/{id}/!transform/invoice``...), SuiteQL with joins,
OAuth 1.0a TBA (HMAC-SHA256) verified over the URL the client called, NetSuite's ``o:errorDetails`` error
body, and per-account concurrency governance (429 ``CONCURRENCY_LIMIT_EXCEEDED``). The ``netsuite`` PyPI
package works against it with only its URL builder pointed here.

Never imported by ``services``; imports neither ``services`` nor ``contracts``. Build it with
:func:`create_app`; configure it with :class:`NetSuiteSettings` (``REVFLOW_NETSUITE_*``).
"""

from .app import create_app
from .settings import DEV_SETTINGS, NetSuiteSettings

__all__ = ["DEV_SETTINGS", "NetSuiteSettings", "create_app"]

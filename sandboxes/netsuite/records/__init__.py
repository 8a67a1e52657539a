"""The record service's model: record types, the in-memory store, body parsing, business rules, rendering."""

from .business import Ledger, derived, finish, invoice_remaining
from .render import collection, ref_name, render_record, render_sublist
from .store import SEED_ACCOUNTS, NetSuiteState
from .types import RECORD_TYPES, RecordType, canonical_type
from .values import Parsed, parse_body

__all__ = [
    "RECORD_TYPES",
    "SEED_ACCOUNTS",
    "Ledger",
    "NetSuiteState",
    "Parsed",
    "RecordType",
    "canonical_type",
    "collection",
    "derived",
    "finish",
    "invoice_remaining",
    "parse_body",
    "ref_name",
    "render_record",
    "render_sublist",
]

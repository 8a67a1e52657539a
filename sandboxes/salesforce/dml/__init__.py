"""Record writes (DML): create, update, delete, upsert by external id, and the wire shape of a record.

Owns validation, coercion and the org's save-time rules; never parses HTTP and never sends anything
(stage-change events are queued on the state for the app to deliver).
"""

from ._coerce import coerce, format_datetime, parse_datetime
from ._shape import record_url, wire_record
from ._write import MultipleMatches, create, delete, update, upsert

__all__ = ["MultipleMatches", "coerce", "create", "delete", "format_datetime", "parse_datetime", "record_url",
           "update", "upsert", "wire_record"]

"""The quote-to-cash process API and its workers: durable, idempotent finance workflows."""

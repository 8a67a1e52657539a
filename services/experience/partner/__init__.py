"""The partner API: what partners build on, scoped to each partner's tenant.

Owns: order submission (a deal and its activation, through the quote-to-cash process API), usage reporting,
the tenant's customers, subscriptions, invoices and credit notes with cursor pagination, signed webhooks fed
by the process tier's events, per-client rate limits shared by every replica, and the ``/v1`` (deprecated)
and ``/v2`` majors with their documentation at ``/docs``.

It keeps its own tenant index in Redis (which orders, deals, customers and invoices belong to which tenant),
because it is the one that submitted them: every read is scoped by the token's ``tenant`` through that index,
so a partner can never see or touch another tenant's data, whatever ids it guesses.

It must never call a system API or a vendor, never import another service (only ``services.runtime`` and
``contracts``), and never answer with another tenant's data: an id it cannot find in the caller's tenant is a
404, the same answer as an id that does not exist.
"""

"""Chargebee sandbox: a stateful, wire-faithful emulator of Chargebee API v2 with Product Catalog 2.0.

The quote-to-cash slice: customers, item families, items (plan, addon, charge) and item prices (flat fee,
per unit, tiered, volume, stairstep), subscriptions for items with second-exact proration on change and
cancellation at term end (and its removal), backdated ``specific_date`` changes, pending invoices and their
closing, cards on the test gateway charged by automatic collection, invoices with offline payments and voids,
adjustment and refundable credit notes with refunds, metered usages billed in arrears, the time machine
that bills renewals, and events delivered to a webhook URL protected by HTTP Basic credentials. Basic auth
with the site API key, indexed bracket forms, the ``chargebee-idempotency-key`` header and Chargebee's error
bodies follow Chargebee, so the official ``chargebee`` SDK works with only its site and domain pointed here.

Never imported by ``services``; imports neither ``services`` nor ``contracts``. Build it with
:func:`create_app`.
"""

from .app import create_app

__all__ = ["create_app"]

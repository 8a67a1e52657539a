"""The billing system API: one canonical API over the configured billing vendor (Stripe or Chargebee).

It owns customers in billing, catalogue sync (products and prices), subscriptions and their amendments,
renewals and cancellations, invoices, credit notes, refunds, usage, and inbound billing webhooks
republished as CloudEvents. It is the only code that knows which billing vendor runs; vendor payload shapes
never leave ``connectors/``. It must never call another revflow service or import one.
"""

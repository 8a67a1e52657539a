"""The CRM system API: one canonical API over the configured CRM (Salesforce or HubSpot).

It owns accounts and their contacts, the product catalogue (read only), opportunities and their signed amendments,
and the customer contracts won deals produced, as the CRM holds them (and creates the deal of an order booked
outside the CRM, so the CRM stays the system of record for bookings), finds closed deals by
push (Salesforce Outbound Messages, HubSpot signed webhooks) and by pull (incremental queries with
watermarks in Redis), publishes ``revflow.crm.opportunity.closed_won.v1``, ``renewed.v1``, ``amended.v1`` and
``lost.v1`` once per business change (``publisher`` says which is which), and writes finance status back to
the CRM record. It is the only code that knows which CRM runs; vendor payload shapes never leave
``connectors/``. It must never call another revflow service or import one.
"""

"""The CRM system API: one canonical API over the configured CRM (Salesforce or HubSpot).

It owns accounts and opportunities as the CRM holds them, finds closed-won deals by push (Salesforce
Outbound Messages, HubSpot signed webhooks) and by pull (an incremental query with a watermark in Redis),
publishes ``revflow.crm.opportunity.closed_won.v1`` once per business change, and writes finance status
back to the CRM record. It is the only code that knows which CRM runs; vendor payload shapes never leave
``connectors/``. It must never call another revflow service or import one.
"""

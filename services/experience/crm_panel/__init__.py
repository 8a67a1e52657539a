"""The CRM panel: a deal's finance status as a CRM record page shows it (Salesforce Lightning, HubSpot card).

Owns two read-only shapes of one panel (finance status, subscription, next invoice, amounts billed / paid /
recognised, open exceptions with their owner), the HubSpot request-signature check, the CORS allow-list of
CRM origins, and a short per-deal cache in Redis that the process tier's workflow events invalidate.

It must never call a system API or a vendor, nor import another service: everything it shows comes from the
quote-to-cash process API over HTTP and from the process tier's events.
"""

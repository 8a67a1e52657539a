"""HubSpot sandbox: a stateful, wire-faithful emulator of the HubSpot CRM v3 slice quote-to-cash uses.

Companies, contacts, deals, products and line items with string-valued properties, basic and batch routes
(read/create/update/upsert/archive), CRM search (filter groups, operators, sorts, ``after`` paging),
associations v4, the default deal pipeline, private-app bearer auth, HubSpot's error bodies and
``X-HubSpot-RateLimit-*`` headers, and webhook batches signed with ``X-HubSpot-Signature-v3``. The official
``hubspot-api-client`` works against it with only its ``host`` changed.

Never imported by ``services``; imports neither ``services`` nor ``contracts``. Build it with
:func:`create_app`.
"""

from .app import DEFAULT_PORT, DEV_TOKEN, create_app
from .schema import UNIQUE_KEY, Prop

__all__ = ["DEFAULT_PORT", "DEV_TOKEN", "UNIQUE_KEY", "Prop", "create_app"]

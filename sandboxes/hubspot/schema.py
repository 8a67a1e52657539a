"""The portal's schema: object types, property definitions, the default deal pipeline, association types.

Names, type ids and association type ids follow HubSpot's public CRM docs. Every property value on the
wire is a string; :mod:`sandboxes.hubspot.values` coerces input per the definition's type.

Besides HubSpot's default properties, the portal is prepared for revflow: every object type has the unique
``revflow_external_id``; deals have the finance properties revflow writes back (``revflow_invoice_status``,
``revflow_subscription_id``, ``revflow_revenue_recognized``) and the links sales sets on renewals and
amendments (``revflow_renews_deal_id``, ``revflow_amends_deal_id``, ``revflow_amendment_effective_date``); line
items of an amendment say what they change (``revflow_amendment_action``: ``add``, ``update`` or ``remove``;
``revflow_amends_line_item_id``: the booked line item an update or removal applies to); contacts say what they are
for (``revflow_contact_roles``, a multiple checkboxes enumeration of ``CONTACT_ROLES``: values separated by ``;``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ALWAYS_RETURNED", "AMENDMENT_ACTIONS", "ASSOCIATION_TYPES", "CONTACT_ROLES", "DEFAULT_PROPERTIES",
    "INVOICE_STATUSES", "OBJECT_TYPES", "PIPELINE_STAGES", "SINGULAR", "UNIQUE_KEY", "AssocType", "Prop",
    "build_properties", "default_association", "resolve_type",
]

OBJECT_TYPES: dict[str, str] = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "products": "0-7",
                                "line_items": "0-8"}
SINGULAR: dict[str, str] = {"contacts": "contact", "companies": "company", "deals": "deal",
                            "products": "product", "line_items": "line_item"}
_ALIASES = {**{v: k for k, v in OBJECT_TYPES.items()}, **{v: k for k, v in SINGULAR.items()},
            "lineitems": "line_items", "lineitem": "line_items"}
UNIQUE_KEY = "revflow_external_id"
"""The custom unique property every object type carries in this portal (the idempotency key for upserts)."""


@dataclass(frozen=True)
class Prop:
    """One property definition."""

    name: str
    type: str = "string"
    """``string``, ``number``, ``enumeration``, ``bool``, ``datetime`` or ``date``."""
    read_only: bool = False
    unique: bool = False
    options: tuple[str, ...] = ()
    multiple: bool = False
    """An enumeration of field type ``checkbox``: several options, separated by ``;``."""


# Default sales pipeline, stage id -> (label, probability, isClosed).
PIPELINE_STAGES: dict[str, tuple[str, str, bool]] = {
    "appointmentscheduled": ("Appointment Scheduled", "0.2", False),
    "qualifiedtobuy": ("Qualified To Buy", "0.4", False),
    "presentationscheduled": ("Presentation Scheduled", "0.6", False),
    "decisionmakerboughtin": ("Decision Maker Bought-In", "0.8", False),
    "contractsent": ("Contract Sent", "0.9", False),
    "closedwon": ("Closed Won", "1.0", True),
    "closedlost": ("Closed Lost", "0.0", True),
}
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")
"""Options of the deal property ``revflow_invoice_status``."""
AMENDMENT_ACTIONS = ("add", "update", "remove")
"""Options of the line item property ``revflow_amendment_action``."""
CONTACT_ROLES = ("primary", "billing", "shipping", "technical", "legal")
"""Options of the contact property ``revflow_contact_roles`` (multiple checkboxes)."""
_FREQUENCIES = ("weekly", "biweekly", "monthly", "quarterly", "per_six_months", "annually", "per_two_years",
                "per_three_years", "per_four_years", "per_five_years")
_COMMON = (Prop("hs_object_id", "number", read_only=True), Prop("createdate", "datetime", read_only=True),
           Prop("hs_lastmodifieddate", "datetime", read_only=True), Prop(UNIQUE_KEY, unique=True))
_BY_TYPE: dict[str, tuple[Prop, ...]] = {
    "contacts": (Prop("email", unique=True), Prop("firstname"), Prop("lastname"), Prop("phone"), Prop("company"),
                 Prop("jobtitle"), Prop("lastmodifieddate", "datetime", read_only=True),
                 Prop("lifecyclestage", "enumeration", options=("subscriber", "lead", "marketingqualifiedlead",
                      "salesqualifiedlead", "opportunity", "customer", "evangelist", "other"))),
    "companies": (Prop("name"), Prop("domain"), Prop("phone"), Prop("address"), Prop("address2"), Prop("city"),
                  Prop("state"), Prop("zip"), Prop("country"), Prop("industry"), Prop("description"),
                  Prop("numberofemployees", "number"), Prop("annualrevenue", "number")),
    "deals": (Prop("dealname"), Prop("amount", "number"), Prop("closedate", "datetime"), Prop("description"),
              Prop("pipeline", "enumeration", options=("default",)),
              Prop("dealstage", "enumeration", options=tuple(PIPELINE_STAGES)),
              Prop("dealtype", "enumeration", options=("newbusiness", "existingbusiness")),
              Prop("deal_currency_code"), Prop("hubspot_owner_id"), Prop("closed_lost_reason"),
              Prop("hs_deal_stage_probability", "number", read_only=True),
              Prop("hs_is_closed", "bool", read_only=True), Prop("hs_is_closed_won", "bool", read_only=True)),
    "products": (Prop("name"), Prop("description"), Prop("price", "number"), Prop("hs_sku"),
                 Prop("hs_cost_of_goods_sold", "number"), Prop("hs_recurring_billing_period"),
                 Prop("recurringbillingfrequency", "enumeration", options=_FREQUENCIES)),
    "line_items": (Prop("name"), Prop("description"), Prop("price", "number"), Prop("quantity", "number"),
                   Prop("amount", "number", read_only=True), Prop("hs_product_id", "number"), Prop("hs_sku"),
                   Prop("discount", "number"), Prop("hs_discount_percentage", "number"),
                   Prop("hs_line_item_currency_code"), Prop("hs_recurring_billing_period"),
                   Prop("hs_recurring_billing_start_date", "date"), Prop("hs_recurring_billing_end_date", "date"),
                   Prop("hs_position_on_quote", "number"),
                   Prop("recurringbillingfrequency", "enumeration", options=_FREQUENCIES)),
}
# This portal's own properties, as a portal prepared for revflow has them.
_REVFLOW: dict[str, tuple[Prop, ...]] = {
    "contacts": (Prop("revflow_contact_roles", "enumeration", options=CONTACT_ROLES, multiple=True),),
    "deals": (Prop("revflow_invoice_status", "enumeration", options=INVOICE_STATUSES),
              Prop("revflow_subscription_id"), Prop("revflow_revenue_recognized", "number"),
              Prop("revflow_renews_deal_id"), Prop("revflow_amends_deal_id"),
              Prop("revflow_amendment_effective_date", "date")),
    "line_items": (Prop("revflow_amendment_action", "enumeration", options=AMENDMENT_ACTIONS),
                   Prop("revflow_amends_line_item_id")),
}
DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"),
    "products": ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
    "line_items": ("amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_product_id", "name", "price",
                   "quantity"),
}
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")


def build_properties(custom: Mapping[str, Iterable[Prop]] | None = None) -> dict[str, dict[str, Prop]]:
    """Property definitions by object type: HubSpot's defaults, this portal's revflow properties, and ``custom``."""
    result = {}
    for object_type, props in _BY_TYPE.items():
        extra = tuple((custom or {}).get(object_type, ()))
        result[object_type] = {p.name: p for p in (*_COMMON, *props, *_REVFLOW.get(object_type, ()), *extra)}
    return result


def resolve_type(name: str) -> str | None:
    """``deals``, ``deal`` and ``0-3`` all name the deal type; None for types this sandbox lacks."""
    key = name.lower()
    return key if key in OBJECT_TYPES else _ALIASES.get(key)


@dataclass(frozen=True)
class AssocType:
    """A HUBSPOT_DEFINED association type (one direction)."""

    type_id: int
    from_type: str
    to_type: str
    inverse: int
    label: str | None = None
    v3_name: str = ""


def _pair(a: str, b: str, forward: int, back: int, label: str | None = None, suffix: str = "") -> list[AssocType]:
    name_ab, name_ba = f"{SINGULAR[a]}_to_{SINGULAR[b]}{suffix}", f"{SINGULAR[b]}_to_{SINGULAR[a]}{suffix}"
    return [AssocType(forward, a, b, back, label, name_ab), AssocType(back, b, a, forward, label, name_ba)]


ASSOCIATION_TYPES: dict[int, AssocType] = {t.type_id: t for t in [
    *_pair("contacts", "companies", 279, 280, suffix="_unlabeled"),
    *_pair("contacts", "companies", 1, 2, label="Primary"),
    *_pair("deals", "contacts", 3, 4),
    *_pair("deals", "companies", 341, 342, suffix="_unlabeled"),
    *_pair("deals", "companies", 5, 6, label="Primary"),
    *_pair("line_items", "deals", 20, 19),
]}
_DEFAULTS = {(t.from_type, t.to_type): t.type_id for t in ASSOCIATION_TYPES.values() if t.label is None}


def default_association(from_type: str, to_type: str) -> AssocType | None:
    """The unlabelled default association type between two object types, when one exists."""
    type_id = _DEFAULTS.get((from_type, to_type))
    return ASSOCIATION_TYPES[type_id] if type_id is not None else None

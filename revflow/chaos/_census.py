"""A census of what each vendor holds after the run, read from each sandbox's own state (``/__sandbox/state``).

Records are counted per business key (the account's key, the opportunity id, the billing invoice id): a key
held twice is a duplicate; a key a won deal should have and does not is missing; a record a blocked deal
should never have reached (it stops before billing) is unexpected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from revflow.chaos._deals import Deal

__all__ = ["SandboxCensus", "census_of", "take_census"]


def census_of(records: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any]) -> Counter[Any]:
    """How many records share each business key (``key(record)``; ``None`` keys are left out)."""
    return Counter(k for k in (key(r) for r in records) if k is not None)


@dataclass
class SandboxCensus:
    """What one sandbox holds of the run's deals."""

    records: int = 0
    """Records of the run counted."""
    duplicates: int = 0
    """Records beyond the first per business key."""
    missing: int = 0
    """Records a won deal should have and does not."""
    unexpected: int = 0
    """Records a blocked deal should never have got."""
    examples: list[str] = field(default_factory=list)
    """A few of the keys found wrong (for the report)."""

    def count(self, what: str, per_key: Counter[Any], expected: Iterable[Any], forbidden: Iterable[Any] = ()) -> None:
        """Add one kind of record: ``per_key`` as found, ``expected`` keys once each, ``forbidden`` keys never."""
        expected, forbidden = set(expected), set(forbidden)
        self.records += sum(per_key.values())
        twice = {k: n for k, n in per_key.items() if n > 1}
        absent = [k for k in expected if per_key[k] == 0]
        extra = [k for k in forbidden if per_key[k] > 0]
        self.duplicates += sum(n - 1 for n in twice.values())
        self.missing += len(absent)
        self.unexpected += len(extra)
        self.examples += [f"{what} x{n}: {k}" for k, n in list(twice.items())[:3]]
        self.examples += [f"{what} missing: {k}" for k in absent[:3]]
        self.examples += [f"{what} unexpected: {k}" for k in extra[:3]]


def _state(client: httpx.Client) -> dict[str, Any]:
    return dict(client.get("/__sandbox/state", timeout=120).raise_for_status().json())


def take_census(sandboxes: Mapping[str, httpx.Client], deals: list[Deal]) -> dict[str, SandboxCensus]:
    """Count the records of ``deals`` at NetSuite, Stripe and Salesforce (``sandboxes``: clients on each)."""
    won = [d for d in deals if not d.blocked]
    blocked = [d for d in deals if d.blocked]
    stripe = _stripe(_state(sandboxes["stripe"])["objects"], deals, won, blocked)
    billed = stripe.pop("billed")
    return {"netsuite": _netsuite(_state(sandboxes["netsuite"])["records"], deals, won, blocked, billed),
            "stripe": stripe["census"],
            "salesforce": _salesforce(_state(sandboxes["salesforce"])["records"], deals, won)}


def _netsuite(records: dict[str, dict[str, Any]], deals: list[Deal], won: list[Deal], blocked: list[Deal],
              billed: set[str]) -> SandboxCensus:
    census, keys = SandboxCensus(), {d.account for d in deals}
    # A customer for every deal (a blocked deal stops after it), a sales order per won deal, one ERP invoice per
    # billing invoice of the run's customers.
    customers = [c for c in records["customer"].values() if c["fields"].get("externalId") in keys]
    census.count("customer", census_of(customers, lambda c: c["fields"]["externalId"]), keys)
    opportunities = {d.opportunity for d in deals}
    orders = [o for o in records["salesOrder"].values() if o["fields"].get("otherRefNum") in opportunities]
    census.count("salesOrder", census_of(orders, lambda o: o["fields"]["otherRefNum"]),
                 [d.opportunity for d in won], [d.opportunity for d in blocked])
    invoices = [i for i in records["invoice"].values()
                if i["fields"].get("custbody_revflow_billing_invoice_id") in billed]
    census.count("invoice", census_of(invoices, lambda i: i["fields"]["custbody_revflow_billing_invoice_id"]),
                 billed)
    return census


def _stripe(objects: dict[str, dict[str, Any]], deals: list[Deal], won: list[Deal],
            blocked: list[Deal]) -> dict[str, Any]:
    census, keys = SandboxCensus(), {d.account for d in deals}
    customers = {c["id"]: c["metadata"].get("revflow_key") for c in objects["customer"].values()
                 if c["metadata"].get("revflow_key") in keys}
    census.count("customer", Counter(customers.values()), [d.account for d in won], [d.account for d in blocked])
    subscriptions = [s for s in objects["subscription"].values() if s["customer"] in customers]
    census.count("subscription", census_of(subscriptions, lambda s: customers[s["customer"]]),
                 [d.account for d in won])
    census.count("product", census_of(objects["product"].values(), lambda p: p.get("name")), ())
    census.count("price", census_of([p for p in objects["price"].values() if p["active"]], lambda p: (
        p["product"], p["currency"], p["unit_amount"], str(p.get("recurring")), p["metadata"].get("revflow_role"))),
                 ())
    billed = {i["id"] for i in objects["invoice"].values()
              if i["customer"] in customers and i["status"] in ("open", "paid") and i["total"] > 0}
    return {"census": census, "billed": billed}


def _salesforce(records: dict[str, dict[str, Any]], deals: list[Deal], won: list[Deal]) -> SandboxCensus:
    census, keys = SandboxCensus(), {d.account for d in deals}
    # The run's accounts and deals once each; every won deal shows its subscription (the finance status
    # revflow writes back).
    accounts = [a for a in records["Account"].values() if a.get("Revflow_Id__c") in keys]
    census.count("Account", census_of(accounts, lambda a: a["Revflow_Id__c"]), keys)
    opportunities = {d.opportunity for d in deals}
    ours = [o for o in records["Opportunity"].values() if o["Id"] in opportunities]
    census.count("Opportunity", census_of(ours, lambda o: o.get("Name")), ())
    written_back = Counter(o["Id"] for o in ours if o.get("Revflow_Subscription_Id__c"))
    census.count("subscription written back", written_back, [d.opportunity for d in won])
    return census

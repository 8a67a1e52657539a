"""Quote to cash through the official ``hubspot-api-client``, pointed at the sandbox by ``host`` only.

A company, two products, a deal with line items built from the products, the deal associated with the
company, a search for the deal by stage and amount, an idempotent batch upsert, the deal closed won (a
signed ``deal.propertyChange`` webhook arrives and verifies with the SDK's own validator), an amendment
of a line item's quantity, and everything read back consistent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from hubspot import HubSpot
from hubspot.crm import companies, deals, line_items, products
from hubspot.utils.signature import Signature

from tests.sandboxes.hubspot.conftest import APP_SECRET

LINE_TO_DEAL = 20  # HUBSPOT_DEFINED line item -> deal (HubSpot's association type table)
SEATS, SUPPORT = (Decimal("1200"), 3), (Decimal("250.50"), 2)


def _products(client: HubSpot) -> list[str]:
    batch = products.BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        products.SimplePublicObjectInputForCreate(properties={
            "name": "Platform seats", "price": "1200.00", "hs_sku": "SEAT", "recurringbillingfrequency": "monthly"}),
        products.SimplePublicObjectInputForCreate(properties={"name": "Premium support", "price": "250.50",
                                                              "hs_sku": "SUP"}),
    ])
    created = client.crm.products.batch_api.create(batch)
    assert created.status == "COMPLETE"
    by_sku = {p.properties["hs_sku"]: p for p in created.results}
    assert by_sku["SEAT"].properties["price"] == "1200"  # stored as HubSpot stores numbers
    return [by_sku["SEAT"].id, by_sku["SUP"].id]


def _line_items(client: HubSpot, deal_id: str, product_ids: list[str]) -> dict[str, str]:
    to_deal = [line_items.PublicAssociationsForObject(
        to=line_items.PublicObjectId(id=deal_id),
        types=[line_items.AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=LINE_TO_DEAL)])]
    inputs = [line_items.SimplePublicObjectInputForCreate(
        properties={"hs_product_id": pid, "quantity": str(qty)}, associations=to_deal)
        for pid, (_, qty) in zip(product_ids, (SEATS, SUPPORT), strict=True)]
    created = client.crm.line_items.batch_api.create(
        line_items.BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    by_product = {li.properties["hs_product_id"]: li for li in created.results}
    seat = by_product[product_ids[0]].properties
    assert seat["name"] == "Platform seats" and seat["price"] == "1200"  # copied from the product
    assert Decimal(seat["amount"]) == SEATS[0] * SEATS[1]
    return {pid: li.id for pid, li in by_product.items()}


def _search_by_stage_and_amount(client: HubSpot, deal_id: str) -> None:
    for name, stage, amount in (("Other", "contractsent", "500"), ("Lost", "closedlost", "9000")):
        client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(
            properties={"dealname": name, "dealstage": stage, "amount": amount}))
    request = deals.PublicObjectSearchRequest(
        filter_groups=[deals.FilterGroup(filters=[
            deals.Filter(property_name="dealstage", operator="EQ", value="contractsent"),
            deals.Filter(property_name="amount", operator="GTE", value="1000")])],
        properties=["dealname", "amount"], limit=10)
    found = client.crm.deals.search_api.do_search(request)
    assert found.total == 1 and [d.id for d in found.results] == [deal_id]
    assert found.results[0].properties["dealname"] == "Acme platform"


def _upsert_twice(client: HubSpot) -> None:
    def upsert(amount: str) -> Any:
        body = deals.BatchInputSimplePublicObjectBatchInputUpsert(inputs=[deals.SimplePublicObjectBatchInputUpsert(
            id="q2c-renewal-1", id_property="revflow_external_id",
            properties={"dealname": "Acme renewal", "amount": amount})])
        return client.crm.deals.batch_api.upsert(body).results[0]

    first, second = upsert("1000"), upsert("1100")
    assert (first.new, second.new) == (True, False) and first.id == second.id
    read = client.crm.deals.basic_api.get_by_id("q2c-renewal-1", id_property="revflow_external_id",
                                                properties=["amount"])
    assert read.id == first.id and read.properties["amount"] == "1100"


def _close_won(client: HubSpot, admin: httpx.Client, receiver: Any, deal_id: str) -> None:
    rec, url = receiver
    admin.put("/__sandbox/hubspot/webhooks", json={"targetUrl": url, "subscriptions": [
        {"eventType": "deal.propertyChange", "propertyName": "dealstage"}]}).raise_for_status()
    client.crm.deals.basic_api.update(deal_id, deals.SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    assert admin.post("/__sandbox/webhooks/flush").json()["idle"]
    assert len(rec.received) == 1
    body, headers = rec.received[0]
    assert Signature.is_valid(signature=headers["x-hubspot-signature-v3"], client_secret=APP_SECRET,
                              request_body=body.decode(), http_uri=url, http_method="POST",
                              signature_version="v3", timestamp=headers["x-hubspot-request-timestamp"])
    events = json.loads(body)
    assert [(e["subscriptionType"], e["objectId"], e["propertyName"], e["propertyValue"]) for e in events] == [
        ("deal.propertyChange", int(deal_id), "dealstage", "closedwon")]


def test_quote_to_cash_story(client: HubSpot, admin: httpx.Client, receiver: Any) -> None:
    company = client.crm.companies.basic_api.create(companies.SimplePublicObjectInputForCreate(
        properties={"name": "Acme Corp", "domain": "acme.test"}))
    product_ids = _products(client)
    deal = client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(properties={
        "dealname": "Acme platform", "dealstage": "contractsent", "pipeline": "default",
        "amount": str(SEATS[0] * SEATS[1] + SUPPORT[0] * SUPPORT[1]), "closedate": "2025-06-30T00:00:00Z"}))
    lines = _line_items(client, deal.id, product_ids)
    linked = client.crm.associations.v4.basic_api.create_default("deals", deal.id, "companies", company.id)
    assert {(r._from.id, r.to.id) for r in linked.results} == {(deal.id, company.id), (company.id, deal.id)}
    _search_by_stage_and_amount(client, deal.id)
    _upsert_twice(client)
    _close_won(client, admin, receiver, deal.id)

    seat_line = lines[product_ids[0]]
    client.crm.line_items.basic_api.update(seat_line, line_items.SimplePublicObjectInput(properties={"quantity": "5"}))

    final = client.crm.deals.basic_api.get_by_id(
        deal.id, properties=["dealstage", "amount", "hs_is_closed_won", "closedate"],
        associations=["line_items", "companies"])
    assert final.properties["dealstage"] == "closedwon" and final.properties["hs_is_closed_won"] == "true"
    assert final.properties["closedate"] == "2025-06-30T00:00:00.000Z"
    assert {a.id for a in final.associations["line_items"].results} == set(lines.values())
    assert {a.id for a in final.associations["companies"].results} == {company.id}
    read = client.crm.line_items.batch_api.read(line_items.BatchReadInputSimplePublicObjectId(
        inputs=[line_items.SimplePublicObjectId(id=i) for i in lines.values()],
        properties=["quantity", "price", "amount", "hs_product_id"], properties_with_history=[]))
    amounts = {li.properties["hs_product_id"]: (li.properties["quantity"], Decimal(li.properties["amount"]))
               for li in read.results}
    assert amounts == {product_ids[0]: ("5", SEATS[0] * 5), product_ids[1]: ("2", SUPPORT[0] * 2)}
    from_company = client.crm.associations.v4.basic_api.get_page("companies", company.id, "deals")
    assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in from_company.results] == [
        (deal.id, [342])]
    stages = {s.id: s for s in client.crm.pipelines.pipelines_api.get_all("deals").results[0].stages}
    assert stages["closedwon"].metadata == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"].metadata == {"isClosed": "true", "probability": "0.0"}

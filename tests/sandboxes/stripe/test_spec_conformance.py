"""The spec check itself: Stripe's own fixtures pass, a broken body fails, and list/search envelopes,
deleted objects and errors all validate. (Every response in the suite is also checked by conftest.)"""

from __future__ import annotations

from typing import Any

import httpx


def test_validator_catches_a_missing_required_field(client: Any, server: Any, spec_check: Any) -> None:
    customer = client.v1.customers.create(params={"email": "s@x.test"})
    body = httpx.get(f"{server.url}/v1/customers/{customer.id}", auth=("sk_test_x", "")).json()
    assert spec_check("GET", f"/v1/customers/{customer.id}", 200, body) == []
    del body["livemode"]
    assert spec_check("GET", f"/v1/customers/{customer.id}", 200, body)
    assert spec_check("GET", "/v1/customers", 200, {"object": "list", "data": "x", "has_more": 1, "url": "/"})


def test_envelopes_deletions_and_pagination(client: Any) -> None:
    ids = [client.v1.customers.create(params={"email": f"p{n}@x.test"}).id for n in range(5)]
    page = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page.data] == ids[::-1][:2] and page.has_more and page.url == "/v1/customers"
    rest = client.v1.customers.list(params={"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in rest.data] == ids[::-1][2:] and not rest.has_more
    before = client.v1.customers.list(params={"limit": 2, "ending_before": ids[0]})
    assert [c.id for c in before.data] == [ids[2], ids[1]]
    everything = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert everything == ids[::-1]
    assert client.v1.customers.delete(ids[0]).deleted
    product = client.v1.products.create(params={"name": "gone"})
    assert client.v1.products.delete(product.id).deleted
    meter = client.v1.billing.meters.create(params={"display_name": "m", "event_name": "e",
                                                    "default_aggregation": {"formula": "count"}})
    client.v1.billing.meters.deactivate(meter.id)
    assert client.v1.billing.meters.list(params={"status": "inactive"}).data[0].id == meter.id

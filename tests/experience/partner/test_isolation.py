"""Tenant isolation: partner A, holding B's ids, gets 404 on every route and never a byte of B's data.

Tenant B has an order submitted through the partner API, a deal that went all the way (subscription,
invoices, usage), and a webhook with a delivery. Partner A then tries each of the API's operations, in both
majors, with B's ids wherever an operation takes one, and lists everything it can see. The matrix is built
from the OpenAPI document, so an operation added later without a case here fails the test.
"""

from __future__ import annotations

import re
import uuid

import pytest

from services.experience.partner.app import create_app
from tests.experience.partner.conftest import order_body, seed_deal, sku, wait_until
from tests.support.contract_fuzzing import operations_of

OPERATIONS = operations_of(create_app())


@pytest.fixture(scope="module")
def b_data(topology, partner_prefix, partners, receiver_module):
    b = partners("partner-b")
    deal = seed_deal(topology, partner_prefix, "tenant-b", usage=True)
    platform = sku("PLAT")
    submitted = b.ok("POST", "/v2/orders", status=202, json=order_body(platform_sku=platform, name="B Secret Ltd"))
    invoice = wait_until(lambda: b.ok("GET", "/v2/invoices", params={"order_id": deal["order_id"]})["data"],
                         what="B's invoice")[-1]
    usage = {"id": "b-usage-1", "order_id": deal["order_id"], "sku": deal["skus"][1], "quantity": 7,
             "occurred_at": "2025-03-01T00:00:00Z"}
    assert b.ok("POST", "/v2/usage", status=202, json={"records": [usage]})["accepted"] == 1
    hook = b.ok("POST", "/v2/webhooks", status=201, json={"url": receiver_module, "events": ["*"]})
    ping = b.ok("POST", f"/v2/webhooks/{hook['id']}/ping", status=202)
    subscription = deal["activation"]["external_ids"]["subscription_id"]
    return {"order": deal["order_id"], "submitted": submitted["id"], "customer": deal["customer_id"],
            "deal": deal["opportunity_id"], "subscription": subscription, "invoice": invoice["id"],
            "webhook": hook["id"], "delivery": ping["id"], "secret_name": deal["name"], "usage": usage}


@pytest.fixture(scope="module")
def receiver_module():
    from services.runtime.testing import serve_in_thread
    from tests.experience.partner.conftest import Receiver

    with serve_in_thread(Receiver()) as server:
        yield f"{server.url}/hooks"


def _secrets(b: dict) -> list[str]:
    """What of B's must never appear in an answer to A (the id A itself sent aside)."""
    return [b["deal"], b["subscription"], b["customer"], b["secret_name"], "B Secret Ltd", b["webhook"],
            b["delivery"], b["invoice"], b["order"], b["submitted"]]


def _case(method: str, path: str, b: dict) -> tuple[str, dict]:
    """The request A makes for one operation: B's ids in the path, or B's order as the filter."""
    ids = {"order_id": b["order"], "invoice_id": b["invoice"], "webhook_id": b["webhook"],
           "delivery_id": b["delivery"]}
    concrete = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    if path.endswith("/usage"):
        return concrete, {"json": {"records": [{**b["usage"], "id": f"a-{uuid.uuid4().hex[:6]}"}]}}
    if method == "GET" and "{" not in path and re.search(r"/(subscriptions|invoices|credit-notes)$", path):
        return concrete, {"params": {"order_id": b["order"]}}
    return concrete, {}


ISOLATED = [(m, p) for m, p in OPERATIONS if "{" in p or p.endswith(("/usage", "/subscriptions", "/invoices",
                                                                        "/credit-notes"))]
LISTS = [(m, p) for m, p in OPERATIONS if m == "GET" and "{" not in p]
CREATES = [(m, p) for m, p in OPERATIONS if (m, p) not in ISOLATED and (m, p) not in LISTS]


def test_every_operation_is_in_the_matrix():
    assert {p for _, p in CREATES} == {"/v1/orders", "/v2/orders", "/v1/webhooks", "/v2/webhooks"}
    assert set(ISOLATED) | set(LISTS) | set(CREATES) == set(OPERATIONS)


class TestPartnerAWithBsIds:
    @pytest.mark.parametrize(("method", "path"), ISOLATED, ids=[f"{m} {p}" for m, p in ISOLATED])
    def test_not_found_and_nothing_of_b(self, partners, b_data, method, path):
        a = partners("partner-a")
        concrete, kwargs = _case(method, path, b_data)
        response = a.request(method, concrete, **kwargs)
        assert response.status_code == 404, f"{method} {concrete} -> {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        sent = set(re.findall(r"[^/]+", concrete)) | {str(v) for v in kwargs.get("params", {}).values()}
        sent |= {b_data["order"]} if "json" in kwargs else set()
        leaked = [s for s in _secrets(b_data) if s not in sent and s in response.text]
        assert not leaked, response.text

    def test_a_delivery_of_b_under_as_own_webhook(self, partners, b_data):
        a = partners("partner-a")
        own = a.ok("POST", "/v1/webhooks", status=201, json={"url": "http://127.0.0.1:9/a", "events": ["*"]})["id"]
        for major in (1, 2):
            base = f"/v{major}/webhooks/{own}/deliveries/{b_data['delivery']}"
            assert a.get(base).status_code == 404
            assert a.post(f"{base}/redeliver").status_code == 404

    @pytest.mark.parametrize(("method", "path"), LISTS, ids=[f"{m} {p}" for m, p in LISTS])
    def test_lists_hold_nothing_of_b(self, partners, b_data, method, path):
        response = partners("partner-a").get(path, params={"limit": 100} if "webhooks" not in path else None)
        assert response.status_code == 200, response.text
        leaked = [s for s in _secrets(b_data) if s in response.text]
        assert not leaked, response.text

    def test_an_order_under_bs_order_id_is_as_own(self, partners, b_data):
        a, b = partners("partner-a"), partners("partner-b")
        before = b.ok("GET", f"/v2/orders/{b_data['submitted']}")
        body = order_body(platform_sku=sku("PLAT"), name="A Own Corp", order_id=b_data["submitted"])
        mine = a.ok("POST", "/v2/orders", status=202, json=body)
        assert mine["id"] == b_data["submitted"] and mine["customer_id"] != before["customer_id"]
        assert not [s for s in _secrets(b_data) if s != b_data["submitted"] and s in str(mine)]
        after = b.ok("GET", f"/v2/orders/{b_data['submitted']}")
        assert after["customer_id"] == before["customer_id"] and after["lines"] == before["lines"]

    def test_b_is_untouched(self, partners, b_data):
        b = partners("partner-b")
        assert b.get(f"/v2/webhooks/{b_data['webhook']}").status_code == 200
        delivery = b.ok("GET", f"/v2/webhooks/{b_data['webhook']}/deliveries/{b_data['delivery']}")
        assert delivery["redeliveries"] == 0
        assert b.get(f"/v1/invoices/{b_data['invoice']}").status_code == 200
        assert b.get(f"/v1/orders/{b_data['order']}").status_code == 200

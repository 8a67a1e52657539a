"""Two majors side by side: v1 answers with its deprecation announced, v2 with the new shapes.

v1 routes answer ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594) and a ``Link`` to the same route in v2;
v2 routes announce nothing. v2 changed money to decimal strings, lists to ``has_more``, and orders to ``id``.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx


class TestV1Deprecation:
    def test_v1_answers_announce_deprecation_and_successor(self, partners, replicas):
        a = partners("partner-a")
        hook = a.ok("POST", "/v2/webhooks", status=201, json={"url": "http://127.0.0.1:9/x", "events": ["*"]})
        for path, successor in (("/v1/orders", "/v2/orders"), ("/v1/customers", "/v2/customers"),
                                (f"/v1/webhooks/{hook['id']}", f"/v2/webhooks/{hook['id']}"),
                                (f"/v1/webhooks/{hook['id']}/deliveries", f"/v2/webhooks/{hook['id']}/deliveries")):
            response = a.get(path, replica=1)
            assert response.status_code == 200, response.text
            assert response.headers["deprecation"].startswith("@")
            since = int(response.headers["deprecation"][1:])
            sunset = parsedate_to_datetime(response.headers["sunset"])
            assert sunset.timestamp() > since
            assert response.headers["link"] == f'<{successor}>; rel="successor-version"'
            modern = a.get(successor)
            assert modern.status_code == 200 and "deprecation" not in modern.headers and "sunset" not in modern.headers

    def test_openapi_marks_every_v1_operation_deprecated(self, replicas):
        schema = httpx.get(f"{replicas[0]}/schema/openapi.json", timeout=30).json()
        for path, item in schema["paths"].items():
            for operation in item.values():
                assert operation.get("deprecated", False) is path.startswith("/v1/"), (path, operation)


class TestV2Shapes:
    def test_order_and_money_shapes(self, partners):
        a = partners("partner-b")
        body = {"id": "PO-SHAPES-1", "currency": "JPY", "close_date": "2025-01-01",
                "customer": {"name": "Nakatomi KK", "currency": "JPY",
                             "billing_address": {"line1": "1-1 Marunouchi", "city": "Tokyo", "country": "JP"}},
                "lines": [{"product_sku": "PLAT-JP", "quantity": 3,
                           "list_price": {"amount": "12000", "currency": "JPY"},
                           "sale_price": {"amount": "10000", "currency": "JPY"}, "service_start": "2025-01-01",
                           "service_end": "2025-12-31", "billing_frequency": "monthly"}]}
        v2 = a.ok("POST", "/v2/orders", status=202, json=body)
        assert v2["id"] == "PO-SHAPES-1" and "order_id" not in v2
        assert v2["amount"] == {"amount": "30000", "currency": "JPY"}
        assert v2["lines"][0]["sale_price"] == {"amount": "10000", "currency": "JPY"}
        v1 = a.ok("GET", "/v1/orders/PO-SHAPES-1")
        assert v1["order_id"] == "PO-SHAPES-1" and "id" not in v1
        assert v1["amount"] == {"amount_minor": 30_000, "currency": "JPY"}
        page = a.ok("GET", "/v2/orders", params={"limit": 1})
        assert set(page) == {"data", "has_more", "next_cursor"}
        assert set(a.ok("GET", "/v1/orders", params={"limit": 1})) == {"data", "next_cursor"}

    def test_v2_money_must_fit_the_currency(self, partners):
        a = partners("partner-b")
        body = {"id": "PO-SHAPES-2", "currency": "USD", "close_date": "2025-01-01",
                "customer": {"name": "Cyberdyne", "currency": "USD",
                             "billing_address": {"line1": "1 Main St", "city": "Sunnyvale", "country": "US"}},
                "lines": [{"product_sku": "PLAT", "quantity": 1, "list_price": {"amount": "9.999", "currency": "USD"},
                           "sale_price": {"amount": "9.99", "currency": "USD"}, "service_start": "2025-01-01",
                           "service_end": "2025-12-31", "billing_frequency": "monthly"}]}
        refused = a.post("/v2/orders", body)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == "lines.0.list_price.amount"
        assert a.get("/v2/orders/PO-SHAPES-2").status_code == 404  # nothing was booked

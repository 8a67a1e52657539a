"""Chargebee's error contract: the SDK's own exception classes fire, and bad input never gets a 500.

Chargebee's error body always carries ``api_error_code`` (the SDK raises a bare ``Exception`` without it);
``type`` picks the SDK class (``invalid_request`` -> ``InvalidRequestError``); auth and rate-limit errors have
no ``type`` and surface as the generic ``APIError``.
"""

from __future__ import annotations

import chargebee
import httpx
import pytest
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import API_KEY, seed_catalog

AUTH = (API_KEY, "")


class TestSdkErrors:
    def test_not_found(self, cb: Chargebee) -> None:
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Customer.retrieve("no-such-customer")
        assert (caught.value.http_status_code, caught.value.api_error_code) == (404, "resource_not_found")

    def test_referenced_resource_names_the_param(self, cb: Chargebee) -> None:
        customer = cb.Customer.create({"first_name": "Ada"}).customer
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Subscription.create_with_items(customer.id, {"subscription_items": [{"item_price_id": "ghost"}]})
        assert caught.value.api_error_code == "resource_not_found"
        assert caught.value.param == "subscription_items[item_price_id][0]"

    def test_validation_names_the_param(self, cb: Chargebee) -> None:
        cb.ItemFamily.create({"id": "fam", "name": "Fam"})
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Item.create({"id": "x", "type": "plan", "item_family_id": "fam"})  # name missing
        assert (caught.value.http_status_code, caught.value.api_error_code, caught.value.param) == (
            400, "param_wrong_value", "name")
        assert caught.value.json_obj["error_param"] == "name"

    def test_duplicate_id(self, cb: Chargebee) -> None:
        cb.Customer.create({"id": "acme"})
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Customer.create({"id": "acme"})
        assert (caught.value.api_error_code, caught.value.param) == ("duplicate_entry", "id")

    def test_invalid_state(self, cb: Chargebee) -> None:
        seed_catalog(cb)
        customer = cb.Customer.create({"first_name": "Ada"}).customer
        sub = cb.Subscription.create_with_items(customer.id, {"subscription_items": [
            {"item_price_id": "plan-a-usd-monthly"}]})
        cb.Invoice.record_payment(sub.invoice.id, {"transaction": {"payment_method": "cash"}})
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Invoice.record_payment(sub.invoice.id, {"transaction": {"payment_method": "cash"}})
        assert caught.value.api_error_code == "invalid_state_for_request"

    def test_wrong_api_key(self, make_cb: object) -> None:
        client = make_cb(api_key="test_wrong")  # type: ignore[operator]
        with pytest.raises(chargebee.APIError) as caught:
            client.Customer.list()
        assert not isinstance(caught.value, chargebee.InvalidRequestError)
        assert (caught.value.http_status_code, caught.value.api_error_code) == (401, "api_authentication_failed")

    def test_rate_limit_is_retried_after_retry_after(self, make_cb: object, cb_admin: httpx.Client) -> None:
        cb_admin.post("/__sandbox/faults", json={"route": "GET /api/v2/customers$", "rate_limit_rate": 1.0,
                                                 "burst_length": 1, "retry_after": 1}).raise_for_status()
        with pytest.raises(chargebee.APIError) as caught:
            make_cb().Customer.list()  # type: ignore[operator]
        assert (caught.value.http_status_code, caught.value.api_error_code) == (429, "api_request_limit_exceeded")
        assert caught.value.http_headers["retry-after"] == "1"
        cb_admin.post("/__sandbox/faults", json={"seed": 1, "rules": [{
            "route": "GET /api/v2/customers$", "rate_limit_rate": 0.5, "burst_length": 1, "retry_after": 1}]})
        # chargebee 3.29 looks for ``err.response_headers`` while APIError stores ``http_headers``, so its retry
        # falls back to its own delay instead of Retry-After; retrying still completes every call.
        for _ in range(4):
            assert make_cb(retries=2).Customer.list().list == []  # type: ignore[operator]
        injected = cb_admin.get("/__sandbox/faults").json()["injected"]
        assert injected and all(fault["rate_limited"] == 1 for fault in injected)

    def test_idempotency_replay_and_conflict(self, cb: Chargebee) -> None:
        key = {"chargebee-idempotency-key": "wf-7:family"}
        first = cb.ItemFamily.create({"id": "fam", "name": "Fam"}, headers=key)
        replay = cb.ItemFamily.create({"id": "fam", "name": "Fam"}, headers=key)
        assert (first.is_idempotency_replayed, replay.is_idempotency_replayed) == (False, True)
        assert "chargebee-idempotency-replayed" not in first.headers
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.ItemFamily.create({"id": "fam2", "name": "Other"}, headers=key)
        assert caught.value.http_status_code == 409
        assert len(cb.ItemFamily.list().list) == 1


BAD_INPUTS = [
    ("POST", "/customers", "first_name[=x"),
    ("POST", "/customers", "net_term_days=abc"),
    ("POST", "/customers", "billing_address=flat"),
    ("POST", "/customers", "email=not-an-email"),
    ("POST", "/customers", "auto_collection=sometimes"),
    ("POST", "/customers", b"\xff\xfe"),
    ("POST", "/items", "type=plan"),
    ("POST", "/item_prices", "id=p&name=P&item_id=ghost&price=1"),
    ("POST", "/item_prices", "tiers[starting_unit][0]=1"),
    ("POST", "/customers/ghost/subscription_for_items", "subscription_items[item_price_id][0]=x"),
    ("POST", "/subscriptions/ghost/update_for_items", "prorate=maybe"),
    ("POST", "/subscriptions/ghost/usages", "quantity=-1"),
    ("POST", "/credit_notes", "type=refundable&total=ten"),
    ("POST", "/invoices/ghost/record_payment", "transaction[amount]=1"),
    ("POST", "/time_machines/delorean/travel_forward", "destination_time=1"),
    ("GET", "/customers?limit=1000", ""),
    ("GET", "/customers?offset=garbage", ""),
    ("GET", "/customers?email[in]=(((", ""),
    ("GET", "/customers?colour[is]=red", ""),
    ("GET", "/invoices?sort_by[sideways]=date", ""),
    ("GET", "/no_such_resource", ""),
    ("DELETE", "/customers", ""),
]


class TestBadInput:
    @pytest.mark.parametrize(("method", "path", "body"), BAD_INPUTS)
    def test_chargebee_error_body(self, cb_server: object, cb_admin: httpx.Client, method: str, path: str,
                                  body: str | bytes) -> None:
        response = cb_admin.request(method, f"/api/v2{path}", content=body, auth=AUTH,
                                    headers={"content-type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500, response.text
        error = response.json()
        assert error["api_error_code"] and error["http_status_code"] == response.status_code
        assert error["message"] and "Traceback" not in response.text

"""Injected faults and concurrency governance.

A seeded 20% error rate (half before the handler, half after it ran so the answer is lost) plus 429 bursts:
a client that retries only what is safe to retry (reads, and upserts by external id) completes the story,
and the sandbox holds each record exactly once with each line once. A real governor refuses requests beyond
the account's concurrency limit with ``CONCURRENCY_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest

from sandboxes.netsuite import DEV_SETTINGS, create_app
from services.runtime.testing import serve_in_thread
from tests.sandboxes.netsuite.signing import NetSuiteHttp, Signer

FAULTS = {"seed": 1, "rules": [{"route": "^(GET|PUT|POST) /services/rest/", "error_rate": 0.1,
                                 "error_after_rate": 0.1, "rate_limit_rate": 0.1, "burst_length": 2,
                                 "retry_after": 1}]}


def retrying(ns: NetSuiteHttp, method: str, subpath: str, attempts: int = 25, **kwargs: Any) -> httpx.Response:
    """Send, re-signing each attempt; retry 5xx and 429 only for reads and eid upserts."""
    safe = method == "GET" or (method == "PUT" and "/eid:" in subpath) or subpath.endswith("/suiteql")
    for _ in range(attempts):
        response = ns.request(method, subpath, **kwargs)
        if (response.status_code < 500 and response.status_code != 429) or not safe:
            return response
    return response


def upsert(ns: NetSuiteHttp, subpath: str, body: dict[str, Any], replace_lists: str | None = None) -> str:
    params = {"replace": replace_lists} if replace_lists else None
    response = retrying(ns, "PUT", subpath, json_body=body, params=params)
    assert response.status_code == 204, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def story(ns: NetSuiteHttp) -> None:
    customer = upsert(ns, "/record/v1/customer/eid:C1", {"companyName": "Chaos Ltd"})
    item = upsert(ns, "/record/v1/serviceSaleItem/eid:SKU-SUPPORT", {"itemId": "SKU-SUPPORT", "basePrice": 120})
    lines = {"items": [{"item": {"id": item}, "quantity": 10}]}
    order = upsert(ns, "/record/v1/salesOrder/eid:SO-C1", {"entity": {"id": customer}, "item": lines}, "item")
    invoice = upsert(ns, "/record/v1/invoice/eid:INV-C1", {"entity": {"id": customer}, "createdFrom": {"id": order},
                                                           "item": lines}, "item")
    upsert(ns, "/record/v1/customerPayment/eid:PAY-C1", {"customer": {"id": customer}, "payment": 700, "apply": {
        "items": [{"doc": {"id": invoice}, "amount": 700}]}}, "apply")
    upsert(ns, "/record/v1/creditMemo/eid:CM-C1", {"entity": {"id": customer}, "createdFrom": {"id": invoice},
                                                   "item": {"items": [{"item": {"id": item}, "quantity": 1}]}}, "item")
    accounts = retrying(ns, "POST", "/query/v1/suiteql", json_body={
        "q": "SELECT id FROM account WHERE acctnumber IN ('1100', '4000') ORDER BY acctnumber"},
        headers={"Prefer": "transient"}).json()["items"]
    upsert(ns, "/record/v1/journalEntry/eid:JE-C1", {"line": {"items": [
        {"account": {"id": accounts[0]["id"]}, "debit": 50}, {"account": {"id": accounts[1]["id"]}, "credit": 50}]}},
        "line")


class TestRetryingClient:
    def test_story_completes_without_duplicates(self, ns: NetSuiteHttp, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        for _ in range(3):  # the whole workflow replayed from the start, as a saga retrying a step would
            story(ns)
        injected = admin.get("/__sandbox/faults").json()["injected"]
        kinds = {k for fault in injected for k in ("error", "error_after", "rate_limited") if fault[k]}
        assert kinds == {"error", "error_after", "rate_limited"}, injected
        admin.delete("/__sandbox/faults").raise_for_status()
        state = admin.get("/__sandbox/state").json()
        counts = {k: v for k, v in state["counts"].items() if v and k != "account"}
        assert counts == {"customer": 1, "serviceSaleItem": 1, "salesOrder": 1, "invoice": 1,
                          "customerPayment": 1, "creditMemo": 1, "journalEntry": 1}
        invoice = retrying(ns, "GET", "/record/v1/invoice/eid:INV-C1", params={"expandSubResources": "true"}).json()
        assert len(invoice["item"]["items"]) == 1
        assert invoice["amountRemaining"] == 10 * 120 - 700 - 120

    def test_injected_faults_speak_netsuite(self, ns: NetSuiteHttp, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json={"rate_limit_rate": 1.0, "retry_after": 2}).raise_for_status()
        limited = ns.request("GET", "/record/v1/customer")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert limited.json()["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
        admin.post("/__sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
        failed = ns.request("GET", "/record/v1/customer")
        assert failed.status_code == 500 and failed.json()["o:errorDetails"][0]["o:errorCode"] == "UNEXPECTED_ERROR"

    def test_same_seed_same_faults(self, ns: NetSuiteHttp, admin: httpx.Client) -> None:
        def run() -> list[int]:
            admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
            return [ns.request("GET", "/record/v1/customer").status_code for _ in range(25)]

        assert run() == run()


class TestConcurrencyGovernor:
    @pytest.fixture
    def governed(self) -> Any:
        app = create_app(replace(DEV_SETTINGS, max_concurrency=2))
        with serve_in_thread(app) as server:
            httpx.post(f"{server.url}/__sandbox/faults", json={"latency_ms": 400}).raise_for_status()
            yield server, app

    async def test_requests_beyond_the_limit_are_refused(self, governed: Any) -> None:
        server, app = governed
        url = f"{server.url}/services/rest/record/v1/customer"
        signer = Signer()
        async with httpx.AsyncClient(timeout=10) as client:
            responses = await asyncio.gather(*(client.get(url, headers={
                "Authorization": signer.authorization("GET", url)}) for _ in range(6)))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200, 200, 429, 429, 429, 429]
            refused = next(r for r in responses if r.status_code == 429).json()
            assert refused["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
            again = await client.get(url, headers={"Authorization": signer.authorization("GET", url)})
            assert again.status_code == 200  # the slots were released
        assert app.state["governance"].peak == 2

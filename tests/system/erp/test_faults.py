"""Fault tolerance: a flaky, rate-limiting, slow NetSuite loses and duplicates nothing; a down one fails fast.

At the issue's scale: ``ORDERS`` = 200 customer + sales-order pairs (``REVFLOW_FAULT_BATCH=n`` runs ``n``
instead) through ``WORKERS`` concurrent callers while the sandbox answers 20% of calls with 503 (5% after
committing, so the answer is lost), starts 429 ``CONCURRENCY_LIMIT_EXCEEDED`` bursts, delays every call by up to
20 ms, slows 1% of the calls it lets through by a 2 s latency spike and then answers them normally (slow
successes, within the API's 5 s vendor timeout), and lets 0.5% of calls hang 2 s before answering 504 (gateway
timeouts). The account's own concurrency governor (5 in flight) is on too, so every call's latency is paid five
at a time (a spiked call holds one of the five for 2 s), which is why the jitter is smaller than billing's. The
faults are seeded. Callers behave like the process tier's saga workers: they share one pool of kept-alive
connections, and a 5xx or 409 is retried with the same Idempotency-Key.

A vendor that is down either refuses connections or accepts them and never answers; in both cases the circuit
opens and the API answers 503 with Retry-After without reaching the vendor. "Fast" is shown structurally: the
hanging vendor would hold a call for ``HANG`` seconds, far beyond the ``PATIENCE`` the test's own client grants
each call, so an API that waited for the vendor would fail the test with a read timeout.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from services.runtime.testing import free_port
from tests.support.circuit import assert_circuit_open
from tests.system.erp.journeys import customer, sales_order

ORDERS = int(os.environ.get("REVFLOW_FAULT_BATCH", "200"))
WORKERS = 50
FAULTS = {"seed": 20, "rules": [{"route": "/services/rest/", "error_rate": 0.2, "error_status": 503,
                                 "error_after_rate": 0.05, "rate_limit_rate": 0.03, "burst_length": 3,
                                 "retry_after": 1, "jitter_ms": 20, "timeout_rate": 0.005, "hang_seconds": 2.0,
                                 "spike_rate": 0.01, "spike_ms": 2000}]}
HANG = 120.0
PATIENCE = 10.0


def _until_done(client: httpx.Client, method: str, path: str, body: dict, key: str | None) -> httpx.Response:
    for _ in range(40):
        response = client.request(method, path, json=body, headers={"Idempotency-Key": key} if key else {})
        if response.status_code < 500 and response.status_code != 409:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "0.05")), 1.0))
    raise AssertionError(f"{method} {path} never succeeded: {response.status_code} {response.text}")


def _create_pair(client: httpx.Client, index: int) -> str:
    key = f"CUST-{index:03d}"
    assert _until_done(client, "PUT", f"/v1/customers/{key}", customer(name=f"Customer {index}"), None
                       ).status_code == 200
    created = _until_done(client, "POST", "/v1/sales-orders", sales_order(key), uuid.uuid4().hex)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


class TestFlakyVendor:
    def test_batch_completes_without_duplicates_or_losses(self, start_erp, vendor):
        erp = start_erp(circuit_reset_seconds=0.5)
        vendor.item("PLAT-SEAT")
        vendor.faults(FAULTS)
        with ThreadPoolExecutor(WORKERS) as pool:  # one thread-safe client: a pool of kept-alive connections
            order_ids = list(pool.map(lambda i: _create_pair(erp.client, i), range(ORDERS)))
        injected = vendor.injected()
        vendor.clear_faults()
        customers = vendor.records("customer")
        orders = vendor.records("salesOrder")
        assert sorted(c["fields"]["externalId"] for c in customers) == [f"CUST-{i:03d}" for i in range(ORDERS)]
        assert sorted(o["id"] for o in orders) == sorted(set(order_ids)) and len(orders) == ORDERS
        assert {o["fields"]["entity"]["id"] for o in orders} == {c["id"] for c in customers}
        assert all(len(o["sublists"]["item"]) == 1 for o in orders)  # a repeated upsert replaced, never appended
        assert any(f["error_after"] for f in injected) and any(f["rate_limited"] for f in injected)
        if ORDERS >= 100:  # enough calls that the 2 s spikes and hangs fire too
            assert any(f["hang"] for f in injected) and any(f["spike"] for f in injected)
            assert any(f["spike"] and f["method"] in ("POST", "PUT") for f in injected), "slow successful writes"
        assert len(injected) > ORDERS // 2, "the faults must really have fired"


class TestDeadVendor:
    def test_circuit_opens_and_answers_503_with_retry_after(self, start_erp):
        erp = start_erp(vendor_url=f"http://127.0.0.1:{free_port()}", circuit_reset_seconds=30)
        responses = [erp.client.get("/v1/customers/ACME-001") for _ in range(5)]
        assert all(r.status_code == 503 for r in responses)
        retry_after = responses[-1].headers.get("retry-after")
        assert retry_after is not None and 1 <= int(retry_after) <= 30
        problem = responses[-1].json()  # once open, the circuit answers without touching the network
        assert problem["retryable"] is True and "circuit open" in problem["detail"]


class TestHangingVendor:
    def test_circuit_opens_and_the_vendor_hears_nothing_more(self, start_erp, vendor):
        erp = start_erp(vendor_timeout_seconds=0.2, circuit_reset_seconds=30)
        vendor.faults({"seed": 1, "rules": [{"route": "/services/rest/", "timeout_rate": 1.0, "hang_seconds": HANG}]})
        with httpx.Client(base_url=erp.url, timeout=PATIENCE, headers=erp.client.headers) as client:
            first = [client.get("/v1/customers/ACME-001") for _ in range(2)]
            assert first[0].status_code == 504  # each attempt waits out the API's vendor timeout, not the hang
            assert first[1].status_code == 503  # the attempts that timed out opened the circuit
            heard = len(vendor.injected())
            later = [client.get("/v1/customers/ACME-001"), client.put("/v1/customers/ACME-002", json=customer()),
                     client.post("/v1/sales-orders", json=sales_order(), headers={"Idempotency-Key": uuid.uuid4().hex})]
        assert len(vendor.injected()) == heard  # not one more request reached NetSuite while open
        assert_circuit_open([first[1], *later])

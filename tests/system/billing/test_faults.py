"""Fault tolerance: a flaky, rate-limiting, slow vendor loses and duplicates nothing; a dead one fails fast.

At the issue's scale: ``PAIRS`` = 200 customer + subscription creations (``REVFLOW_FAULT_BATCH=n`` runs ``n``
instead) through ``WORKERS`` concurrent callers while the sandbox answers 20% of calls with 5xx (5% after
committing, so the answer is lost), starts 429 bursts, delays every call by up to 150 ms, and lets 1% of calls
hang 2 s before answering 504 (the latency spikes; the kit's only delay that hits a few calls rather than all
is a hang). The faults are seeded. Callers behave like the process tier's saga workers: they share one
pool of kept-alive connections, and a 5xx or 409 answer is retried with the same Idempotency-Key.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from services.runtime.testing import free_port
from tests.system.billing.journeys import catalog_item, customer, subscription

PAIRS = int(os.environ.get("REVFLOW_FAULT_BATCH", "200"))
WORKERS = 50
FAULTS = {"error_rate": 0.2, "error_status": 500, "error_after_rate": 0.05, "rate_limit_rate": 0.03,
          "burst_length": 3, "retry_after": 1, "jitter_ms": 150, "timeout_rate": 0.01, "hang_seconds": 2.0}


def _until_done(client: httpx.Client, method: str, path: str, body: dict, key: str | None) -> httpx.Response:
    for _ in range(40):
        headers = {"Idempotency-Key": key} if key else {}
        response = client.request(method, path, json=body, headers=headers)
        if response.status_code < 500 and response.status_code != 409:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "0.05")), 1.0))
    raise AssertionError(f"{method} {path} never succeeded: {response.status_code} {response.text}")


def _create_pair(client: httpx.Client, index: int) -> str:
    key = f"CUST-{index:03d}"
    assert _until_done(client, "PUT", f"/v1/customers/{key}", customer(name=f"Customer {index}"), None
                       ).status_code == 200
    created = _until_done(client, "POST", "/v1/subscriptions", subscription(key), uuid.uuid4().hex)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


class TestFlakyVendor:
    def test_batch_completes_without_duplicates_or_losses(self, start_billing, vendor):
        billing = start_billing(circuit_reset_seconds=0.5)
        billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item())
        vendor.faults({"seed": 20, "rules": [{"route": vendor.ROUTES["api"], **FAULTS}]})
        with ThreadPoolExecutor(WORKERS) as pool:  # one thread-safe client: a pool of kept-alive connections
            sub_ids = list(pool.map(lambda i: _create_pair(billing.client, i), range(PAIRS)))
        injected = vendor.http.get("/__sandbox/faults").json()["injected"]
        vendor.clear_faults()
        customers = vendor.customer_keys()
        owners = vendor.subscription_customers()
        assert sorted(customers.values()) == [f"CUST-{i:03d}" for i in range(PAIRS)]
        assert sorted(owners) == sorted(set(sub_ids)) and len(owners) == PAIRS
        assert set(owners.values()) == set(customers)  # one subscription per customer, none lost, none doubled
        assert len(injected) > PAIRS // 2, "the faults must really have fired"
        if PAIRS >= 100:  # enough calls that every kind of fault fires, 2 s spikes included
            assert all(any(f[kind] for f in injected) for kind in ("hang", "error_after", "rate_limited"))


class TestDeadVendor:
    def test_circuit_opens_and_answers_503_with_retry_after_fast(self, start_billing):
        billing = start_billing(vendor_url=f"http://127.0.0.1:{free_port()}", circuit_reset_seconds=30)
        responses = [billing.client.get("/v1/customers/ACME-001") for _ in range(5)]
        assert all(r.status_code == 503 for r in responses)
        retry_after = responses[-1].headers.get("retry-after")
        assert retry_after is not None and 1 <= int(retry_after) <= 30
        # Failing fast is structural, not timed: once open, the circuit answers without touching the network.
        problem = responses[-1].json()
        assert problem["retryable"] is True and "circuit open" in problem["detail"]

"""Fault tolerance: a flaky, rate-limiting, slow vendor loses and duplicates nothing; a down one fails fast.

At the issue's scale: ``PAIRS`` = 200 customer + subscription creations (``REVFLOW_FAULT_BATCH=n`` runs ``n``
instead) through ``WORKERS`` concurrent callers while the sandbox answers 20% of calls with 5xx (5% after
committing, so the answer is lost), starts 429 bursts, delays every call by up to 150 ms, slows 2% of the calls
it lets through by a 2 s latency spike and then answers them normally (slow successes), and lets 1% of calls
hang 2 s before answering 504 (gateway timeouts). The faults are seeded. Callers behave like the process tier's
saga workers: they share one pool of kept-alive connections, and a 5xx or 409 answer is retried with the same
Idempotency-Key.

A 2 s slow success is within the API's vendor timeout (5 s by default), so it is simply waited for. With a
vendor timeout shorter than the spike, the API gives up on a write the vendor already committed and repeats it
under the same vendor idempotency key: ``TestSlowSuccess`` shows that still makes exactly one object.

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
from tests.system.billing.journeys import catalog_item, customer, setup_subscription, subscription

PAIRS = int(os.environ.get("REVFLOW_FAULT_BATCH", "200"))
WORKERS = 50
FAULTS = {"error_rate": 0.2, "error_status": 500, "error_after_rate": 0.05, "rate_limit_rate": 0.03,
          "burst_length": 3, "retry_after": 1, "jitter_ms": 150, "timeout_rate": 0.01, "hang_seconds": 2.0,
          "spike_rate": 0.02, "spike_ms": 2000}
HANG = 120.0
PATIENCE = 10.0


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


def _injected(vendor) -> list[dict]:
    return list(vendor.http.get("/__sandbox/faults").raise_for_status().json()["injected"])


class TestFlakyVendor:
    def test_batch_completes_without_duplicates_or_losses(self, start_billing, vendor):
        billing = start_billing(circuit_reset_seconds=0.5)
        billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item())
        vendor.faults({"seed": 20, "rules": [{"route": vendor.ROUTES["api"], **FAULTS}]})
        with ThreadPoolExecutor(WORKERS) as pool:  # one thread-safe client: a pool of kept-alive connections
            sub_ids = list(pool.map(lambda i: _create_pair(billing.client, i), range(PAIRS)))
        injected = _injected(vendor)
        vendor.clear_faults()
        customers = vendor.customer_keys()
        owners = vendor.subscription_customers()
        assert sorted(customers.values()) == [f"CUST-{i:03d}" for i in range(PAIRS)]
        assert sorted(owners) == sorted(set(sub_ids)) and len(owners) == PAIRS
        assert set(owners.values()) == set(customers)  # one subscription per customer, none lost, none doubled
        assert len(injected) > PAIRS // 2, "the faults must really have fired"
        if PAIRS >= 100:  # enough calls that every kind of fault fires, 2 s spikes and hangs included
            assert all(any(f[kind] for f in injected) for kind in ("spike", "hang", "error_after", "rate_limited"))
            spiked_writes = [f for f in injected if f["spike"] and f["method"] == "POST"]
            assert spiked_writes, "some writes must have been slow successes"


class TestSlowSuccess:
    def test_a_write_retried_after_a_slow_commit_is_made_once(self, start_billing, vendor):
        billing = start_billing(vendor_timeout_seconds=0.5)
        setup_subscription(billing)
        # Seeded: the first creation commits, then its answer takes 2 s, four times what the API waits for one
        # attempt; so the API repeats the committed write, and the repeat is not slowed.
        vendor.faults({"seed": 16, "rules": [{"route": vendor.ROUTES["subscription.create"], "spike_rate": 0.5,
                                             "spike_ms": 2000, "spike_after": True}]})
        created = billing.write("POST", "/v1/subscriptions", subscription("ACME-001"), "slow-1")
        assert created.status_code == 201, created.text
        assert [f["spike"] for f in _injected(vendor)] == [2.0]  # the first attempt's answer never came in time
        assert vendor.count("subscription") == 2  # the setup's and exactly one more
        assert created.json()["id"] in vendor.subscription_customers()


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


class TestHangingVendor:
    def test_circuit_opens_and_the_vendor_hears_nothing_more(self, start_billing, vendor):
        billing = start_billing(vendor_timeout_seconds=0.2, circuit_reset_seconds=30)
        vendor.faults({"seed": 1, "rules": [{"route": vendor.ROUTES["api"], "timeout_rate": 1.0,
                                             "hang_seconds": HANG}]})
        client = httpx.Client(base_url=billing.url, timeout=PATIENCE, headers=billing.client.headers)
        with client:
            first = [client.get("/v1/customers/ACME-001") for _ in range(2)]
            assert first[0].status_code == 504  # each attempt waits out the API's vendor timeout, not the hang
            assert first[1].status_code == 503  # the attempts that timed out opened the circuit
            heard = len(_injected(vendor))
            later = [client.get("/v1/customers/ACME-001"),
                     client.put("/v1/customers/ACME-002", json=customer()),
                     client.post("/v1/subscriptions", json=subscription("ACME-001"),
                                 headers={"Idempotency-Key": uuid.uuid4().hex})]
        assert len(_injected(vendor)) == heard  # not one more request reached the vendor while open
        assert_circuit_open([first[1], *later])

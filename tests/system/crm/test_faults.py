"""Fault tolerance: a flaky, rate-limiting, slow CRM loses and duplicates nothing; a down one fails fast.

At the issue's scale: ``ACCOUNTS`` = 200 account upserts (``REVFLOW_FAULT_BATCH=n`` runs ``n`` instead) through
``WORKERS`` concurrent callers while the sandbox answers 20% of calls with 5xx (5% after committing, so the
answer is lost), starts 429 bursts (Salesforce answers its own 403 ``REQUEST_LIMIT_EXCEEDED`` instead), delays
every call by up to 150 ms, slows 2% of the calls it lets through by a 2 s latency spike and then answers them
normally (slow successes, within the API's 5 s vendor timeout), and lets 1% of calls hang 2 s before answering
504 (gateway timeouts). The faults are seeded. Callers behave like the process tier's saga workers: they share
one pool of kept-alive connections, and a 5xx or 409 answer is retried with the same Idempotency-Key.

A CRM that is down either refuses connections or accepts them and never answers; in both cases the circuit
opens and the API answers 503 with Retry-After without reaching the CRM. "Fast" is shown structurally: the
hanging CRM would hold a call for ``HANG`` seconds, far beyond the ``PATIENCE`` the test's own client grants
each call, so an API that waited for the CRM would fail the test with a read timeout.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from services.runtime.testing import free_port
from tests.support.circuit import assert_circuit_open
from tests.system.crm.journeys import account

ACCOUNTS = int(os.environ.get("REVFLOW_FAULT_BATCH", "200"))
WORKERS = 50
FAULTS = {"seed": 20, "rules": [{"route": "/(services|crm)/", "error_rate": 0.2, "error_status": 500,
                                 "error_after_rate": 0.05, "rate_limit_rate": 0.03, "burst_length": 3,
                                 "retry_after": 1, "jitter_ms": 150, "timeout_rate": 0.01, "hang_seconds": 2.0,
                                 "spike_rate": 0.02, "spike_ms": 2000}]}
HANG = 120.0
PATIENCE = 10.0


def _until_done(client: httpx.Client, path: str, body: dict) -> httpx.Response:
    for _ in range(40):
        response = client.put(path, json=body)
        if response.status_code < 500 and response.status_code != 409:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "0.05")), 1.0))
    raise AssertionError(f"PUT {path} never succeeded: {response.status_code} {response.text}")


def _upsert(client: httpx.Client, index: int) -> str:
    response = _until_done(client, f"/v1/accounts/ACC-{index:03d}", account(name=f"Account {index}"))
    assert response.status_code == 200, response.text
    return str(response.json()["external_ids"]["crm"])


def _injected(vendor) -> list[dict]:
    return list(vendor.http.get("/__sandbox/faults").raise_for_status().json()["injected"])


class TestFlakyVendor:
    def test_batch_completes_without_duplicates_or_losses(self, start_crm, vendor):
        crm = start_crm(circuit_reset_seconds=0.5)
        vendor.faults(FAULTS)
        with ThreadPoolExecutor(WORKERS) as pool:  # one thread-safe client: a pool of kept-alive connections
            ids = list(pool.map(lambda i: _upsert(crm.client, i), range(ACCOUNTS)))
        injected = _injected(vendor)
        vendor.clear_faults()
        records = vendor.accounts()
        assert len(records) == ACCOUNTS and len(set(ids)) == ACCOUNTS
        names = sorted((r.get("Name") or r.get("properties", {}).get("name")) for r in records)
        assert names == sorted(f"Account {i}" for i in range(ACCOUNTS))
        assert len(injected) > ACCOUNTS // 2, "the faults must really have fired"
        if ACCOUNTS >= 100:  # enough calls that every kind of fault fires, 2 s spikes included
            assert all(any(f[kind] for f in injected) for kind in ("spike", "hang", "error_after", "rate_limited"))
            assert any(f["spike"] and f["method"] in ("POST", "PATCH") for f in injected), "slow successful writes"


class TestDeadVendor:
    def test_circuit_opens_and_answers_503_with_retry_after_fast(self, start_crm):
        crm = start_crm(vendor_url=f"http://127.0.0.1:{free_port()}", circuit_reset_seconds=30)
        responses = [crm.client.get("/v1/accounts/ACME-001") for _ in range(5)]
        assert all(r.status_code == 503 for r in responses)
        retry_after = responses[-1].headers.get("retry-after")
        assert retry_after is not None and 1 <= int(retry_after) <= 30
        problem = responses[-1].json()
        assert problem["retryable"] is True and "circuit open" in problem["detail"]


class TestHangingVendor:
    def test_circuit_opens_and_the_vendor_hears_nothing_more(self, start_crm, vendor):
        crm = start_crm(vendor_timeout_seconds=0.2, circuit_reset_seconds=30)
        vendor.faults({"seed": 1, "rules": [{"route": "/(services|crm)/", "timeout_rate": 1.0, "hang_seconds": HANG}]})
        with httpx.Client(base_url=crm.url, timeout=PATIENCE, headers=crm.client.headers) as client:
            first = [client.get("/v1/accounts/ACME-001") for _ in range(2)]
            assert first[0].status_code == 504  # each attempt waits out the API's vendor timeout, not the hang
            assert first[1].status_code == 503  # the attempts that timed out opened the circuit
            heard = len(_injected(vendor))
            later = [client.get("/v1/accounts/ACME-001"), client.put("/v1/accounts/ACME-002", json=account())]
        assert len(_injected(vendor)) == heard  # not one more request reached the CRM while open
        assert_circuit_open([first[1], *later])

"""The workers' sweep keeps the finance figures current when requests read no deal themselves.

A process API that never reads a deal while answering (``metrics_inline_limit`` 0): the deal activated here
can only reach the metrics through a worker's sweep; once it has, nothing is pending.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.process.test_reconciliation import activated
from tests.process.topology import Topology, running_topology


@pytest.fixture(scope="module")
def topology(issuer, module_key_prefix) -> Iterator[Topology]:
    with running_topology(issuer, module_key_prefix, metrics_inline_limit=0, metrics_sweep_seconds=0.3) as running:
        yield running


def test_the_sweep_reads_a_new_deal_the_requests_never_read(topology: Topology):
    line = {"sku": "SWEEP-SEAT", "quantity": 2, "list": 4_000, "sale": 4_000, "start": "2022-03-01",
            "end": "2023-02-28", "frequency": "monthly"}
    activated(topology, [line], close_date="2022-03-01")
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = topology.process.get("/v1/metrics", params={"from": "2022-03", "to": "2022-03"}).json()
        seen.append(body["stale_deals"])
        if body["stale_deals"] == 0 and body["currencies"]:
            break
        time.sleep(0.2)
    assert body["stale_deals"] == 0, seen
    assert body["deals"] == 1
    [usd] = body["currencies"]
    assert usd["periods"][0]["bookings"] == 2 * 4_000 * 12

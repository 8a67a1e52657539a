"""Sandbox scale benchmark: does a write or a query cost more when the vendor sandbox holds more records?

Each vendor sandbox is served on loopback (uvicorn, one thread of this process) and driven through its real
HTTP API: the store is filled with N deals' records, then S more writes are timed (cost per write request at
about N records), S queries (each finding one record, the store unchanged between them) and S queries each
right after a write (so whatever a query prepares from the store has to be prepared again).

The figures are printed at N = 100 and N = 1,000. The ratio of a figure at 1,000 to the one at 100 says
whether the cost grows with the store: about 1 means it does not; about 10 means it is linear in the store.
Lists and searches scan every record by design, so queries may grow a little; writes should not. Costs are
CPU time of this process (the server thread and the client), which other load on the machine does not
inflate; the median wall time is printed beside it.

| vendor | one write request | one query |
|---|---|---|
| Salesforce | ``POST /sobjects/Account`` | SOQL ``SELECT Id FROM Account WHERE Revflow_Id__c = …`` |
| NetSuite | ``POST /record/v1/customer``, then a sales order for it | SuiteQL ``SELECT id FROM customer WHERE …`` |
| Stripe | ``POST /v1/customers`` | ``GET /v1/customers/search`` by metadata |
| Chargebee | ``POST /api/v2/customers`` | ``GET /api/v2/customers?email[is]=…`` |
| HubSpot | ``POST /crm/v3/objects/deals`` | ``POST /crm/v3/objects/deals/search`` by name |

Run: ``uv run python -m bench.sandboxes [--quick] [--vendor NAME ...]`` (``--quick``: N = 50 and 500, fewer
samples). Figures go to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from services.runtime.testing import serve_in_thread
from services.system.erp.connectors.netsuite import TokenCredentials, TokenSigner

logging.getLogger("httpx").setLevel(logging.WARNING)


class Driver:
    """One vendor's requests: ``write(i)`` stores deal ``i`` (returns how many requests it made)."""

    name = ""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)

    def prepare(self) -> None:
        """Master data the writes need."""

    def write(self, i: int) -> int:
        raise NotImplementedError

    def query(self, i: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} "
                           f"{response.text[:300]}")
    return response


class Salesforce(Driver):
    name = "salesforce"
    BASE = "/services/data/v62.0"

    def __init__(self, url: str) -> None:
        from sandboxes.salesforce.settings import DEV_SESSION_ID

        super().__init__(url)
        self.http.headers["Authorization"] = f"Bearer {DEV_SESSION_ID}"

    def write(self, i: int) -> int:
        _ok(self.http.post(f"{self.BASE}/sobjects/Account", json={"Name": f"Account {i}", "Revflow_Id__c": f"d{i}"}))
        return 1

    def query(self, i: int) -> None:
        body = _ok(self.http.get(f"{self.BASE}/query", params={
            "q": f"SELECT Id, Name FROM Account WHERE Revflow_Id__c = 'd{i}'"})).json()
        assert body["totalSize"] == 1, body


class NetSuite(Driver):
    name = "netsuite"

    def __init__(self, url: str) -> None:
        from sandboxes.netsuite import DEV_SETTINGS

        super().__init__(url)
        self.url, self.item = url, ""
        s = DEV_SETTINGS  # the connector's own signer: the bench measures the sandbox, not a second OAuth client
        self.signer = TokenSigner(TokenCredentials(account_id=s.account_id, consumer_key=s.consumer_key,
                                                   consumer_secret=s.consumer_secret, token_id=s.token_id,
                                                   token_secret=s.token_secret))

    def _send(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        raw = json.dumps(body).encode() if body is not None else b""
        url = f"{self.url}/services/rest{path}"
        return _ok(self.http.request(method, url, content=raw or None, headers={
            "Content-Type": "application/json", "Authorization": self.signer.authorization(method, url, raw),
            **(headers or {})}))

    def prepare(self) -> None:
        location = self._send("POST", "/record/v1/serviceSaleItem", {"itemId": "PLAN", "basePrice": 100}).headers
        self.item = location["location"].rsplit("/", 1)[1]

    def write(self, i: int) -> int:
        customer = self._send("POST", "/record/v1/customer", {"companyName": f"Customer {i}",
                                                               "externalId": f"c{i}"}).headers["location"]
        self._send("POST", "/record/v1/salesOrder", {
            "entity": {"id": customer.rsplit("/", 1)[1]}, "externalId": f"so{i}",
            "item": {"items": [{"item": {"id": self.item}, "quantity": 1}]}})
        return 2

    def query(self, i: int) -> None:
        body = self._send("POST", "/query/v1/suiteql", {"q": f"SELECT id FROM customer WHERE externalid = 'c{i}'"},
                          {"Prefer": "transient"}).json()
        assert body["count"] == 1, body


class Stripe(Driver):
    name = "stripe"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http.headers["Authorization"] = "Bearer sk_test_bench"

    def write(self, i: int) -> int:
        _ok(self.http.post("/v1/customers", data={"email": f"d{i}@example.com", "metadata[deal]": f"d{i}"}))
        return 1

    def query(self, i: int) -> None:
        body = _ok(self.http.get("/v1/customers/search", params={"query": f"metadata['deal']:'d{i}'"})).json()
        assert len(body["data"]) == 1, body


class Chargebee(Driver):
    name = "chargebee"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http.auth = ("bench_key", "")

    def write(self, i: int) -> int:
        _ok(self.http.post("/api/v2/customers", data={"id": f"d{i}", "email": f"d{i}@example.com"}))
        return 1

    def query(self, i: int) -> None:
        body = _ok(self.http.get("/api/v2/customers", params={"email[is]": f"d{i}@example.com"})).json()
        assert len(body["list"]) == 1, body


class HubSpot(Driver):
    name = "hubspot"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http.headers["Authorization"] = "Bearer pat-na1-00000000-0000-0000-0000-000000000000"

    def write(self, i: int) -> int:
        _ok(self.http.post("/crm/v3/objects/deals", json={"properties": {"dealname": f"Deal {i}", "amount": "100"}}))
        return 1

    def query(self, i: int) -> None:
        body = _ok(self.http.post("/crm/v3/objects/deals/search", json={"filterGroups": [{"filters": [
            {"propertyName": "dealname", "operator": "EQ", "value": f"Deal {i}"}]}]})).json()
        assert body["total"] == 1, body


def _apps() -> dict[str, tuple[Callable[[], Any], type[Driver]]]:
    from sandboxes.chargebee import create_app as chargebee
    from sandboxes.hubspot import create_app as hubspot
    from sandboxes.netsuite import DEV_SETTINGS
    from sandboxes.netsuite import create_app as netsuite
    from sandboxes.salesforce import create_app as salesforce
    from sandboxes.stripe import create_app as stripe

    return {"salesforce": (lambda: salesforce(seed=1), Salesforce),
            "netsuite": (lambda: netsuite(DEV_SETTINGS), NetSuite),
            "stripe": (lambda: stripe(seed=1), Stripe),
            "chargebee": (lambda: chargebee(seed=1), Chargebee),
            "hubspot": (lambda: hubspot(seed=1), HubSpot)}


@dataclass
class Cost:
    """One operation's cost: CPU milliseconds of this process (client and server) and wall milliseconds."""

    cpu_ms: float
    wall_ms: float

    def __str__(self) -> str:
        return f"{self.cpu_ms:7.2f} {self.wall_ms:7.2f}"


@dataclass
class Figures:
    size: int
    fill_s: float
    write: Cost
    query: Cost
    query_after_write: Cost


@contextmanager
def _served(vendor: str) -> Iterator[Driver]:
    factory, driver_type = _apps()[vendor]
    with serve_in_thread(factory()) as server:
        driver = driver_type(server.url)
        try:
            yield driver
        finally:
            driver.close()


class _Timer:
    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []

    @contextmanager
    def timed(self) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def cost(self) -> Cost:
        # CPU time is the figure to compare: it does not count the time other processes had the cores.
        return Cost(statistics.mean(self.cpu) * 1000, statistics.median(self.wall) * 1000)


def measure(vendor: str, size: int, samples: int) -> Figures:
    """Fill to ``size`` deals, then time ``samples`` writes, queries and query-after-write pairs."""
    with _served(vendor) as driver:
        driver.prepare()
        started = time.perf_counter()
        for i in range(size - samples):
            driver.write(i)
        fill = time.perf_counter() - started
        writes, queries, after_write = _Timer(), _Timer(), _Timer()
        for i in range(size - samples, size):
            cpu, wall = time.process_time(), time.perf_counter()
            requests = driver.write(i)
            writes.cpu.append((time.process_time() - cpu) / requests)
            writes.wall.append((time.perf_counter() - wall) / requests)
        for k in range(samples):
            with queries.timed():
                driver.query((k * 7919) % size)
        for k in range(samples):
            driver.write(size + k)
            with after_write.timed():
                driver.query((k * 7919) % size)
    return Figures(size, fill, writes.cost(), queries.cost(), after_write.cost())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="N = 50 and 500, fewer samples")
    parser.add_argument("--vendor", action="append", choices=sorted(_apps()), help="only these vendors")
    args = parser.parse_args(argv)
    sizes, samples = ((50, 500), 20) if args.quick else ((100, 1000), 40)
    print(f"per request: mean CPU ms of this process (client + server), median wall ms; fill = wall seconds to "
          f"store the first N - {samples} deals")
    print(f"{'':<17}{'':>9} {'write':^15} {'query':^15} {'query after write':^17}")
    print(f"{'vendor':<11}{'N':>6}{'fill s':>9} {'cpu':>7} {'wall':>7} {'cpu':>7} {'wall':>7} {'cpu':>7} {'wall':>7}")
    for vendor in args.vendor or list(_apps()):
        rows = [measure(vendor, size, samples) for size in sizes]
        for f in rows:
            print(f"{vendor:<11}{f.size:>6}{f.fill_s:>9.2f} {f.write} {f.query} {f.query_after_write}")
        small, large = rows
        ratios = [large.write.cpu_ms / small.write.cpu_ms, large.query.cpu_ms / small.query.cpu_ms,
                  large.query_after_write.cpu_ms / small.query_after_write.cpu_ms]
        print(f"{'':<11}{'ratio':>6}{'':>9} " + " ".join(f"{r:7.1f} {'':>7}" for r in ratios), flush=True)

if __name__ == "__main__":
    main()

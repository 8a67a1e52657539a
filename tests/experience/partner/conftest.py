"""The partner API's test stack: its own issuer with partner clients, the whole chain, two partner replicas.

Partner tokens carry a ``tenant`` claim, so this package runs an issuer of its own (the session issuer's
clients have none) with signing keys the tests hold, to mint expired tokens too. The quote-to-cash chain
(sandboxes, system APIs, the process API with its workers) runs once for the package, and two partner API
replicas serve over real HTTP on one Redis key prefix, as two pods behind a load balancer would.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import msgspec
import pytest

from contracts.deals import DealLine
from contracts.parties import Customer
from services.experience.partner.app import create_app
from services.experience.partner.settings import PartnerSettings, PlanLimit
from services.experience.partner.tenancy import OrderRecord, TenantIndex
from services.runtime.auth.issuer.app import create_app as create_issuer
from services.runtime.auth.issuer.grant import TokenRequest, issue_token
from services.runtime.auth.issuer.keys import SigningKeys
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings
from services.runtime.redis import KeySpace, create_redis
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import REDIS_URL, TEST_AUDIENCES, TEST_CLIENT_ID, TEST_CLIENT_SECRET, Issuer, delete_keys
from tests.process.topology import Topology, running_topology
from tests.system.crm.journeys import account

PARTNER_SCOPES = "partner:read partner:write"
TENANTS = {"partner-a": "tenant-a", "partner-b": "tenant-b", "partner-limited": "tenant-l",
           "partner-fuzz": "tenant-f", "partner-hooks": "tenant-h"}
"""Partner clients and their tenants (secret: ``<client id>-secret``)."""
SERVICE_CLIENT, SERVICE_SECRET = "revflow-partner", "revflow-partner-test-secret"


def _scopes(*audiences: str) -> tuple[str, ...]:
    return tuple(f"{aud}:{access}" for aud in audiences for access in ("read", "write"))


@dataclass
class PartnerIssuer(Issuer):
    """The package's issuer, its keys and clients, so a test can also sign a token the issuer never would."""

    url: str
    keys: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, ClientConfig] = field(default_factory=dict)

    def partner_token(self, client_id: str, scope: str = PARTNER_SCOPES, audience: str = "partner") -> str:
        return self.token(scope, audience=audience, client_id=client_id, secret=f"{client_id}-secret")

    def expired_token(self, client_id: str) -> str:
        """A token signed with the issuer's own key for the right audience, expired an hour ago."""
        request = TokenRequest({"grant_type": ["client_credentials"], "audience": ["partner"]}, None)
        body = issue_token(request, self.clients[client_id], SigningKeys.from_jwks(self.keys), issuer=self.url,
                           ttl=60, now=time.time() - 3_600)
        return str(body["access_token"])


@pytest.fixture(scope="session")
def partner_issuer() -> Iterator[PartnerIssuer]:
    port = free_port()
    keys = {"keys": [SigningKeys.generate().active.as_dict(private=True)]}
    clients = [
        ClientConfig(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, scopes=_scopes(*TEST_AUDIENCES),
                     audiences=TEST_AUDIENCES),
        ClientConfig(client_id=SERVICE_CLIENT, client_secret=SERVICE_SECRET, scopes=_scopes("quote_to_cash"),
                     audiences=("quote_to_cash",)),
        # An internal client of the partner API: right audience, no tenant.
        ClientConfig(client_id="partner-internal", client_secret="partner-internal-secret",
                     scopes=_scopes("partner"), audiences=("partner",)),
        # A partner client that may also ask for process API tokens (the wrong-audience case).
        ClientConfig(client_id="partner-wide", client_secret="partner-wide-secret",
                     scopes=_scopes("partner", "quote_to_cash"), audiences=("partner", "quote_to_cash"),
                     tenant="tenant-a"),
        *(ClientConfig(client_id=cid, client_secret=f"{cid}-secret", scopes=_scopes("partner"),
                       audiences=("partner",), tenant=tenant) for cid, tenant in TENANTS.items()),
    ]
    settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=tuple(clients), signing_keys=keys)
    with serve_in_thread(create_issuer(settings), port=port) as server:
        yield PartnerIssuer(url=server.url, keys=keys, clients={c.client_id: c for c in clients})


@pytest.fixture(scope="session")
def partner_prefix() -> Iterator[str]:
    prefix = f"test:{uuid.uuid4().hex[:12]}:partner:"
    yield prefix
    delete_keys(prefix)


@pytest.fixture(scope="session")
def topology(partner_issuer: PartnerIssuer, partner_prefix: str) -> Iterator[Topology]:
    with running_topology(partner_issuer, partner_prefix) as running:
        yield running


@pytest.fixture(scope="session")
def partner_settings(partner_issuer: PartnerIssuer, partner_prefix: str, topology: Topology) -> PartnerSettings:
    return PartnerSettings(
        issuer_url=partner_issuer.url, redis_url=REDIS_URL, key_prefix=partner_prefix,
        process_url=topology.urls["quote_to_cash"], client_id=SERVICE_CLIENT, client_secret=SERVICE_SECRET,
        upstream_timeout_seconds=30.0,
        plans={"trial": PlanLimit(requests=5, window_seconds=3_600), "standard": PlanLimit(requests=100_000)},
        client_plans={"partner-limited": "trial"}, default_plan="standard",
        webhook_max_attempts=3, webhook_backoff_base_seconds=0.2, webhook_backoff_cap_seconds=1.0,
        webhook_poll_seconds=0.05, webhook_timeout_seconds=5.0, webhook_allow_private_networks=True)


@pytest.fixture(scope="session")
def replicas(partner_settings: PartnerSettings) -> Iterator[list[str]]:
    """Two partner API replicas sharing one Redis prefix: their base URLs."""
    with serve_in_thread(create_app(partner_settings)) as one, serve_in_thread(create_app(partner_settings)) as two:
        yield [one.url, two.url]


class Partner:
    """HTTP clients of the partner API as one partner client sees it, on either replica."""

    def __init__(self, issuer: PartnerIssuer, urls: list[str], client_id: str) -> None:
        self.client_id, self.tenant = client_id, TENANTS.get(client_id)
        token = issuer.partner_token(client_id)
        self.http = [httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"})
                     for url in urls]

    def request(self, method: str, path: str, *, replica: int = 0, **kwargs: Any) -> httpx.Response:
        if method in ("POST", "PATCH", "DELETE"):
            kwargs.setdefault("headers", {}).setdefault("Idempotency-Key", uuid.uuid4().hex)
        return self.http[replica].request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    def close(self) -> None:
        for client in self.http:
            client.close()


@pytest.fixture(scope="session")
def partners(partner_issuer: PartnerIssuer, replicas: list[str]) -> Iterator[Callable[[str], Partner]]:
    made: dict[str, Partner] = {}

    def partner(client_id: str) -> Partner:
        if client_id not in made:
            made[client_id] = Partner(partner_issuer, replicas, client_id)
        return made[client_id]

    yield partner
    for p in made.values():
        p.close()


class Receiver:
    """A partner's webhook endpoint: records every request; answers ``fail_first`` 500s, then 200s."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = 0
        self.always_fail = False
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.requests.append((headers, body))
            failing = self.always_fail or len(self.requests) <= self.fail_first
        await send({"type": "http.response.start", "status": 500 if failing else 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"no" if failing else b"ok"})

    def of_event(self, event_id: str) -> list[tuple[dict[str, str], bytes]]:
        with self._lock:
            return [(h, b) for h, b in self.requests if h.get("revflow-event-id") == event_id]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    with serve_in_thread(target) as server:
        yield target, f"{server.url}/hooks"


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds (a hang, not a speed bar)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen in {timeout}s (last: {last!r})")


TERMINAL_ORDER = ("completed", "needs_attention", "blocked_master_data", "cancelled")


def order_body(*, usage_sku: str | None = None, customer_id: str | None = None, name: str = "Globex GmbH",
               platform_sku: str, order_id: str | None = None) -> dict[str, Any]:
    """A v2 order: a yearly platform subscription billed monthly, optionally with a usage-priced line."""
    lines = [{"product_sku": platform_sku, "description": "Platform seats", "quantity": 5,
              "list_price": {"amount": "100.00", "currency": "EUR"},
              "sale_price": {"amount": "90.00", "currency": "EUR"},
              "service_start": "2025-01-01", "service_end": "2025-12-31", "billing_frequency": "monthly"}]
    if usage_sku:
        lines.append({"product_sku": usage_sku, "description": "API calls", "quantity": 1,
                      "list_price": {"amount": "0.05", "currency": "EUR"},
                      "sale_price": {"amount": "0.04", "currency": "EUR"},
                      "service_start": "2025-01-01", "service_end": "2025-12-31", "billing_frequency": "usage"})
    customer = {"name": name, "currency": "EUR",
                "billing_address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
                "contacts": [{"name": "Erika Muster", "email": "erika@example.com", "roles": ["billing"]}]}
    if customer_id:
        customer["id"] = customer_id
    return {"id": order_id or f"PO-{uuid.uuid4().hex[:10]}", "customer": customer, "currency": "EUR",
            "lines": lines, "close_date": "2025-01-01"}


def sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def book(topology: Topology, partner: Partner, *, usage: bool = False, **kwargs: Any) -> dict[str, Any]:
    """Submit an order through the partner API (v2) and wait until its activation completed; the order."""
    platform = sku("PLAT")
    topology.item(platform)
    usage_sku = None
    if usage:
        usage_sku = sku("API")
        topology.item(usage_sku)
    body = order_body(platform_sku=platform, usage_sku=usage_sku, **kwargs)
    submitted = partner.ok("POST", "/v2/orders", status=202, json=body)
    assert submitted["id"] == body["id"]

    def finished() -> dict[str, Any] | None:
        order = partner.ok("GET", f"/v2/orders/{body['id']}")
        return order if order["status"] in TERMINAL_ORDER else None

    order = wait_until(finished, timeout=120, what=f"order {body['id']} to finish")
    if order["status"] != "completed":  # say why, from the process tier's side
        intake = topology.workflow(f"order:{partner.tenant}:{body['id']}")
        stopped = topology.workflow(f"activation:{order['opportunity_id']}") if order["opportunity_id"] else intake
        raise AssertionError(f"order {body['id']} is {order['status']}: {stopped.get('exception')}")
    return order


def seed_deal(topology: Topology, prefix: str, tenant: str, *, usage: bool = False) -> dict[str, Any]:
    """A deal of ``tenant``'s that sales won in the CRM, activated, and recorded in the partner tenant index.

    The arrangement for tests of what the partner API reads (documents, isolation) that must not depend on the
    order intake path: the deal, its activation, subscription and invoices are real; only its ownership is
    written into the tenant index directly, as a submitted order would have written it.
    """
    specs = [{"sku": sku("PLAT"), "quantity": 5, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
              "end": "2025-12-31", "frequency": "monthly", "description": "Platform seats"}]
    if usage:
        specs.append({"sku": sku("API"), "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01",
                      "end": "2025-12-31", "frequency": "usage", "description": "API calls"})
    for spec in specs:
        topology.item(spec["sku"])
    name = f"Initech {uuid.uuid4().hex[:4]}"
    deal = topology.win_deal(specs, name=name)
    done = topology.wait_for(f"activation:{deal}", timeout=120)
    assert done["state"] == "succeeded", done.get("exception")

    lines = [msgspec.convert({"product_sku": s["sku"], "description": s["description"], "quantity": s["quantity"],
                              "list_price": {"amount_minor": s["list"], "currency": "USD"},
                              "sale_price": {"amount_minor": s["sale"], "currency": "USD"},
                              "service_start": s["start"], "service_end": s["end"],
                              "billing_frequency": s["frequency"]}, DealLine, strict=False) for s in specs]
    order_id, customer_id = f"SEED-{uuid.uuid4().hex[:8]}", f"CUST-{uuid.uuid4().hex[:6]}"
    customer = msgspec.convert({**account(name), "id": customer_id}, Customer)

    async def record() -> None:
        redis = create_redis(REDIS_URL)
        try:
            index = TenantIndex(redis, KeySpace(prefix))
            now = datetime.now(UTC)
            await index.save_order(OrderRecord(
                tenant=tenant, order_id=order_id, customer_id=customer_id, currency="USD", lines=lines,
                close_date=date(2025, 1, 1), fingerprint="seeded", submitted_at=now, updated_at=now,
                status="completed", opportunity_id=deal, workflow_id=f"activation:{deal}"))
            await index.save_customer(tenant, customer_id, customer, order_id, now)
        finally:
            await redis.aclose()

    asyncio.run(record())
    return {"order_id": order_id, "customer_id": customer_id, "opportunity_id": deal, "activation": done,
            "skus": [s["sku"] for s in specs], "name": name}

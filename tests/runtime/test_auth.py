"""Resource-server auth over real HTTP: the issuer and a protected service each run on loopback.

Every rejected token is checked for its status AND its RFC 6750 challenge, so a test cannot pass because
the token was refused for some other reason than the one it is about.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.auth import (
    AccessTokenVerifier,
    ClientCredentials,
    InvalidTokenError,
    JWKSCache,
    TokenRequestError,
    current_principal,
    requires,
    requires_tenant,
)
from services.runtime.auth import verify as verify_module
from services.runtime.auth.issuer import ClientConfig, IssuerSettings, create_app
from services.runtime.auth.jwks import jwks_url
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.settings import RuntimeSettings
from services.runtime.testing import RunningServer, free_port, serve_in_thread
from services.runtime.versioning import versioned_router
from tests.conftest import REDIS_URL

KID = "test-key-1"
ADMIN = "test-admin-secret"
CLIENTS = (
    ClientConfig(client_id="reader", client_secret="reader-secret", scopes=("orders:read",), audiences=("orders",)),
    ClientConfig(client_id="writer", client_secret="writer-secret", scopes=("orders:read", "orders:write"),
                 audiences=("orders",)),
    ClientConfig(client_id="elsewhere", client_secret="elsewhere-secret", scopes=("orders:read",),
                 audiences=("other",)),
    ClientConfig(client_id="acme", client_secret="acme-secret", scopes=("orders:read",), audiences=("orders",),
                 tenant="acme"),
)
REVOKED: set[str] = set()
"""Raw tokens the protected app treats as revoked (to exercise ClientCredentials' retry on 401)."""


class Clock:
    """A settable clock for caches that must not wait for real time to pass."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def challenge(reason: str) -> str:
    return f'Bearer realm="revflow", error="invalid_token", error_description="{reason}"'


def protected_app(issuer_url: str, verifier: AccessTokenVerifier | None = None,
                  key_prefix: str = "test:auth-no-writes:") -> Litestar:
    """A service built like every revflow service (``create_service_app``), protecting a few routes."""

    @get("/whoami", sync_to_thread=False)
    def whoami(request: Request[Any, Any, Any]) -> dict[str, Any]:
        principal = current_principal(request)
        return {"sub": principal.subject, "client_id": principal.client_id, "scopes": sorted(principal.scopes),
                "tenant": principal.tenant, "jti": principal.token_id, "aud": list(principal.audience)}

    @get("/orders", guards=[requires("orders:read")], sync_to_thread=False)
    def list_orders(request: Request[Any, Any, Any]) -> dict[str, Any]:
        if request.headers["authorization"].split()[1] in REVOKED:
            raise NotAuthorizedException(detail="token revoked")
        return {"orders": [], "jti": request.user.token_id}

    @post("/orders", guards=[requires("orders:write")], sync_to_thread=False, opt={IDEMPOTENCY_OPT: "off"})
    def create_order() -> dict[str, str]:
        return {"id": "o-1"}

    @get("/tenants/{tenant:str}/orders", guards=[requires("orders:read"), requires_tenant("tenant")],
         sync_to_thread=False)
    def tenant_orders(tenant: FromPath[str]) -> dict[str, str]:
        return {"tenant": tenant}

    settings = RuntimeSettings(service_name="orders", issuer_url=issuer_url, redis_url=REDIS_URL,
                               key_prefix=key_prefix)
    spec = ServiceSpec(name="orders", routers=[versioned_router(1, [whoami, list_orders, create_order,
                                                                     tenant_orders])])
    return create_service_app(spec, settings, verifier=verifier)


def issuer_settings(port: int, key: ECKey, **overrides: Any) -> IssuerSettings:
    return IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=CLIENTS, admin_secret=ADMIN,
                          signing_keys=KeySet([key]).as_dict(private=True), **overrides)


@pytest.fixture(scope="module")
def issuer_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": KID, "use": "sig", "alg": "ES256"})


@pytest.fixture(scope="module")
def issuer(issuer_key: ECKey) -> Iterator[RunningServer]:
    port = free_port()
    with serve_in_thread(create_app(issuer_settings(port, issuer_key)), port=port) as server:
        yield server


@pytest.fixture(scope="module")
def service(issuer: RunningServer) -> Iterator[RunningServer]:
    with serve_in_thread(protected_app(issuer.url)) as server:
        yield server


def issued(issuer: RunningServer, client: str, audience: str = "orders", **form: str) -> str:
    response = httpx.post(f"{issuer.url}/oauth/token", auth=(client, f"{client}-secret"),
                          data={"grant_type": "client_credentials", "audience": audience, **form})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Minter:
    """Signs arbitrary (also invalid) access tokens with the issuer's own private key."""

    def __init__(self, issuer: RunningServer, key: ECKey) -> None:
        self.issuer, self.key = issuer, key

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer.url, "sub": "reader", "client_id": "reader", "aud": "orders", "iat": now,
                  "nbf": now, "exp": now + 300, "jti": uuid.uuid4().hex, "scope": "orders:read"}
        return {name: value for name, value in {**claims, **overrides}.items() if value is not None}

    def sign(self, key: ECKey | None = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        header = {"alg": "ES256", "kid": KID, "typ": "at+jwt", **(header or {})}
        return jwt.encode(header, self.claims(**claims), key or self.key, algorithms=[header["alg"]])

    def unsigned(self) -> str:
        return f"{b64({'alg': 'none', 'kid': KID, 'typ': 'at+jwt'})}.{b64(self.claims())}."

    def hmac_with_public_key(self) -> str:
        # The classic key confusion: HS256 keyed with the bytes of the issuer's PUBLIC key.
        signing_input = f"{b64({'alg': 'HS256', 'kid': KID, 'typ': 'at+jwt'})}.{b64(self.claims())}"
        mac = hmac.new(self.key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"

    def reheaded(self, **changes: Any) -> str:
        """A validly signed token whose header was then edited (the signature no longer covers it)."""
        _, payload, signature = self.sign().split(".")
        return f"{b64({'alg': 'ES256', 'kid': KID, 'typ': 'at+jwt', **changes})}.{payload}.{signature}"

    def tampered(self) -> str:
        header, payload, signature = issued(self.issuer, "reader").split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["scope"] = "orders:read orders:write"
        return f"{header}.{b64(claims)}.{signature}"


@pytest.fixture(scope="module")
def minter(issuer: RunningServer, issuer_key: ECKey) -> Minter:
    return Minter(issuer, issuer_key)


def call(service: RunningServer, token: str | None, path: str = "/v1/orders", method: str = "GET") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, f"{service.url}{path}", headers=headers)


REJECTED: dict[str, tuple[Callable[[Minter], str], str]] = {
    "garbage": (lambda m: "not-a-jwt", "malformed token"),
    "alg none": (lambda m: m.unsigned(), "unsupported token algorithm"),
    "HS256 keyed with the public key": (lambda m: m.hmac_with_public_key(), "unsupported token algorithm"),
    "RS256 header over the EC key": (lambda m: m.reheaded(alg="RS256"), "invalid signature"),
    "typ JWT, not at+jwt": (lambda m: m.sign(header={"typ": "JWT"}), "not an access token"),
    "wrong key with a known kid": (
        lambda m: m.sign(key=ECKey.generate_key("P-256", parameters={"kid": KID})), "invalid signature"),
    "tampered payload": (lambda m: m.tampered(), "invalid signature"),
    "unknown kid": (lambda m: m.sign(header={"kid": "nobody"}), "unknown signing key"),
    "expired": (lambda m: m.sign(exp=int(time.time()) - 120), "token expired"),
    "not yet valid": (lambda m: m.sign(nbf=int(time.time()) + 120), "token not yet valid"),
    "wrong issuer": (lambda m: m.sign(iss="https://evil.example"), "wrong issuer"),
    "wrong audience (minted)": (lambda m: m.sign(aud=["billing", "crm"]), "wrong audience"),
    "wrong audience (issued)": (lambda m: issued(m.issuer, "elsewhere", audience="other"), "wrong audience"),
    "no client_id": (lambda m: m.sign(client_id=None), "missing claim client_id"),
    "no exp": (lambda m: m.sign(exp=None), "missing claim exp"),
}


def assert_problem(response: httpx.Response, slug: str, detail: str) -> None:
    """The rejection is an RFC 9457 problem of the documented type, with its reason and correlation id."""
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"https://revflow.dev/problems/{slug}"
    assert body["detail"] == detail
    assert body["correlation_id"] == response.headers["x-correlation-id"]


class TestRejected:
    @pytest.mark.parametrize("case", list(REJECTED))
    def test_invalid_token_is_401_with_its_reason(self, case: str, minter: Minter, service: RunningServer) -> None:
        make, reason = REJECTED[case]
        response = call(service, make(minter))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == challenge(reason)
        assert_problem(response, "unauthorized", reason)

    @pytest.mark.parametrize("header", [None, "Basic cmVhZGVyOnJlYWRlci1zZWNyZXQ=", "Bearer"])
    def test_missing_bearer_token(self, header: str | None, service: RunningServer) -> None:
        headers = {"Authorization": header} if header else {}
        response = httpx.get(f"{service.url}/v1/orders", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="revflow"'  # RFC 6750 §3.1: no error code
        assert_problem(response, "unauthorized", "missing bearer token")

    def test_missing_scope_is_403_insufficient_scope(self, issuer: RunningServer, service: RunningServer) -> None:
        response = call(service, issued(issuer, "reader"), method="POST")
        assert response.status_code == 403
        assert response.headers["www-authenticate"] == (
            'Bearer realm="revflow", error="insufficient_scope", '
            'error_description="the token lacks a required scope", scope="orders:write"')
        assert_problem(response, "forbidden", "missing scope orders:write")


class TestAccepted:
    def test_issued_token_reaches_the_handler_as_principal(self, issuer: RunningServer,
                                                           service: RunningServer) -> None:
        response = call(service, issued(issuer, "writer", scope="orders:read"), "/v1/whoami")
        assert response.status_code == 200
        body = response.json()
        assert body | {"jti": None} == {"sub": "writer", "client_id": "writer", "scopes": ["orders:read"],
                                        "tenant": None, "jti": None, "aud": ["orders"]}
        assert body["jti"]

    def test_write_scope_passes_the_guard(self, issuer: RunningServer, service: RunningServer) -> None:
        assert call(service, issued(issuer, "writer"), method="POST").status_code == 201

    @pytest.mark.parametrize("claims", [{"exp": -10}, {"nbf": 10}], ids=["expired within leeway", "nbf within"])
    def test_leeway_tolerates_small_clock_skew(self, claims: dict[str, int], minter: Minter,
                                               service: RunningServer) -> None:
        now = int(time.time())
        token = minter.sign(**{name: now + delta for name, delta in claims.items()})
        assert call(service, token).status_code == 200

    @pytest.mark.parametrize("path", ["/health", "/schema/openapi.json"])
    def test_excluded_paths_need_no_token(self, path: str, service: RunningServer) -> None:
        assert httpx.get(f"{service.url}{path}").status_code == 200


class TestTenant:
    def test_own_tenant(self, issuer: RunningServer, service: RunningServer) -> None:
        response = call(service, issued(issuer, "acme"), "/v1/tenants/acme/orders")
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(("client", "detail"), [("acme", "token is bound to another tenant"),
                                                    ("reader", "token is not bound to a tenant")])
    def test_other_or_no_tenant_is_403(self, client: str, detail: str, issuer: RunningServer,
                                       service: RunningServer) -> None:
        response = call(service, issued(issuer, client), "/v1/tenants/globex/orders")
        assert response.status_code == 403
        assert response.json()["detail"] == detail


class TestKeyRotation:
    def test_new_kid_is_accepted_once_refetched_and_refetches_are_rate_limited(self, issuer_key: ECKey) -> None:
        clock = Clock(1000.0)
        port = free_port()
        with serve_in_thread(create_app(issuer_settings(port, issuer_key)), port=port) as own_issuer:
            keys = JWKSCache(jwks_url(own_issuer.url), min_refetch_interval=10.0, clock=clock)
            verifier = AccessTokenVerifier(keys, issuer=own_issuer.url, audience="orders")
            with serve_in_thread(protected_app(own_issuer.url, verifier)) as own_service:
                old = issued(own_issuer, "reader")
                assert call(own_service, old).status_code == 200
                rotated = httpx.post(f"{own_issuer.url}/admin/rotate", headers={"Authorization": f"Bearer {ADMIN}"})
                assert rotated.status_code == 200
                new_kid = rotated.json()["kid"]
                new = issued(own_issuer, "reader")
                assert json.loads(base64.urlsafe_b64decode(new.split(".")[0] + "==="))["kid"] == new_kid

                # Within the refetch interval the unknown kid is not looked up again.
                refused = call(own_service, new)
                assert refused.status_code == 401
                assert refused.headers["www-authenticate"] == challenge("unknown signing key")
                assert keys.fetches == 1

                clock.now += 10.5
                assert call(own_service, new).status_code == 200
                assert call(own_service, old).status_code == 200  # the retired key is still published
                assert keys.fetches == 2


class TestWithdrawnKey:
    def test_a_key_the_issuer_withdrew_stops_verifying_even_cached_tokens(self, issuer_key: ECKey) -> None:
        clock = Clock(1000.0)
        port = free_port()
        settings = issuer_settings(port, issuer_key, retired_keys_kept=0)
        with serve_in_thread(create_app(settings), port=port) as own_issuer:
            keys = JWKSCache(jwks_url(own_issuer.url), min_refetch_interval=10.0, max_age=60.0, clock=clock)
            verifier = AccessTokenVerifier(keys, issuer=own_issuer.url, audience="orders")
            with serve_in_thread(protected_app(own_issuer.url, verifier)) as own_service:
                old = issued(own_issuer, "reader")
                assert call(own_service, old).status_code == 200  # verified, now cached
                rotated = httpx.post(f"{own_issuer.url}/admin/rotate", headers={"Authorization": f"Bearer {ADMIN}"})
                assert rotated.status_code == 200
                assert call(own_service, old).status_code == 200  # the key set is still fresh
                clock.now += 61
                refused = call(own_service, old)
                assert refused.status_code == 401
                assert refused.headers["www-authenticate"] == challenge("unknown signing key")


class TestJWKSCache:
    async def test_concurrent_unknown_kids_share_one_fetch(self, issuer: RunningServer) -> None:
        clock = Clock(0.0)
        keys = JWKSCache(jwks_url(issuer.url), clock=clock)
        found = await asyncio.gather(*(keys.get_key("nobody") for _ in range(20)))
        assert found == [None] * 20
        assert keys.fetches == 1
        assert await keys.get_key(KID) is not None
        assert keys.fetches == 1

    async def test_unreachable_issuer_is_503_not_401(self, minter: Minter) -> None:
        verifier = AccessTokenVerifier.from_issuer(f"http://127.0.0.1:{free_port()}", audience="orders",
                                                   issuer=minter.issuer.url)
        with serve_in_thread(protected_app(minter.issuer.url, verifier)) as own_service:
            response = call(own_service, minter.sign())
        assert response.status_code == 503
        assert response.headers["retry-after"] == "10"
        assert_problem(response, "upstream-unavailable", "signing keys unavailable, try again shortly")


class TestVerifierCache:
    async def test_cached_token_skips_crypto_but_still_expires(self, issuer_key: ECKey, minter: Minter,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        clock = Clock(time.time())
        verifier = AccessTokenVerifier.from_key_set(KeySet([issuer_key]), issuer=minter.issuer.url,
                                                    audience="orders", leeway=30, clock=clock)
        token = minter.sign(exp=int(clock.now) + 60)
        decodes = 0
        real_decode = verify_module.jwt.decode

        def counting_decode(*args: Any, **kwargs: Any) -> Any:
            nonlocal decodes
            decodes += 1
            return real_decode(*args, **kwargs)

        monkeypatch.setattr(verify_module.jwt, "decode", counting_decode)
        first = await verifier.verify(token)
        assert await verifier.verify(token) == first
        assert decodes == 1
        clock.now += 60 + 31
        with pytest.raises(InvalidTokenError, match="token expired"):
            await verifier.verify(token)

    @pytest.mark.parametrize("algorithms", [("HS256",), ("none",), ("ES256", "HS512"), ()])
    def test_symmetric_or_no_algorithm_is_refused(self, algorithms: tuple[str, ...]) -> None:
        with pytest.raises(ValueError, match="asymmetric"):
            AccessTokenVerifier.from_key_set(KeySet([]), issuer="x", audience="y", algorithms=algorithms)


class TestClientCredentials:
    def credentials(self, issuer: RunningServer, client: str = "reader", audience: str = "orders",
                    **options: Any) -> ClientCredentials:
        return ClientCredentials(f"{issuer.url}/oauth/token", client, f"{client}-secret", audience=audience, **options)

    async def test_concurrent_requests_share_one_token(self, issuer: RunningServer, service: RunningServer) -> None:
        auth = self.credentials(issuer, scope="orders:read", audience="orders")
        async with httpx.AsyncClient(base_url=service.url, auth=auth) as client:
            responses = await asyncio.gather(*(client.get("/v1/orders") for _ in range(10)))
        assert [r.status_code for r in responses] == [200] * 10
        assert len({r.json()["jti"] for r in responses}) == 1
        assert auth.refreshes == 1

    async def test_refreshes_before_expiry(self, issuer: RunningServer, service: RunningServer) -> None:
        clock = Clock(0.0)
        auth = self.credentials(issuer, skew=60.0, clock=clock)
        async with httpx.AsyncClient(base_url=service.url, auth=auth) as client:
            first = (await client.get("/v1/orders")).json()["jti"]
            clock.now = 900 - 61  # still outside the skew: reuse
            assert (await client.get("/v1/orders")).json()["jti"] == first
            clock.now = 900 - 59  # inside the skew: refresh before the token expires
            second = (await client.get("/v1/orders")).json()["jti"]
        assert second != first
        assert auth.refreshes == 2

    async def test_retries_once_with_a_fresh_token_on_401(self, issuer: RunningServer,
                                                          service: RunningServer) -> None:
        auth = self.credentials(issuer)
        REVOKED.add(await auth.token())
        async with httpx.AsyncClient(base_url=service.url, auth=auth) as client:
            response = await client.get("/v1/orders")
        assert response.status_code == 200
        assert auth.refreshes == 2

    async def test_wrong_secret_raises(self, issuer: RunningServer, service: RunningServer) -> None:
        auth = ClientCredentials(f"{issuer.url}/oauth/token", "reader", "wrong", audience="orders")
        async with httpx.AsyncClient(base_url=service.url, auth=auth) as client:
            with pytest.raises(TokenRequestError, match="invalid_client"):
                await client.get("/v1/orders")

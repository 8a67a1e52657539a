"""Routes of the example service (v1): thin — parse, call the service, return a contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from services.example.schemas import AccountCreate, AccountPage, AccountPatch, AccountView, Pong
from services.example.service import AccountNotFound, AccountService
from services.runtime.app import links_to
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.problems import ServiceError
from services.runtime.versioning import Deprecation, deprecate

__all__ = ["AccountController", "LegacyAccountController", "PingController", "RelayController"]

AccountId = FromPath[Annotated[str, Parameter(pattern=r"^acct_[0-9a-f]{20}$", max_length=25, description="Account id")]]


def provide_service(request: Request[Any, Any, Any]) -> AccountService:
    state = request.app.state
    return AccountService(state.redis, state.keyspace, state.event_bus, state.audit_log)


_SERVICE = {"service": Provide(provide_service, sync_to_thread=False)}
_ID = "$response.body#/id"
"""Where an account's id is in a response (the value OpenAPI links pass on)."""


class PingController(Controller):
    path = "/ping"
    tags = ["diagnostics"]

    @get("/", operation_id="pingV1", guards=[requires("example:read")], sync_to_thread=False)
    def ping(self, request: Request[Any, Any, Any]) -> Pong:
        """Cheapest authenticated route: proves the token and the stack, touches nothing."""
        return Pong(service=request.app.state.settings.service_name, client_id=request.user.client_id)


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts"]
    dependencies = _SERVICE

    @post("/", operation_id="createAccountV1", guards=[requires("example:write")],
          opt={IDEMPOTENCY_OPT: "required", **links_to("getAccountV1", "updateAccountV1", account_id=_ID)},
          summary="Create an account (requires Idempotency-Key)")
    async def create(self, data: JSONBody[AccountCreate], service: NamedDependency[AccountService],
                     request: Request[Any, Any, Any]) -> AccountView:
        return await service.create(data, actor=request.user.client_id)

    @get("/", operation_id="listAccountsV1", guards=[requires("example:read")])
    async def list_accounts(
        self, service: NamedDependency[AccountService],
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=100, description="Page size")]] = 20,
        cursor: FromQuery[Annotated[str | None, Parameter(pattern=r"^[0-9]{1,9}$", description="next_cursor")]] = None,
    ) -> AccountPage:
        return await service.list(limit, cursor)

    @get("/{account_id:str}", operation_id="getAccountV1", guards=[requires("example:read")],
         opt=links_to("updateAccountV1", account_id=_ID))
    async def read(self, account_id: AccountId, service: NamedDependency[AccountService]) -> AccountView:
        return await service.get(account_id)

    @patch("/{account_id:str}", operation_id="updateAccountV1", guards=[requires("example:write")],
           opt=links_to("getAccountV1", account_id=_ID))
    async def update(self, account_id: AccountId, data: JSONBody[AccountPatch],
                     service: NamedDependency[AccountService], request: Request[Any, Any, Any]) -> AccountView:
        return await service.update(account_id, data, actor=request.user.client_id)


class LegacyAccountController(Controller):
    """The old lookup route, kept while clients move to ``GET /v1/accounts/{account_id}``."""

    path = "/account-lookup"
    tags = ["accounts"]
    dependencies = _SERVICE

    @get("/{account_id:str}", operation_id="lookupAccountV1", guards=[requires("example:read")])
    async def lookup(self, account_id: AccountId, service: NamedDependency[AccountService]) -> AccountView:
        return await service.get(account_id)


deprecate(LegacyAccountController, Deprecation(
    since=datetime(2026, 10, 1, tzinfo=UTC), sunset=datetime(2027, 4, 1, tzinfo=UTC),
    successor="/v1/accounts/{account_id}"))


class RelayController(Controller):
    """Reads an account from the peer instance: the two-hop chain of the trace test and the benchmark."""

    path = "/relay/accounts"
    tags = ["diagnostics"]

    @post("/", operation_id="relayCreateAccountV1", guards=[requires("example:write")],
          opt={IDEMPOTENCY_OPT: "required"}, summary="Create the account at the peer instance")
    async def relay_create(self, data: JSONBody[AccountCreate], request: Request[Any, Any, Any]) -> AccountView:
        key = request.headers["idempotency-key"]
        response = await request.app.state.peer.post("/v1/accounts", json=msgspec.to_builtins(data),
                                                     idempotency_key=f"relay:{key}")
        return _peer_account(response)

    @get("/{account_id:str}", operation_id="relayAccountV1", guards=[requires("example:read")])
    async def relay(self, account_id: AccountId, request: Request[Any, Any, Any]) -> AccountView:
        peer = request.app.state.peer
        return _peer_account(await peer.get(f"/v1/accounts/{account_id}"))


def _peer_account(response: httpx.Response) -> AccountView:
    """The peer's account, or its refusal turned into ours (a 404 stays a 404; others are upstream failures)."""
    if response.status_code == 404:
        raise AccountNotFound("No such account at the peer")
    if response.status_code >= 400:
        raise ServiceError(f"The peer refused the request with {response.status_code}", slug="upstream-failed")
    try:
        return msgspec.json.decode(response.content, type=AccountView)
    except msgspec.DecodeError:
        raise ServiceError("The peer answered with a body that is not an account", slug="upstream-failed",
                           owner="integration") from None

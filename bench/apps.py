"""The apps the runtime benchmark serves: the full stack and its bare baselines.

Each factory takes no arguments (servers call it), reading ``BENCH_*`` variables the benchmark sets:
``BENCH_ISSUER_URL``, ``BENCH_REDIS_URL``, ``BENCH_PREFIX`` and, for the hop apps, ``BENCH_TARGET_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import msgspec
from litestar import Litestar, Request, get, post
from litestar.params import JSONBody

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.auth.guards import requires
from services.runtime.http import UpstreamConfig, create_upstream_client
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.redis import create_redis
from services.runtime.settings import RuntimeSettings
from services.runtime.telemetry import configure_logging
from services.runtime.versioning import versioned_router


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    amount: int
    note: str


def _env(name: str) -> str:
    return os.environ[f"BENCH_{name}"]


# --- full stack: JWT verified, telemetry, metrics, problems, idempotency ------------------------------

@get("/ping", guards=[requires("bench:read")], sync_to_thread=False)
def full_ping(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"status": "ok", "client": request.user.client_id}


@post("/echo", guards=[requires("bench:write")], opt={IDEMPOTENCY_OPT: "required"}, sync_to_thread=False)
def full_echo(data: JSONBody[Payment]) -> Payment:
    return data


def full_stack_app() -> Litestar:
    settings = RuntimeSettings(service_name="bench", issuer_url=_env("ISSUER_URL"), redis_url=_env("REDIS_URL"),
                               key_prefix=_env("PREFIX"), log_level="WARNING")
    spec = ServiceSpec(name="bench", routers=[versioned_router(1, [full_ping, full_echo])])
    return create_service_app(spec, settings)


# --- bare Litestar: the same answers with nothing of ours in the way ----------------------------------

@get("/v1/ping", sync_to_thread=False)
def bare_ping() -> dict[str, str]:
    return {"status": "ok", "client": "bench"}


@post("/v1/echo", sync_to_thread=False)
def bare_echo(data: JSONBody[Payment]) -> Payment:
    return data


@post("/v1/echo-redis")
async def bare_echo_redis(data: JSONBody[Payment], request: Request[Any, Any, Any]) -> Payment:
    # The same Redis round trips the idempotency layer makes for a first request: claim, then store.
    redis = request.app.state.redis
    key = f"{request.app.state.prefix}bare:{uuid.uuid4().hex}"
    await redis.set(key, b"1", nx=True, px=30_000)
    await redis.set(key, msgspec.json.encode(data), px=86_400_000)
    return data


def bare_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.redis = create_redis(_env("REDIS_URL"))
        app.state.prefix = _env("PREFIX")
        yield
        await app.state.redis.aclose()

    return Litestar([bare_ping, bare_echo, bare_echo_redis], lifespan=[lifespan])


# --- two-hop chain: A calls B per request, through the runtime client or aiohttp directly -------------

@get("/v1/hop")
async def hop_runtime(request: Request[Any, Any, Any]) -> bytes:
    response = await request.app.state.upstream.get("/v1/ping")
    return response.content


def hop_runtime_app() -> Litestar:
    configure_logging("bench-hop", "WARNING")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.upstream = create_upstream_client(UpstreamConfig(name="b", base_url=_env("TARGET_URL")))
        yield
        await app.state.upstream.aclose()

    return Litestar([hop_runtime], lifespan=[lifespan])


@get("/v1/hop")
async def hop_aiohttp(request: Request[Any, Any, Any]) -> bytes:
    async with request.app.state.session.get("/v1/ping") as response:
        return await response.read()


def hop_aiohttp_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=60)
        app.state.session = aiohttp.ClientSession(_env("TARGET_URL"), connector=connector)
        yield
        await app.state.session.close()

    return Litestar([hop_aiohttp], lifespan=[lifespan])

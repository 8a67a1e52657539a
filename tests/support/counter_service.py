"""A small service built on the runtime for tests: a handler that counts its executions in Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.exceptions import InternalServerException
from litestar.params import JSONBody
from litestar.response import Stream

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.settings import RuntimeSettings
from services.runtime.versioning import versioned_router


class ChargeIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)]
    delay_ms: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    fail: bool = False


class ChargeOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    amount: int
    execution: int


@post("/charges", operation_id="createChargeTest", guards=[requires("test-a:write")],
      opt={IDEMPOTENCY_OPT: "required"})
async def create_charge(data: JSONBody[ChargeIn], request: Request[Any, Any, Any]) -> ChargeOut:
    state = request.app.state
    execution = await state.redis.incr(state.keyspace.key("executions"))
    if data.delay_ms:
        await asyncio.sleep(data.delay_ms / 1000)
    if data.fail:
        raise InternalServerException("simulated failure")
    return ChargeOut(id=uuid.uuid4().hex, amount=data.amount, execution=execution)


@post("/exports", operation_id="createExportTest", guards=[requires("test-a:write")],
      opt={IDEMPOTENCY_OPT: "required"})
async def create_export(data: JSONBody[ChargeIn], request: Request[Any, Any, Any]) -> Stream:
    """A streamed response: the idempotency layer must store it once the stream has ended."""
    state = request.app.state
    execution = await state.redis.incr(state.keyspace.key("executions"))

    async def rows() -> Any:
        for index in range(3):
            yield f"row {index} of export {execution} amount {data.amount}\n".encode()

    return Stream(rows(), media_type="text/plain")


def create_counter_app(settings: RuntimeSettings) -> Any:
    spec = ServiceSpec(name=settings.service_name, routers=[versioned_router(1, [create_charge, create_export])])
    return create_service_app(spec, settings)

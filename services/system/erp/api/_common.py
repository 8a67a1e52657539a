"""What every ERP controller shares: the service dependency, the caller, parameters, documented bodies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter
from msgspec import Meta

from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.system.erp.service import Caller, ErpService

__all__ = ["KEYED", "SERVICE", "BusinessKey", "ErpIdParam", "SkuList", "SkuParam", "body", "caller_of",
           "provide_service"]

BusinessKey = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                                description="Business key of the customer (its external id)")]]
SkuParam = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                             description="Stock-keeping unit (the item's name/number)")]]
_SKU = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
SkuList = Annotated[list[Annotated[str, Meta(pattern=_SKU, max_length=100)]],
                    Parameter(min_items=1, max_items=100,
                              schema_extra={"items": {"type": "string", "pattern": _SKU, "maxLength": 100}},
                              description="Stock-keeping units, the parameter repeated once per SKU (1 to 100)")]
ErpIdParam = FromPath[Annotated[str, Parameter(pattern=r"^[0-9]{1,18}$", max_length=18,
                                               description="The ERP's internal id")]]
KEYED = {IDEMPOTENCY_OPT: "required"}


def provide_service(request: Request[Any, Any, Any]) -> ErpService:
    """The ERP service over the connector built in the app's lifespan."""
    state = request.app.state
    return ErpService(state.connector, state.audit_log, state.postings)


SERVICE = {"service": Provide(provide_service, sync_to_thread=False)}


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    """The verified caller and its ``Idempotency-Key``."""
    user = request.user
    return Caller(client_id=user.client_id, tenant=user.tenant, idempotency_key=request.headers.get("idempotency-key"))


def body(title: str, example: dict[str, Any], component: str | None = None) -> Body:
    """A documented JSON request body with one example (``component`` names its own schema component)."""
    return Body(media_type=RequestEncodingType.JSON, title=title, schema_component_key=component,
                examples=[Example(summary=title, value=example)])

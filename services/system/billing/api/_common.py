"""What every billing controller shares: the service dependency, the caller, parameters, documented bodies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from services.system.billing.service import BillingService, Caller

__all__ = ["CUSTOMER_QUERY", "SERVICE", "BusinessKey", "DocumentId", "SkuParam", "body", "caller_of",
           "provide_service"]

BusinessKey = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                                description="Business key of the customer (the CRM account id)")]]
SkuParam = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                             description="Stock-keeping unit")]]
DocumentId = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", max_length=255,
                                      description="The billing system's id")]
CUSTOMER_QUERY = Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                           description="Business key of the customer")


def provide_service(request: Request[Any, Any, Any]) -> BillingService:
    """The billing service over the connector built in the app's lifespan."""
    state = request.app.state
    return BillingService(state.connector, state.audit_log)


SERVICE = {"service": Provide(provide_service, sync_to_thread=False)}


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    """The verified caller and its ``Idempotency-Key``."""
    user = request.user
    return Caller(client_id=user.client_id, tenant=user.tenant, idempotency_key=request.headers.get("idempotency-key"))


def body(title: str, example: dict[str, Any], component: str | None = None) -> Body:
    """A documented JSON request body with one example.

    ``component`` names the body's own schema component; give one when the same Struct is also a response,
    or the example would land on the shared component depending on route registration order.
    """
    return Body(media_type=RequestEncodingType.JSON, title=title, schema_component_key=component,
                examples=[Example(summary=title, value=example)])

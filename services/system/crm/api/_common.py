"""What every CRM controller shares: the service dependency, the actor, path parameters, documented bodies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from services.system.crm.service import CrmService

__all__ = ["SERVICE", "AccountKey", "ContactKey", "ContractId", "OpportunityId", "ProductSku", "actor_of", "body",
           "provide_service"]

AccountKey = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$", max_length=80,
                                               description="revflow's business key of the account")]]
ContactKey = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,79}$", max_length=80,
                                               description="revflow's business key of the contact")]]
OpportunityId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9]{1,40}$", max_length=40,
                                                  description="The CRM's opportunity (deal) id")]]
ContractId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9]{1,40}$", max_length=40,
                                               description="The CRM's contract id (HubSpot: the won deal's id)")]]
ProductSku = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                               description="The product's SKU (a SKU with a slash is found in the "
                                                           "catalogue list)")]]


def provide_service(request: Request[Any, Any, Any]) -> CrmService:
    """The CRM service over the connector built in the app's lifespan."""
    state = request.app.state
    return CrmService(state.connector, state.audit_log, state.publisher)


SERVICE = {"service": Provide(provide_service, sync_to_thread=False)}


def actor_of(request: Request[Any, Any, Any]) -> str:
    """The verified caller's client id (the audit actor)."""
    return str(request.user.client_id)


def body(title: str, example: dict[str, Any], component: str | None = None) -> Body:
    """A documented JSON request body with one example (``component`` names its own schema component)."""
    return Body(media_type=RequestEncodingType.JSON, title=title, schema_component_key=component,
                examples=[Example(summary=title, value=example)])

"""Routes of the CRM panel (v1): the Salesforce Lightning shape (bearer token) and the HubSpot card (signed).

Salesforce calls through a named credential holding a client-credentials token for the ``crm_panel``
audience; HubSpot's servers call the card route with its v3 request signature instead of a token.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, Parameter, QueryParameter

from services.experience.crm_panel.hubspot import card_of
from services.experience.crm_panel.schemas import DealPanelV1, HubSpotCardV1
from services.experience.crm_panel.service import PanelService
from services.experience.crm_panel.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, HubSpotSignatureMiddleware
from services.runtime.auth.guards import requires
from services.runtime.auth.middleware import EXCLUDE_OPT_KEY
from services.runtime.problems import ServiceError

__all__ = ["HubSpotCardController", "SalesforceController"]

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
DealId = FromPath[Annotated[str, Parameter(pattern=_ID_PATTERN, max_length=100,
                                           description="The CRM opportunity (deal) id")]]
_DEAL_TYPES = frozenset({"DEAL", "0-3"})  # HubSpot names deals by name or by object type id


def provide_panels(request: Request[Any, Any, Any]) -> PanelService:
    return request.app.state.panels  # type: ignore[no-any-return]


_PANELS = {"panels": Provide(provide_panels, sync_to_thread=False)}


class SalesforceController(Controller):
    """The compact panel a Lightning component on the Opportunity page renders."""

    path = "/salesforce"
    tags = ["salesforce"]
    dependencies = _PANELS

    @get("/deals/{opportunity_id:str}", operation_id="getSalesforceDealPanelV1", guards=[requires("crm_panel:read")],
         summary="A deal's finance status, subscription, next invoice, amounts and open exceptions")
    async def deal(self, opportunity_id: DealId, panels: NamedDependency[PanelService]) -> DealPanelV1:
        panel = await panels.panel(opportunity_id)
        if panel is None:
            raise ServiceError(f"revflow has no workflow for deal {opportunity_id} (not closed-won yet, or not "
                               "announced by the CRM).", slug="not-found")
        return panel


class HubSpotCardController(Controller):
    """HubSpot's CRM card data fetch, authenticated by HubSpot's v3 request signature (no bearer token)."""

    path = "/hubspot"
    tags = ["hubspot"]
    dependencies = _PANELS

    @get("/card", operation_id="getHubSpotCardV1", opt={EXCLUDE_OPT_KEY: True},
         middleware=[HubSpotSignatureMiddleware()],
         summary="CRM card data fetch: the deal's finance status and open exceptions as card results",
         description="Called by HubSpot when a user opens a record. Configure the card with this URL as its "
                     "target and no `propertiesToSend`. Requests must carry a valid `X-HubSpot-Signature-v3` "
                     "(app client secret) and an `X-HubSpot-Request-Timestamp` within five minutes; anything "
                     "else is a 401 problem.")
    async def card(
        self, panels: NamedDependency[PanelService],
        associated_object_id: Annotated[str, QueryParameter(
            name="associatedObjectId", pattern=_ID_PATTERN, max_length=100,
            description="The record's id: the HubSpot deal id, which revflow uses as the opportunity id")],
        associated_object_type: Annotated[str, QueryParameter(
            name="associatedObjectType", pattern=r"^[A-Za-z0-9_-]{1,64}$",
            description="The record's type (`DEAL`, `CONTACT`, `COMPANY`, a custom object's type id...): only "
                        "deals have a finance status; any other record gets an empty card")],
        portal_id: Annotated[int, QueryParameter(name="portalId", ge=1, description="The HubSpot account")],
        signature: Annotated[str, HeaderParameter(name=SIGNATURE_HEADER, min_length=1, max_length=200,
                                                  description="base64 HMAC-SHA256 of method + URI + body + "
                                                              "timestamp under the app secret")],
        timestamp: Annotated[str, HeaderParameter(name=TIMESTAMP_HEADER, pattern=r"^[0-9]{1,15}$",
                                                  description="Epoch milliseconds when HubSpot sent the request")],
        user_id: Annotated[int | None, QueryParameter(name="userId", ge=1, description="The HubSpot user")] = None,
        user_email: Annotated[str | None, QueryParameter(name="userEmail", max_length=254,
                                                         description="The HubSpot user's email")] = None,
    ) -> HubSpotCardV1:
        if associated_object_type.upper() not in _DEAL_TYPES:
            return card_of(None)
        return card_of(await panels.panel(associated_object_id))

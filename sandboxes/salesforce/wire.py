"""The HTTP edge of the REST API: session check, API usage, JSON bodies, headers and error arrays.

Every call under ``/services/data/v62.0`` passes here: a Bearer (or ``OAuth``) session id must be one the
org issued or a configured dev session, each call counts against the daily allocation reported in
``Sforce-Limit-Info``, and stage-change events left by a successful write are handed to the Outbound
Message notifier.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

from litestar import Request, Response

from .api import Call, Reply, dispatch
from .errors import SalesforceError, limit_exceeded, not_found
from .notify import Notifier
from .settings import SalesforceSettings
from .store import OrgState

__all__ = ["JSON", "data_api", "error_response"]

log = logging.getLogger(__name__)
JSON = "application/json;charset=UTF-8"
VERSION = "v62.0"


def error_response(exc: SalesforceError, usage: str | None = None) -> Response[bytes]:
    """An error array response."""
    headers = {"Sforce-Limit-Info": usage} if usage else {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Token"
    return Response(json.dumps(exc.body()).encode(), status_code=exc.status, media_type=JSON, headers=headers)


def _session(request: Request[Any, Any, Any], state: OrgState, settings: SalesforceSettings) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not (token in state.sessions or token in settings.session_ids):
        raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def _segments(request: Request[Any, Any, Any]) -> list[str]:
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    parts = [unquote(part) for part in path.split("/") if part]
    return parts[3:]  # drop "services", "data", the version


async def _body(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if request.method not in ("POST", "PATCH", "PUT") or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None


def _reply(reply: Reply, usage: str) -> Response[bytes]:
    headers = {"Sforce-Limit-Info": usage, **reply.headers}
    if reply.status == 204 or reply.body is None:
        return Response(b"", status_code=reply.status, headers=headers, media_type=JSON)
    return Response(json.dumps(reply.body).encode(), status_code=reply.status, media_type=JSON, headers=headers)


async def data_api(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Handle one call to ``/services/data/{version}/...``."""
    app_state = request.app.state
    state: OrgState = app_state["sf_state"]
    settings: SalesforceSettings = app_state["sf_settings"]
    notifier: Notifier = app_state["sf_notifier"]
    usage = f"api-usage={state.usage}/{settings.api_limit}"
    try:
        _session(request, state, settings)
        if request.path_params.get("version") != VERSION:
            raise not_found()
        if state.usage >= settings.api_limit:
            raise limit_exceeded()
        state.usage += 1
        usage = f"api-usage={state.usage}/{settings.api_limit}"
        call = Call(state, request.method, _segments(request), dict(request.query_params),
                    await _body(request), {k.lower(): v for k, v in request.headers.items()})
        reply = dispatch(call, settings.api_limit)
    except SalesforceError as exc:
        return error_response(exc, usage)
    except Exception:  # a sandbox bug: answer like Salesforce's 500, never a stack trace
        log.exception("salesforce sandbox failure")
        state.events.clear()
        return error_response(SalesforceError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please "
                                              "include this ErrorId if you contact support: 0-0 (0)"), usage)
    finally:
        notifier.drain(str(request.base_url))
    return _reply(reply, usage)

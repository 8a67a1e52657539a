"""Salesforce's error array and the faults injected in its shape.

REST errors are a JSON **array** of ``{"message", "errorCode"}`` objects; DML errors (create, update,
upsert) also carry ``"fields"``. Collections (``/composite/sobjects``) report per-record errors with
``statusCode`` in place of ``errorCode``. Throttling is ``403 REQUEST_LIMIT_EXCEEDED``, never 429.
"""

from __future__ import annotations

from typing import Any

from sandboxes._kit import json_body

__all__ = [
    "SalesforceError",
    "SalesforceFaults",
    "StatusRewrite",
    "bad_id",
    "deleted",
    "invalid_field",
    "limit_exceeded",
    "malformed_query",
    "not_found",
    "required_missing",
]

LIMIT_MESSAGE = "TotalRequests Limit exceeded."


class SalesforceError(Exception):
    """An error Salesforce would answer with.

    Args:
        status: HTTP status.
        code: ``errorCode`` (``REQUIRED_FIELD_MISSING``, ``INVALID_FIELD``…).
        message: Human message, worded as Salesforce words it.
        fields: Offending fields for DML errors; None leaves ``fields`` out of the body.
    """

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def item(self, key: str = "errorCode") -> dict[str, Any]:
        """One error object; ``key="statusCode"`` for collection results."""
        out: dict[str, Any] = {"message": self.message, key: self.code}
        if self.fields is not None or key == "statusCode":
            out["fields"] = list(self.fields or [])
        return out

    def body(self) -> list[dict[str, Any]]:
        """The JSON error array."""
        return [self.item()]


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    """``404 NOT_FOUND``."""
    return SalesforceError(404, "NOT_FOUND", message)


def deleted() -> SalesforceError:
    """``404 ENTITY_IS_DELETED`` for a record in the recycle bin."""
    return SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])


def required_missing(sobject: str, fields: list[str]) -> SalesforceError:
    """``400 REQUIRED_FIELD_MISSING`` naming the fields."""
    return SalesforceError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(fields)}]",
                           fields)


def invalid_field(sobject: str, name: str) -> SalesforceError:
    """``400 INVALID_FIELD`` for a field the object does not have."""
    return SalesforceError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}", [name])


def bad_id(sobject: str, field: str, value: Any) -> SalesforceError:
    """``400 MALFORMED_ID`` for a reference of the wrong shape or type."""
    return SalesforceError(400, "MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {value}", [field])


def malformed_query(message: str) -> SalesforceError:
    """``400 MALFORMED_QUERY``."""
    return SalesforceError(400, "MALFORMED_QUERY", message)


def limit_exceeded() -> SalesforceError:
    """``403 REQUEST_LIMIT_EXCEEDED`` (the org's API request limit, or injected throttling)."""
    return SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_MESSAGE)


class SalesforceFaults:
    """Salesforce-looking bodies for the kit's fault middleware."""

    def error_response(self, status: int) -> tuple[list[tuple[str, str]], bytes]:
        """Salesforce's 5xx body: ``UNKNOWN_EXCEPTION`` (500) or ``SERVER_UNAVAILABLE`` (503)."""
        if status == 503:
            err = SalesforceError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please retry.")
        else:
            err = SalesforceError(status, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include "
                                  "this ErrorId if you contact support: 1942387011-10284 (-1476832735)")
        return [("content-type", "application/json;charset=UTF-8")], json_body(err.body())

    def rate_limit_response(self, retry_after: int) -> tuple[list[tuple[str, str]], bytes]:
        """``REQUEST_LIMIT_EXCEEDED``; the kit answers it as 429, :class:`StatusRewrite` makes it 403."""
        return [("content-type", "application/json;charset=UTF-8")], json_body(limit_exceeded().body())


class StatusRewrite:
    """ASGI wrapper turning the kit's throttling status (429) into Salesforce's 403.

    The kit's fault middleware answers bursts with 429; Salesforce signals throttling with
    ``403 REQUEST_LIMIT_EXCEEDED``. The sandbox never answers 429 on its own, so rewriting is exact.

    Args:
        app: The wrapped ASGI app (the fault middleware and everything inside it).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def rewrite(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                message = {**message, "status": 403}
            await send(message)

        await self.app(scope, receive, rewrite)

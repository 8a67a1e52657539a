"""NetSuite's REST error body (``o:errorDetails``) and the responses injected faults answer with.

Shape, as Oracle documents it for REST web services::

    {"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "title": "Bad Request", "status": 400,
     "o:errorDetails": [{"detail": "...", "o:errorCode": "INVALID_CONTENT", "o:errorPath": "item.items[0].item"}]}

served as ``application/vnd.oracle.resource+json; type=error``. ``o:errorQueryParam`` or ``o:errorHeader``
replace ``o:errorPath`` when a query parameter or header is to blame.
"""

from __future__ import annotations

import secrets
from typing import Any

from sandboxes._kit import json_body

__all__ = [
    "ERROR_MEDIA_TYPE",
    "NetSuiteError",
    "NetSuiteFaults",
    "concurrency_limit",
    "invalid_login",
    "invalid_reference",
    "nonexistent",
    "user_error",
]

ERROR_MEDIA_TYPE = "application/vnd.oracle.resource+json; type=error"
_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
_SECTIONS = {400: "15.5.1", 401: "15.5.2", 403: "15.5.4", 404: "15.5.5", 405: "15.5.6", 409: "15.5.10",
             415: "15.5.16", 500: "15.6.1", 502: "15.6.3", 503: "15.6.4", 504: "15.6.5"}
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
LOGIN_DETAIL = ("Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
                "Setup > Users/Roles > User Management > View Login Audit Trail.")


def _type_uri(status: int) -> str:
    if status == 429:
        return "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"
    return _RFC9110 + _SECTIONS.get(status, "15.5.1" if status < 500 else "15.6.1")


class NetSuiteError(Exception):
    """An error NetSuite would answer with.

    Args:
        status: HTTP status.
        detail: The human message, worded as NetSuite words it.
        code: ``o:errorCode`` (``USER_ERROR``, ``INVALID_CONTENT``, ``NONEXISTENT_ID``...).
        path: ``o:errorPath``, the JSON path of the offending body value.
        query_param: ``o:errorQueryParam``, the offending query parameter.
        header: ``o:errorHeader``, the offending header.
    """

    def __init__(self, status: int, detail: str, code: str, *, path: str | None = None,
                 query_param: str | None = None, header: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.path, self.query_param, self.header = path, query_param, header

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        item: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path is not None:
            item["o:errorPath"] = self.path
        if self.query_param is not None:
            item["o:errorQueryParam"] = self.query_param
        if self.header is not None:
            item["o:errorHeader"] = self.header
        return {"type": _type_uri(self.status), "title": _TITLES.get(self.status, "Bad Request"),
                "status": self.status, "o:errorDetails": [item]}


def nonexistent() -> NetSuiteError:
    """404 ``NONEXISTENT_ID`` for a record id (or external id) that does not exist."""
    return NetSuiteError(404, "The record instance does not exist. Provide a valid record instance ID.",
                         "NONEXISTENT_ID")


def invalid_reference(field: str, value: Any, path: str) -> NetSuiteError:
    """400 for a reference to a record that does not exist (Oracle's documented example)."""
    return NetSuiteError(400, f"Error while accessing resource: You have entered an Invalid Field Value {value} "
                         f"for the following field: {field}", "INVALID_CONTENT", path=path)


def user_error(detail: str, path: str | None = None) -> NetSuiteError:
    """400 ``USER_ERROR``: the request is well formed but breaks a business rule."""
    return NetSuiteError(400, f"Error while accessing resource: {detail}", "USER_ERROR", path=path)


def invalid_login() -> NetSuiteError:
    """401 ``INVALID_LOGIN``: any authentication failure (NetSuite never says which part was wrong)."""
    return NetSuiteError(401, LOGIN_DETAIL, "INVALID_LOGIN")


def concurrency_limit() -> NetSuiteError:
    """429 ``CONCURRENCY_LIMIT_EXCEEDED``: the account has too many requests in flight."""
    return NetSuiteError(429, "Concurrent request limit exceeded. Request blocked.", "CONCURRENCY_LIMIT_EXCEEDED")


class NetSuiteFaults:
    """NetSuite-looking responses for the kit's fault middleware."""

    def error_response(self, status: int) -> tuple[list[tuple[str, str]], bytes]:
        """NetSuite's unexpected-error body, with an error id as NetSuite gives one."""
        err = NetSuiteError(status, f"An unexpected error occurred. Error ID: {secrets.token_hex(9)}",
                            "UNEXPECTED_ERROR")
        return [("content-type", ERROR_MEDIA_TYPE)], json_body(err.body())

    def rate_limit_response(self, retry_after: int) -> tuple[list[tuple[str, str]], bytes]:
        """The concurrency-governance 429 (with ``Retry-After`` so a polite client waits)."""
        headers = [("content-type", ERROR_MEDIA_TYPE), ("retry-after", str(retry_after))]
        return headers, json_body(concurrency_limit().body())

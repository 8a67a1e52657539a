"""Chargebee's error bodies and the injected-fault responses.

Every error carries ``api_error_code`` (the official SDK turns a body without it into a bare ``Exception``),
plus the legacy ``error_code``/``error_msg``/``error_param`` trio and ``http_status_code``. ``type`` is one of
``invalid_request``, ``payment`` or ``operation_failed``, and is absent for authentication, rate-limit and
internal errors, as Chargebee sends them (the SDK then raises its generic ``APIError``).
"""

from __future__ import annotations

from typing import Any

from sandboxes._kit import json_body

__all__ = [
    "ChargebeeError",
    "ChargebeeFaults",
    "blank",
    "duplicate",
    "internal_error_body",
    "invalid_state",
    "not_found",
    "wrong_value",
]

NOT_FOUND = "Sorry, we couldn't find that resource"
RATE_LIMITED = ("Sorry, access has been blocked temporarily due to request count exceeding acceptable limits. "
                "Please try after some time.")
INTERNAL = "Sorry,Something went wrong when trying to process the request."


class ChargebeeError(Exception):
    """An error Chargebee would answer with.

    Args:
        status: HTTP status.
        message: Human message; when ``param`` is set Chargebee prefixes it with ``"<param> : "``.
        api_error_code: Chargebee's specific code (``param_wrong_value``, ``resource_not_found``...).
        type_: ``invalid_request``, ``payment``, ``operation_failed`` or None (no ``type`` field).
        param: The offending parameter, when one is to blame.
        error_code: The legacy error code; defaults to ``api_error_code``.
    """

    def __init__(self, status: int, message: str, api_error_code: str, type_: str | None = "invalid_request",
                 param: str | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.api_error_code = api_error_code
        self.type = type_
        self.param = param
        self.error_code = error_code or api_error_code

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        shown = f"{self.param} : {self.message}" if self.param else self.message
        body: dict[str, Any] = {"message": shown}
        if self.type:
            body["type"] = self.type
        body["api_error_code"] = self.api_error_code
        if self.param:
            body["param"] = self.param
        body.update({"error_code": self.error_code, "error_msg": self.message})
        if self.param:
            body["error_param"] = self.param
        body["http_status_code"] = self.status
        return body


def blank(param: str) -> ChargebeeError:
    """A required parameter is missing: ``<param> : cannot be blank``."""
    return ChargebeeError(400, "cannot be blank", "param_wrong_value", param=param, error_code="param_not_present")


def wrong_value(param: str, message: str = "invalid value") -> ChargebeeError:
    """A parameter has an unacceptable value."""
    return ChargebeeError(400, message, "param_wrong_value", param=param, error_code="param_wrong_value")


def duplicate(param: str, value: str) -> ChargebeeError:
    """An id that is already taken."""
    return ChargebeeError(400, f"The value {value} is already present.", "duplicate_entry", param=param,
                          error_code="param_not_unique")


def not_found(param: str | None = None, message: str = NOT_FOUND) -> ChargebeeError:
    """``resource_not_found`` 404, naming the parameter when a referenced id is unknown."""
    code = "referenced_resource_not_found" if param else "resource_not_found"
    return ChargebeeError(404, message, "resource_not_found", param=param, error_code=code)


def invalid_state(message: str) -> ChargebeeError:
    """The resource is in a state that does not allow the operation."""
    return ChargebeeError(400, message, "invalid_state_for_request", error_code="invalid_state_for_request")


def internal_error_body() -> dict[str, Any]:
    """Chargebee's 500 body."""
    return ChargebeeError(500, INTERNAL, "internal_error", type_=None).body()


class ChargebeeFaults:
    """Chargebee-looking responses for the kit's fault middleware."""

    def error_response(self, status: int) -> tuple[list[tuple[str, str]], bytes]:
        """Chargebee's 5xx body (``internal_error``, 503 ``internal_temporary_error``)."""
        code = {503: "internal_temporary_error", 504: "gateway_timeout"}.get(status, "internal_error")
        body = ChargebeeError(status, INTERNAL, code, type_=None).body()
        return [("content-type", "application/json;charset=utf-8")], json_body(body)

    def rate_limit_response(self, retry_after: int) -> tuple[list[tuple[str, str]], bytes]:
        """429 ``api_request_limit_exceeded`` with ``Retry-After`` (the SDK honours it when retrying)."""
        body = ChargebeeError(429, RATE_LIMITED, "api_request_limit_exceeded", type_=None).body()
        headers = [("content-type", "application/json;charset=utf-8"), ("retry-after", str(retry_after))]
        return headers, json_body(body)

"""Stripe's error bodies (spec component ``error`` -> ``api_errors``) and the injected-fault responses."""

from __future__ import annotations

from typing import Any

from sandboxes._kit import json_body

__all__ = ["StripeError", "StripeFaults", "error_body", "invalid", "missing", "not_found"]

DOC = "https://stripe.com/docs/error-codes"


class StripeError(Exception):
    """An error Stripe would answer with.

    Args:
        status: HTTP status.
        message: Human message, worded as Stripe words it.
        type_: ``invalid_request_error``, ``api_error``, ``card_error`` or ``idempotency_error``.
        code: Stripe's error code, when it has one.
        param: The offending parameter, when one is to blame.
        saved: Whether an idempotent request failing this way is saved and replayed (execution had begun).
        extra: More fields for the error object (``decline_code``...).
    """

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, saved: bool = False, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.saved = saved
        self.extra = extra

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON error body."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOC}#{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def error_body(message: str, type_: str = "api_error") -> dict[str, Any]:
    """A bare error body."""
    return {"error": {"type": type_, "message": message}}


def not_found(kind: str, object_id: str, param: str = "id") -> StripeError:
    """``resource_missing`` 404: ``No such customer: 'cus_x'``."""
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def missing(param: str) -> StripeError:
    """``parameter_missing`` 400."""
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str, code: str | None = "parameter_invalid") -> StripeError:
    """A 400 for a parameter with a bad value (``code=None`` for enum errors, as Stripe omits it)."""
    return StripeError(400, message, code=code, param=param)


class StripeFaults:
    """Stripe-looking responses for the kit's fault middleware."""

    def error_response(self, status: int) -> tuple[list[tuple[str, str]], bytes]:
        """Stripe's 5xx body; the SDK retries >= 500 on its own."""
        body = error_body("An unknown error occurred", "api_error")
        return [("content-type", "application/json")], json_body(body)

    def rate_limit_response(self, retry_after: int) -> tuple[list[tuple[str, str]], bytes]:
        """Stripe's 429 ``rate_limit`` body; ``Stripe-Should-Retry: true`` lets the SDK retry it."""
        err = StripeError(429, "Request rate limit exceeded. Learn more about rate limits here "
                          "https://stripe.com/docs/rate-limits.", code="rate_limit")
        headers = [("content-type", "application/json"), ("retry-after", str(retry_after)),
                   ("stripe-should-retry", "true")]
        return headers, json_body(err.body())

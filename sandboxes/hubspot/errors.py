"""HubSpot's error body (``{"status":"error","message","correlationId","category",...}``) and its helpers."""

from __future__ import annotations

import json
import uuid
from typing import Any

__all__ = ["HubSpotError", "error_body", "invalid_json", "not_found", "property_errors", "validation"]


def error_body(message: str, category: str, correlation_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A HubSpot error body; ``extra`` adds ``context``, ``errors``, ``subCategory``..."""
    body: dict[str, Any] = {"status": "error", "message": message,
                            "correlationId": correlation_id or str(uuid.uuid4()), "category": category}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


class HubSpotError(Exception):
    """An error HubSpot would answer with.

    Args:
        status: HTTP status.
        message: Human message, worded as HubSpot words it.
        category: ``VALIDATION_ERROR``, ``OBJECT_NOT_FOUND``, ``CONFLICT``, ``INVALID_AUTHENTICATION``...
        extra: ``context``, ``errors``, ``subCategory`` fields.
    """

    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra

    def body(self, correlation_id: str) -> dict[str, Any]:
        """The JSON error body."""
        return error_body(self.message, self.category, correlation_id, **self.extra)


def validation(message: str, **extra: Any) -> HubSpotError:
    """A 400 ``VALIDATION_ERROR``."""
    return HubSpotError(400, message, "VALIDATION_ERROR", **extra)


def invalid_json(detail: str) -> HubSpotError:
    """A 400 for a body that is not JSON or has a value of the wrong JSON type."""
    return validation(f"Invalid input JSON on line 1, column 1: {detail}")


def not_found(object_id: str) -> HubSpotError:
    """The 404 HubSpot answers for an object id that does not exist (or is archived)."""
    return HubSpotError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                        context={"id": [object_id]})


def property_errors(problems: list[dict[str, str]]) -> HubSpotError:
    """The 400 for invalid property values: HubSpot's ``Property values were not valid: [...]`` message.

    Args:
        problems: ``{"name", "error", "message"}`` per bad property (``PROPERTY_DOESNT_EXIST``, ``INVALID_FLOAT``...).
    """
    listed = [{"isValid": False, "message": p["message"], "error": p["error"], "name": p["name"],
               "localizedErrorMessage": p["message"]} for p in problems]
    errors = [{"message": p["message"], "code": p["error"], "context": {"propertyName": [p["name"]]}}
              for p in problems]
    return validation(f"Property values were not valid: {json.dumps(listed, separators=(',', ':'))}", errors=errors)

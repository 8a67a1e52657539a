"""Chargebee on the wire: Basic auth, indexed bracket forms, wrapped resources, error bodies, offset paging.

Chargebee's idempotency header is ``chargebee-idempotency-key``. The runtime's upstream client repeats a
write only when it carries ``Idempotency-Key``, so the connector hands the key to the runtime under that
name and ``ChargebeeKey`` renames it on each attempt, as the last step before the request leaves: the
retry policy stays the runtime's, the header on the wire is Chargebee's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Generator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec

from services.runtime.http import IDEMPOTENCY_HEADER, UpstreamClient
from services.system.billing.errors import BillingNotFound, VendorRefused

__all__ = ["BASE", "ChargebeeApi", "ChargebeeKey", "form_pairs"]

BASE = "/api/v2"
VENDOR_IDEMPOTENCY_HEADER = "chargebee-idempotency-key"
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_SEGMENT = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


class ChargebeeKey(httpx.Auth):
    """HTTP Basic with the site API key (empty password); moves the idempotency key to Chargebee's header."""

    def __init__(self, api_key: str) -> None:
        self._header = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        key = request.headers.pop(IDEMPOTENCY_HEADER, None)
        if key is not None:
            request.headers[VENDOR_IDEMPOTENCY_HEADER] = key
        yield request


def form_pairs(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten params into Chargebee's keys: ``billing_address[city]``, ``subscription_items[quantity][0]``.

    A list of objects is encoded column-wise with the index last, as Chargebee wants; a list of scalars as
    ``name[0]``; ``meta_data`` (a mapping under that name) as one JSON value. ``None`` values are left out.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if key == "meta_data" and isinstance(value, Mapping):
            pairs.append((name, msgspec.json.encode(value).decode()))
        elif isinstance(value, Mapping):
            pairs += form_pairs(value, name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    pairs += [(f"{name}[{field}][{i}]", _scalar(v)) for field, v in item.items() if v is not None]
                else:
                    pairs.append((f"{name}[{i}]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Chargebee error type -> (retryable, owner). Payment errors are collections work; request errors are ours.
_OWNERS = {"payment": (False, "finance_ops"), "invalid_request": (False, "integration"),
           "operation_failed": (True, "integration")}


def _refusal(response: httpx.Response) -> Exception:
    """A Chargebee error body turned into a problem that keeps Chargebee's ``api_error_code`` and message."""
    try:
        error = msgspec.json.decode(response.content)
        error = error if isinstance(error, dict) else {}
    except msgspec.DecodeError:
        error = {}
    code = str(error.get("api_error_code") or error.get("error_code") or "api_error")
    message = f"Chargebee: {error.get('message') or 'request refused'}"
    if error.get("param") and str(error["param"]) not in message:
        message += f" (param {error['param']})"
    retryable, owner = _OWNERS.get(str(error.get("type")), (False, "integration"))
    status = response.status_code
    if status == 404 or code == "resource_not_found":
        return BillingNotFound(message, code="resource_missing", retryable=False, owner=owner)
    if status in (401, 403):
        return VendorRefused(message, slug="upstream-failed", code=code, retryable=False, owner="integration")
    if status == 409:  # the idempotency key was used with other parameters
        return VendorRefused(message, slug="idempotency-key-reused", code=code, retryable=False, owner=owner)
    return VendorRefused(message, slug="business-rule", code=code, retryable=retryable, owner=owner)


def _check(path: str) -> None:
    """Refuse a path whose object id could not be a Chargebee id (a caller's id must never reshape the URL)."""
    if not all(_SEGMENT.match(part) for part in path.strip("/").split("/")):
        raise BillingNotFound("No such Chargebee object: the id is not a Chargebee id.", code="resource_missing",
                              retryable=False, owner="integration")


class ChargebeeApi:
    """Thin Chargebee client over the runtime's resilient upstream client.

    Args:
        http: The upstream client of the site (auth, retries, breaker).
        page_size: ``limit`` used when paging lists (at most 100).
    """

    def __init__(self, http: UpstreamClient, page_size: int = 100) -> None:
        self.http = http
        self.page_size = max(1, min(page_size, 100))

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET`` a resource (the wrapped body, ``{"customer": {...}}``); refusals raise."""
        _check(path)
        query = form_pairs(params or {})
        response = await self.http.get(BASE + path + ("?" + urlencode(query) if query else ""))
        return self._body(response)

    async def post(self, path: str, params: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        """``POST`` form params, keyed with ``chargebee-idempotency-key`` (so the runtime may repeat it)."""
        _check(path)
        body = urlencode(form_pairs(params)).encode()
        response = await self.http.post(BASE + path, content=body, headers=_FORM, idempotency_key=key)
        return self._body(response)

    async def iterate(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every entry of a list endpoint (each ``{"invoice": {...}, ...}``), following ``next_offset``."""
        offset: str | None = None
        while True:
            page = await self.get(path, {**(params or {}), "limit": self.page_size, "offset": offset})
            for entry in page.get("list") or []:
                yield entry
            offset = page.get("next_offset")
            if not offset:
                return

    async def list_all(self, path: str, kind: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The ``kind`` resource of every entry of a list endpoint."""
        return [entry[kind] async for entry in self.iterate(path, params)]

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise _refusal(response)
        body = msgspec.json.decode(response.content)
        return body if isinstance(body, dict) else {}

"""Stripe on the wire: bracket-key form encoding, the API key, error bodies, and complete list paging."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Generator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec

from services.runtime.http import UpstreamClient
from services.system.billing.errors import BillingNotFound, VendorRefused

__all__ = ["StripeApi", "StripeKey", "form_pairs"]

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")


class StripeKey(httpx.Auth):
    """``Authorization: Bearer sk_...`` on every attempt."""

    def __init__(self, api_key: str) -> None:
        self._header = f"Bearer {api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def form_pairs(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested params into Stripe's bracket keys: ``items[0][price]``, ``metadata[k]``, ``expand[]``.

    ``None`` values are left out; booleans are ``true``/``false``; an empty string is kept (it clears).
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs += form_pairs(value, name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    pairs += form_pairs(item, f"{name}[{i}]")
                else:
                    pairs.append((f"{name}[]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Stripe error type -> (retryable, owner). Card errors are collections work; request errors are ours to fix.
_OWNERS = {"card_error": (False, "finance_ops"), "invalid_request_error": (False, "integration"),
           "idempotency_error": (False, "integration"), "api_error": (True, "integration")}


def _refusal(response: httpx.Response) -> Exception:
    """A Stripe error body turned into a problem that keeps Stripe's code and message."""
    try:
        error = msgspec.json.decode(response.content).get("error") or {}
    except (msgspec.DecodeError, AttributeError):
        error = {}
    kind = str(error.get("type") or "api_error")
    code = error.get("code") or error.get("decline_code") or kind
    message = f"Stripe: {error.get('message') or 'request refused'}"
    if error.get("param"):
        message += f" (param {error['param']})"
    retryable, owner = _OWNERS.get(kind, (False, "integration"))
    status = response.status_code
    if status == 404 and code == "resource_missing":
        return BillingNotFound(message, code=code, retryable=False, owner=owner)
    if kind == "idempotency_error":
        return VendorRefused(message, slug="idempotency-key-reused", code=code, retryable=False, owner=owner)
    if status in (401, 403):
        return VendorRefused(message, slug="upstream-failed", code=code, retryable=False, owner="integration")
    if status == 409:  # lock_timeout and friends: another request holds the object
        return VendorRefused(message, slug="conflict", code=code, retryable=True, owner=owner)
    return VendorRefused(message, slug="business-rule", code=code, retryable=retryable, owner=owner)


def _check(path: str) -> None:
    """Refuse a path whose object id could not be a Stripe id (a caller's id must never reshape the URL)."""
    if not all(_SEGMENT.match(part) for part in path.strip("/").split("/")):
        raise BillingNotFound("No such Stripe object: the id is not a Stripe id.", code="resource_missing",
                              retryable=False, owner="integration")


class StripeApi:
    """Thin Stripe client over the runtime's resilient upstream client.

    Args:
        http: The upstream client of the Stripe API (auth, retries, breaker).
        page_size: ``limit`` used when paging lists.
    """

    def __init__(self, http: UpstreamClient, page_size: int = 100) -> None:
        self.http = http
        self.page_size = max(1, min(page_size, 100))

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET`` a Stripe object; refusals raise."""
        _check(path)
        query = form_pairs(params or {})
        response = await self.http.get(path + ("?" + urlencode(query) if query else ""))
        return self._body(response)

    async def post(self, path: str, params: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        """``POST`` form params with ``Idempotency-Key: key`` (so the runtime may repeat it safely)."""
        _check(path)
        body = urlencode(form_pairs(params)).encode()
        response = await self.http.post(path, content=body, headers=_FORM, idempotency_key=key)
        return self._body(response)

    async def delete(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``DELETE`` (idempotent by method; Stripe answers ``resource_missing`` once it is gone)."""
        _check(path)
        body = urlencode(form_pairs(params or {})).encode()
        response = await self.http.request("DELETE", path, content=body, headers=_FORM)
        return self._body(response)

    async def iterate(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every object of a list endpoint, paging with ``starting_after`` until ``has_more`` is false."""
        after: str | None = None
        while True:
            page = await self.get(path, {**(params or {}), "limit": self.page_size, "starting_after": after})
            data = page.get("data") or []
            for obj in data:
                yield obj
            if not page.get("has_more") or not data:
                return
            after = data[-1]["id"]

    async def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """``iterate`` collected into a list."""
        return [obj async for obj in self.iterate(path, params)]

    async def search_all(self, path: str, query: str) -> list[dict[str, Any]]:
        """Every result of a search endpoint, paging with ``page`` / ``next_page``."""
        found: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            result = await self.get(path, {"query": query, "limit": self.page_size, "page": page})
            found += result.get("data") or []
            page = result.get("next_page")
            if not result.get("has_more") or not page:
                return found

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise _refusal(response)
        body = msgspec.json.decode(response.content)
        return body if isinstance(body, dict) else {}

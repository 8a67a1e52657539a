"""Request builders and a small HTTP client for the revrec API tests (amounts in minor units)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

__all__ = ["RevrecClient", "audit_actions", "money", "obligation", "published", "register_body"]


def money(amount_minor: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": currency}


def obligation(oid: str, ssp: int, start: str, end: str, currency: str = "USD", **extra: Any) -> dict[str, Any]:
    """A ratable obligation over ``start``..``end`` (inclusive) with SSP ``ssp`` minor units."""
    return {"id": oid, "name": f"Obligation {oid}", "pattern": "ratable", "standalone_selling_price":
            money(ssp, currency), "start_date": start, "end_date": end, **extra}


def register_body(price: int, obligations: list[dict[str, Any]], currency: str = "USD",
                  convention: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"customer_id": "cus_1", "currency": currency, "transaction_price": money(price, currency),
                            "obligations": obligations, **extra}
    if convention is not None:
        body["convention"] = convention
    return body


class RevrecClient:
    """Bearer-authenticated calls to one running revrec server; writes get a fresh Idempotency-Key."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}/v1{path}", headers=self.headers, params=params or None)

    def post(self, path: str, body: Any = None, *, key: str | None = None, content: bytes | None = None,
             ) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        if content is not None:
            return httpx.post(f"{self.url}/v1{path}", content=content,
                              headers={**headers, "Content-Type": "application/json"})
        return httpx.post(f"{self.url}/v1{path}", json=body, headers=headers)

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/contracts", body)
        assert response.status_code == 201, response.text
        return response.json()

    def by_period(self, view: dict[str, Any], oid: str) -> dict[str, int]:
        """Amounts per accounting period of one obligation (all line kinds summed)."""
        out: dict[str, int] = {}
        for schedule in view["schedules"]:
            if schedule["obligation_id"] == oid:
                for line in schedule["lines"]:
                    key = line["accounting_period"]
                    out[key] = out.get(key, 0) + line["amount"]["amount_minor"]
        return out


async def published(redis: Any, key_prefix: str) -> list[dict[str, Any]]:
    """The revrec events published under ``key_prefix``, oldest first, as decoded CloudEvents."""
    import msgspec

    from services.runtime.events import EventBus
    from services.runtime.redis import KeySpace

    key = EventBus(redis, KeySpace(key_prefix), source="test").stream_key("revrec")
    return [msgspec.json.decode(fields[b"ce"]) for _, fields in await redis.xrange(key)]


async def audit_actions(redis: Any, key_prefix: str) -> list[str]:
    """Actions recorded in the audit chain under ``key_prefix``, after checking the chain verifies."""
    from services.runtime.audit import AuditLog
    from services.runtime.redis import KeySpace

    log = AuditLog(redis, KeySpace(key_prefix))
    assert (await log.verify()).ok
    return [entry.action for entry in await log.entries()]

"""Test harness of the NetSuite sandbox: start, reset, inspect, fault and arrange master data.

The canonical suite only talks to the ERP API; the harness is what a test uses to arrange vendor-side
conditions (items made in NetSuite's UI, faults) and to count what exists at the vendor afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sandboxes.netsuite import DEV_SETTINGS, create_app
from services.runtime.testing import serve_in_thread
from tests.sandboxes.netsuite.signing import NetSuiteHttp

__all__ = ["NetSuiteHarness", "netsuite_harness"]


class NetSuiteHarness:
    """The NetSuite sandbox served over real HTTP, its admin routes and a signed client for arranging data."""

    vendor = "netsuite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=15)
        self.signed = NetSuiteHttp(url)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """ERP settings fields that point the API at this sandbox with the dev credentials."""
        s = DEV_SETTINGS
        return {"vendor": "netsuite", "vendor_url": self.url, "netsuite_account_id": s.account_id,
                "netsuite_consumer_key": s.consumer_key, "netsuite_consumer_secret": s.consumer_secret,
                "netsuite_token_id": s.token_id, "netsuite_token_secret": s.token_secret, **overrides}

    def reset(self) -> None:
        self.http.post("/__sandbox/reset").raise_for_status()
        self.http.delete("/__sandbox/faults").raise_for_status()

    def records(self, rtype: str) -> list[dict[str, Any]]:
        """Every stored record of a type (``customer``, ``salesOrder``, ``invoice``...)."""
        state = self.http.get("/__sandbox/state").raise_for_status().json()
        return list(state["records"][rtype].values())

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def injected(self) -> list[dict[str, Any]]:
        return list(self.http.get("/__sandbox/faults").raise_for_status().json()["injected"])

    def item(self, sku: str, *, inactive: bool = False, price: float = 10.0) -> str:
        """Create a service item as finance would in NetSuite's UI; returns its internal id."""
        response = self.signed.request("POST", "/record/v1/serviceSaleItem", json_body={
            "itemId": sku, "displayName": f"{sku} (service)", "salesDescription": f"{sku} subscription",
            "basePrice": price, "isInactive": inactive})
        assert response.status_code == 204, response.text
        return response.headers["location"].rsplit("/", 1)[-1]


@contextmanager
def netsuite_harness() -> Iterator[NetSuiteHarness]:
    """Serve a NetSuite sandbox (dev account, seeded faults) for the block."""
    with serve_in_thread(create_app(DEV_SETTINGS)) as server:
        harness = NetSuiteHarness(server.url)
        try:
            yield harness
        finally:
            harness.http.close()
            harness.signed.http.close()

"""Drive the NetSuite sandbox with the official ``netsuite`` package (0.12.0), in its own environment.

``netsuite`` pins ``httpx<0.28``, so it cannot share revflow's environment; the tests run this script as
``uv run --no-project --with netsuite==0.12.0 python tests/sandboxes/netsuite/sdk_client.py PORT SCENARIO``
and assert on the JSON it prints. Only the package's URL builder is changed (``_make_url``); it signs every
request itself (OAuth 1.0a, HMAC-SHA256, ``oauth_body_hash``). Credentials are the sandbox's documented
development defaults. Scenarios: ``story`` (quote to cash) and ``auth`` (signed, tampered, replayed).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
from netsuite import Config, TokenAuth
from netsuite.exceptions import NetsuiteAPIRequestError
from netsuite.rest_api import NetSuiteRestApi

__all__ = ["auth", "make_api", "story"]

ACCOUNT = "1234567_SB1"
CREDENTIALS = {"consumer_key": "revflow-dev-consumer-key", "consumer_secret": "revflow-dev-consumer-secret",
               "token_id": "revflow-dev-token-id", "token_secret": "revflow-dev-token-secret"}


def make_api(port: int, **overrides: str) -> NetSuiteRestApi:
    """The official client with only its URL pointed at the sandbox."""

    class SandboxRestApi(NetSuiteRestApi):
        def _make_url(self, subpath: str) -> str:
            return f"http://127.0.0.1:{port}/services/rest{subpath}"

    return SandboxRestApi(Config(account=ACCOUNT, auth=TokenAuth(**{**CREDENTIALS, **overrides})))


async def write(api: NetSuiteRestApi, method: str, subpath: str, body: dict[str, Any]) -> str:
    """A write through the package; returns the new or updated record's id from ``Location``."""
    response = await api.request(method, subpath, json=body)
    if response.status_code != 204:
        raise NetsuiteAPIRequestError(response.status_code, response.text)
    return response.headers["location"].rsplit("/", 1)[-1]


async def refused(coro: Any) -> dict[str, Any]:
    """Status and first error detail of a call the package raises for."""
    try:
        await coro
    except NetsuiteAPIRequestError as exc:
        detail = json.loads(exc.response_text)["o:errorDetails"][0]
        return {"status": exc.status_code, "code": detail["o:errorCode"], "detail": detail["detail"]}
    return {"status": None}


async def story(port: int) -> dict[str, Any]:
    api = make_api(port)
    out: dict[str, Any] = {}
    ids = await _writes(api, out)
    out["ids"] = ids
    await _reads(api, out, ids)
    return out


async def _writes(api: NetSuiteRestApi, out: dict[str, Any]) -> dict[str, str]:
    """Customer (upserted twice), items, order, invoice, payment, credit memo, journals; returns the ids."""
    customer = await write(api, "PUT", "/record/v1/customer/eid:CUST-ACME",
                           {"companyName": "Acme Corp", "email": "ap@acme.test"})
    again = await write(api, "PUT", "/record/v1/customer/eid:CUST-ACME",
                        {"companyName": "Acme Corp", "email": "ap@acme.test"})
    out["customer_ids"] = [customer, again]
    seats = await write(api, "POST", "/record/v1/nonInventorySaleItem", {"itemId": "SKU-SEATS", "basePrice": 100})
    onboarding = await write(api, "POST", "/record/v1/serviceSaleItem",
                             {"itemId": "SKU-ONBOARD", "displayName": "Onboarding", "basePrice": 500})
    order = await write(api, "POST", "/record/v1/salesOrder", {
        "entity": {"externalId": "CUST-ACME"}, "tranDate": "2025-01-15", "externalId": "SO-ACME-1",
        "item": {"items": [{"item": {"id": seats}, "quantity": 3, "rate": 100},
                           {"item": {"id": onboarding}, "quantity": 1}]}})
    invoice = await write(api, "POST", f"/record/v1/salesOrder/{order}/!transform/invoice", {"tranDate": "2025-01-31"})
    payment = await write(api, "POST", "/record/v1/customerPayment", {
        "customer": {"id": customer}, "payment": 500,
        "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": 500}]}})
    credit = await write(api, "POST", f"/record/v1/invoice/{invoice}/!transform/creditMemo",
                         {"item": {"items": [{"item": {"id": seats}, "quantity": 1, "rate": 100}]}})
    accounts = await api.suiteql("SELECT id, acctnumber FROM account WHERE acctnumber IN ('2400', '4000') "
                                 "ORDER BY acctnumber", limit=10)
    deferred, revenue = (row["id"] for row in accounts["items"])
    journal = await write(api, "POST", "/record/v1/journalEntry", {"tranDate": "2025-01-31", "line": {"items": [
        {"account": {"id": deferred}, "debit": 300, "memo": "recognise January"},
        {"account": {"id": revenue}, "credit": 300, "memo": "recognise January"}]}})
    out["unbalanced"] = await refused(api.post("/record/v1/journalEntry", json={"line": {"items": [
        {"account": {"id": deferred}, "debit": 300}, {"account": {"id": revenue}, "credit": 250}]}}))
    out["missing"] = await refused(api.get("/record/v1/customer/99999"))
    return {"customer": customer, "seats": seats, "onboarding": onboarding, "order": order,
            "invoice": invoice, "payment": payment, "credit": credit, "journal": journal}


async def _reads(api: NetSuiteRestApi, out: dict[str, Any], ids: dict[str, str]) -> None:
    """Read the story back by GET and by SuiteQL."""
    order, invoice, journal = ids["order"], ids["invoice"], ids["journal"]
    out["customer"] = await api.get("/record/v1/customer/eid:CUST-ACME")
    out["order"] = await api.get(f"/record/v1/salesOrder/{order}", params={"expandSubResources": "true"})
    out["invoice"] = await api.get(f"/record/v1/invoice/{invoice}")
    out["journal"] = await api.get(f"/record/v1/journalEntry/{journal}", params={"expandSubResources": "true"})
    out["lines"] = await api.suiteql(
        "SELECT t.tranid, t.type, c.companyname AS customer, i.itemid, tl.quantity, tl.netamount "
        "FROM transaction t INNER JOIN customer c ON c.id = t.entity "
        "INNER JOIN transactionline tl ON tl.transaction = t.id LEFT JOIN item i ON i.id = tl.item "
        "WHERE tl.mainline = 'F' AND t.type IN ('SalesOrd', 'CustInvc', 'CustCred') "
        "ORDER BY t.id, tl.linesequencenumber", limit=100)
    out["page"] = await api.suiteql("SELECT id FROM transaction ORDER BY id", limit=2, offset=2)


async def auth(port: int) -> dict[str, Any]:
    api = make_api(port)
    url = f"http://127.0.0.1:{port}/services/rest/record/v1/customer"
    results: dict[str, Any] = {"signed": (await api.request("GET", "/record/v1/customer")).status_code}
    async with httpx.AsyncClient() as client:
        body = json.dumps({"companyName": "Signed Corp"}).encode()
        signed = next(api._make_auth().auth_flow(httpx.Request(
            "POST", url, content=body, headers={"Content-Type": "application/json"})))
        tampered = httpx.Request("POST", url, content=json.dumps({"companyName": "Evil Corp"}).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": signed.headers["Authorization"]})
        results["tampered_body"] = (await client.send(tampered)).status_code
        query = next(api._make_auth().auth_flow(httpx.Request("GET", url + "?limit=5")))
        moved = httpx.Request("GET", url + "?limit=6", headers={"Authorization": query.headers["Authorization"]})
        results["tampered_query"] = (await client.send(moved)).status_code
        results["original"] = (await client.send(signed)).status_code
        results["replayed"] = (await client.send(signed)).status_code
        unauth = await client.get(url)
        results["unsigned"] = {"status": unauth.status_code, "body": unauth.json()}
    results["wrong_secret"] = await refused(make_api(port, token_secret="not-the-secret").get("/record/v1/customer"))
    return results


def main() -> None:
    port, scenario = int(sys.argv[1]), sys.argv[2]
    runner = {"story": story, "auth": auth}[scenario]
    print(json.dumps(asyncio.run(runner(port))))


if __name__ == "__main__":
    main()

"""The official ``netsuite`` package (0.12.0) drives a quote-to-cash story against the sandbox over HTTP.

The package pins ``httpx<0.28`` and so runs in its own environment (``uv run --no-project --with``): the
sandbox is served from this process, ``sdk_client.py`` runs as a subprocess, signs every request with the
package's own OAuth 1.0a signer and prints JSON results asserted on here. Expected amounts are worked out
from the story itself: 3 seats at 100 plus onboarding at 500 is 800; a 500 payment and a one-seat credit
memo (100) leave 200 due.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.runtime.testing import RunningServer

SCRIPT = Path(__file__).with_name("sdk_client.py")
ROOT = Path(__file__).resolve().parents[3]


def run_sdk(port: int, scenario: str) -> dict[str, Any]:
    """Run one SDK scenario; fail (never skip) when the package cannot be installed or the script breaks."""
    command = ["uv", "run", "--no-project", "--with", "netsuite==0.12.0", "python", str(SCRIPT.relative_to(ROOT)),
               str(port), scenario]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not run the netsuite SDK environment ({' '.join(command)}): {exc}")
    if done.returncode != 0:
        pytest.fail(f"the netsuite==0.12.0 SDK environment failed (exit {done.returncode}): either uv could not "
                    "install the package (no network or package index?) or the scenario broke; see stderr:\n"
                    f"{done.stderr[-4000:]}", pytrace=False)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pytest.fail(f"the SDK scenario printed no JSON:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    raise AssertionError  # unreachable: pytest.fail raises


@pytest.fixture(scope="module")
def story(netsuite_server: RunningServer) -> dict[str, Any]:
    httpx.post(f"{netsuite_server.url}/__sandbox/reset", timeout=10).raise_for_status()
    return run_sdk(netsuite_server.port, "story")


class TestQuoteToCashWithTheOfficialPackage:
    def test_upsert_by_external_id_is_idempotent(self, story: dict[str, Any]) -> None:
        assert story["customer_ids"][0] == story["customer_ids"][1]
        assert story["customer"]["externalId"] == "CUST-ACME"
        assert story["customer"]["companyName"] == "Acme Corp"

    def test_sales_order_reads_back_with_lines(self, story: dict[str, Any]) -> None:
        order = story["order"]
        assert order["total"] == 3 * 100 + 1 * 500
        assert order["entity"]["id"] == story["ids"]["customer"] and order["entity"]["refName"] == "Acme Corp"
        lines = order["item"]["items"]
        assert [(line["item"]["refName"], line["quantity"], line["rate"], line["amount"]) for line in lines] == [
            ("SKU-SEATS", 3.0, 100.0, 300.0), ("SKU-ONBOARD", 1.0, 500.0, 500.0)]
        assert order["status"]["refName"] == "Billed"

    def test_invoice_owes_what_payment_and_credit_leave(self, story: dict[str, Any]) -> None:
        invoice = story["invoice"]
        assert invoice["createdFrom"]["id"] == story["ids"]["order"]
        assert invoice["total"] == 800.0
        assert invoice["amountRemaining"] == 800.0 - 500.0 - 100.0
        assert set(invoice["item"]) == {"links"}  # sublists stay collapsed without expandSubResources

    def test_balanced_journal_and_refused_unbalanced_one(self, story: dict[str, Any]) -> None:
        lines = story["journal"]["line"]["items"]
        assert [(line["account"]["refName"], line.get("debit"), line.get("credit")) for line in lines] == [
            ("2400 Deferred Revenue", 300.0, None), ("4000 Revenue", None, 300.0)]
        assert story["unbalanced"]["status"] == 400 and story["unbalanced"]["code"] == "USER_ERROR"
        assert "debits" in story["unbalanced"]["detail"]

    def test_suiteql_join_reads_the_same_story(self, story: dict[str, Any]) -> None:
        rows = [{k: v for k, v in item.items() if k != "links"} for item in story["lines"]["items"]]
        # NetSuite stores sales-order and invoice item lines with negative quantity and amount.
        expected = [("SO1", "SalesOrd", "SKU-SEATS", "-3", "-300"), ("SO1", "SalesOrd", "SKU-ONBOARD", "-1", "-500"),
                    (f"INV{story['ids']['invoice']}", "CustInvc", "SKU-SEATS", "-3", "-300"),
                    (f"INV{story['ids']['invoice']}", "CustInvc", "SKU-ONBOARD", "-1", "-500"),
                    (f"CM{story['ids']['credit']}", "CustCred", "SKU-SEATS", "1", "100")]
        assert [(r["tranid"], r["type"], r["itemid"], r["quantity"], r["netamount"]) for r in rows] == expected
        assert {r["customer"] for r in rows} == {"Acme Corp"}

    def test_suiteql_pages(self, story: dict[str, Any]) -> None:
        page = story["page"]  # five transactions: order, invoice, payment, credit memo, journal
        assert (page["totalResults"], page["count"], page["offset"], page["hasMore"]) == (5, 2, 2, True)
        assert [item["id"] for item in page["items"]] == ["3", "4"]
        assert {link["rel"] for link in page["links"]} >= {"next", "previous", "self"}

    def test_nonexistent_record(self, story: dict[str, Any]) -> None:
        assert story["missing"] == {"status": 404, "code": "NONEXISTENT_ID",
                                    "detail": "The record instance does not exist. Provide a valid record instance ID."}


class TestSignaturesFromTheOfficialPackage:
    def test_signed_verifies_and_tampered_is_refused(self, netsuite_server: RunningServer) -> None:
        result = run_sdk(netsuite_server.port, "auth")
        assert result["signed"] == 200 and result["original"] == 204
        assert result["tampered_body"] == 401, "a body changed after signing must fail its oauth_body_hash"
        assert result["tampered_query"] == 401, "the query is part of the signature base string"
        assert result["replayed"] == 401, "a nonce may be used once"
        assert result["wrong_secret"]["status"] == 401 and result["wrong_secret"]["code"] == "INVALID_LOGIN"
        body = result["unsigned"]["body"]
        assert result["unsigned"]["status"] == 401 and body["title"] == "Unauthorized"
        assert body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


"""The CRM panel over a real process API: a deal won in Salesforce, activated through every system, and shown
on the CRM record as Salesforce's Lightning component and HubSpot's card receive it.

Everything runs as real HTTP servers on loopback (sandboxes -> system APIs -> process API with workers ->
panel) over one real Redis. Expected figures are computed here from the deal's lines and from the invoices
Stripe holds, never read back from the panel's own sources. The panel cache TTL is an hour: a panel that
changes during a test was refreshed by the process tier's events, not by expiry.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from tests.experience.crm_panel.conftest import DEAL_PAGE, LIGHTNING, Panel, PanelEvents, idempotent_post
from tests.process.figures import largest_remainder
from tests.process.topology import Topology

COMPLETED = "revflow.process.workflow.completed.v1"
NEEDS_ATTENTION = "revflow.process.workflow.needs_attention.v1"
SEATS, LIST, SALE = 5, 10_000, 9_000


def _sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def _line(sku: str) -> dict:
    return {"sku": sku, "quantity": SEATS, "list": LIST, "sale": SALE, "start": "2025-01-01", "end": "2025-12-31",
            "frequency": "monthly"}




def january_revenue(annual: int) -> int:
    """A ratable year's January by actual days (31 of 365), largest remainder over the twelve months."""
    days, day = {}, date(2025, 1, 1)
    while day.year == 2025:
        days[day.month] = days.get(day.month, 0) + 1
        day += timedelta(days=1)
    return largest_remainder(annual, [Fraction(d) for d in days.values()])[0]


def settle(topology: Topology, deal: str, timeout: float = 60.0) -> list[str]:
    """Wait until the deal is complete: activation done and every invoice Stripe issued synced; its workflows.

    The first invoice's sync starts from Stripe's events, beside the activation, and the deal is complete only
    once it has finished too (the deal's oldest unfinished workflow gives its status).
    """
    deadline = time.monotonic() + timeout
    view: dict = {}
    while time.monotonic() < deadline:
        view = topology.process.get(f"/v1/deals/{deal}").json()
        subscription = view.get("ids", {}).get("subscription_id")
        invoices = [i for i in topology.stripe_objects("invoice") if i["subscription"] == subscription]
        syncs = [w for w in view.get("workflows", []) if w["kind"] == "invoice_sync"]
        if (view.get("business_status") == "completed" and invoices and len(syncs) >= len(invoices)
                and all(w["state"] == "succeeded" for w in view["workflows"])):
            return [w["id"] for w in view["workflows"]]
        time.sleep(0.1)
    raise AssertionError(f"deal {deal} did not complete: {view}")


class TestHubSpotSignature:
    """Only HubSpot, signing with the app secret within five minutes, gets a card."""

    def test_a_signed_request_gets_the_card(self, panel: Panel):
        response = panel.hubspot(panel.card_url("9876543210"))
        assert response.status_code == 200, response.text
        assert response.json() == {"results": []}  # a deal revflow has not seen: an empty card, not an error

    def test_tampered_or_stale_requests_are_refused(self, panel: Panel):
        url = panel.card_url("9876543210")
        now = int(datetime.now(UTC).timestamp() * 1000)
        refused = {
            "query changed after signing": panel.hubspot(panel.card_url("9876543211"), signed_url=url),
            "path changed after signing": panel.hubspot(url, signed_url=url.replace("/card?", "/cards?")),
            "body added after signing": panel.hubspot(url, body=b'{"objectId": 1}', signed_body=b""),
            "wrong secret": panel.hubspot(url, secret="not-the-app-secret"),
            "timestamp changed after signing": panel.hubspot(
                url, timestamp_ms=now, headers={"X-HubSpot-Request-Timestamp": str(now + 1)}),
            "signed six minutes ago": panel.hubspot(url, timestamp_ms=now - 6 * 60 * 1000),
            "signed for six minutes ahead": panel.hubspot(url, timestamp_ms=now + 6 * 60 * 1000),
            "no signature": panel.anonymous.get(url, headers={"X-HubSpot-Request-Timestamp": str(now)}),
            "a bearer token instead": panel.http.get(url),
        }
        for why, response in refused.items():
            assert response.status_code == 401, (why, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json"), why
            assert response.json()["status"] == 401, why
        # Four minutes old is still within HubSpot's window.
        assert panel.hubspot(url, timestamp_ms=now - 4 * 60 * 1000).status_code == 200

    def test_escapes_hubspot_decodes_before_hashing(self, panel: Panel):
        url = panel.card_url("9876543210")  # HubSpot hashes the URI with %40 (and a few others) decoded
        sent = url.replace("ops@acme.test", "ops%40acme.test")
        assert sent != url
        assert panel.hubspot(sent, signed_url=url).status_code == 200
        assert panel.hubspot(sent).status_code == 200  # the signer decodes as HubSpot does
        # Other escapes are hashed as sent: %20 decoded by the signer would not match.
        spaced = url.replace("ops@acme.test", "ops%20x%40acme.test")
        assert panel.hubspot(spaced, signed_url=spaced.replace("%20", " ")).status_code == 401


class TestSalesforcePanel:
    def test_completed_deal_shows_subscription_and_money_billed_paid_recognised(
            self, topology: Topology, panel: Panel, events: PanelEvents):
        sku = _sku("SEAT")
        topology.item(sku)
        deal = topology.win_deal([_line(sku)])
        done = topology.wait_for(f"activation:{deal}")
        assert (done["state"], done["business_status"]) == ("succeeded", "completed"), done.get("exception")
        subscription = done["external_ids"]["subscription_id"]
        for workflow in settle(topology, deal):  # the panel has seen each of the deal's workflows finish
            events.wait_handled(COMPLETED, workflow)

        body = panel.salesforce(deal)
        assert body.status_code == 200, body.text
        view = body.json()
        issued = [i for i in topology.stripe_objects("invoice")
                  if i["subscription"] == subscription and i["status"] in ("open", "paid", "uncollectible")]
        assert all(i["total"] == SEATS * SALE for i in issued)  # each month bills 5 seats x 90.00
        billed, paid = sum(i["total"] for i in issued), sum(i["amount_paid"] for i in issued)
        assert view["opportunity_id"] == deal
        assert (view["finance_status"], view["finance_status_label"], view["tone"]) == (
            "completed", "Completed", "success")
        assert view["subscription_id"] == subscription
        assert view["customer"] == "Acme Corp"
        assert view["url"] == DEAL_PAGE.format(opportunity_id=deal)
        assert view["exceptions"] == [] and view["unavailable"] == []
        amounts = view["amounts"]
        assert amounts["booked"] == {"amount_minor": SEATS * SALE * 12, "currency": "USD", "decimal": "5400.00"}
        assert amounts["billed"]["amount_minor"] == billed
        assert amounts["paid"]["amount_minor"] == paid
        assert amounts["outstanding"]["amount_minor"] == billed - paid
        assert amounts["recognized"] == {"amount_minor": 0, "currency": "USD", "decimal": "0.00"}  # no period closed
        latest = max(i["period_end"] for i in issued)
        upcoming = datetime.fromtimestamp(latest, UTC).date().isoformat()  # billing renews when the period ends
        assert view["next_invoice"] == {"state": "upcoming", "expected_on": upcoming, "invoice_id": None,
                                        "number": None, "amount_due": None, "due_on": None}

        # January closes: its revenue is recognised, and the close's event refreshes every cached panel.
        topology.netsuite.signed.request("POST", "/record/v1/account", json_body={
            "acctNumber": "1300", "acctName": "Contract Asset", "acctType": "OthCurrAsset"})
        close = idempotent_post(topology.process, "/v1/periods/2025-01/close").json()
        closed = topology.wait_for(close["id"])
        assert closed["state"] == "succeeded", closed.get("exception")
        events.wait_handled(COMPLETED, close["id"])
        recognised = panel.salesforce(deal).json()["amounts"]["recognized"]
        expected = january_revenue(SEATS * SALE * 12)
        assert recognised == {"amount_minor": expected, "currency": "USD", "decimal": f"{expected / 100:.2f}"}

    def test_unknown_deal_is_a_404_problem(self, panel: Panel):
        response = panel.salesforce("006NOSUCHDEAL0000")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_needs_a_panel_token(self, panel: Panel, issuer):
        assert panel.anonymous.get("/v1/salesforce/deals/006X").status_code == 401
        wrong_audience = issuer.token("quote_to_cash:read", audience="quote_to_cash")
        response = panel.anonymous.get("/v1/salesforce/deals/006X",
                                       headers={"Authorization": f"Bearer {wrong_audience}"})
        assert response.status_code == 401


class TestStatusChange:
    """A blocked deal is resumed after the fix: the next panel request shows it completed, cache TTL or not."""

    def test_the_next_request_after_the_status_changes_sees_it(
            self, topology: Topology, panel: Panel, events: PanelEvents):
        sku = _sku("PRO-ANNUAL")
        deal = topology.win_deal([_line(sku)])
        blocked = topology.wait_for(f"activation:{deal}")
        assert (blocked["state"], blocked["business_status"]) == ("parked", "blocked_master_data")
        events.wait_handled(NEEDS_ATTENTION, f"activation:{deal}")

        first = panel.salesforce(deal).json()
        assert (first["finance_status"], first["tone"]) == ("blocked_master_data", "danger")
        [exception] = first["exceptions"]
        assert (exception["owner"], exception["step"], exception["technical_state"]) == (
            "finance_ops", "erp_items", "parked")
        assert sku in exception["reason"] and "resume" in exception["fix"]
        assert panel.salesforce(deal).json() == first  # served from the cache: same panel, same as_of

        card = panel.hubspot(panel.card_url(deal)).json()
        status, problem = card["results"]
        assert {p["label"]: p["value"] for p in status["properties"]}["Finance status"] == "Blocked: master data"
        assert {p["label"]: p["value"] for p in problem["properties"]}["Owner"] == "Finance ops"

        topology.item(sku)  # finance creates the item in NetSuite, then resumes
        assert idempotent_post(topology.process, f"/v1/workflows/activation:{deal}/resume").status_code == 202
        done = topology.wait_for(f"activation:{deal}", lambda w: w["state"] == "succeeded")
        assert done["business_status"] == "completed"
        for workflow in settle(topology, deal):
            events.wait_handled(COMPLETED, workflow)

        after = panel.salesforce(deal).json()
        assert (after["finance_status"], after["exceptions"]) == ("completed", [])
        assert after["as_of"] > first["as_of"]
        card = panel.hubspot(panel.card_url(deal)).json()
        assert [r["title"] for r in card["results"]] == ["Acme Corp — Completed"]


class TestHubSpotCard:
    def test_card_of_a_completed_deal_in_hubspots_shape(self, topology: Topology, panel: Panel, events: PanelEvents):
        sku = _sku("SEAT")
        topology.item(sku)
        deal = topology.win_deal([_line(sku)])
        done = topology.wait_for(f"activation:{deal}")
        assert done["state"] == "succeeded", done.get("exception")
        for workflow in settle(topology, deal):
            events.wait_handled(COMPLETED, workflow)

        card = panel.hubspot(panel.card_url(deal)).json()
        assert set(card) == {"results", "primaryAction"}
        [result] = card["results"]
        assert result["title"] == "Acme Corp — Completed"
        assert result["link"] == DEAL_PAGE.format(opportunity_id=deal)
        assert isinstance(result["objectId"], int)
        props = {p["label"]: p for p in result["properties"]}
        assert props["Finance status"] == {"label": "Finance status", "dataType": "STATUS", "value": "Completed",
                                           "optionType": "SUCCESS"}
        assert props["Subscription"]["value"] == done["external_ids"]["subscription_id"]
        assert props["Booked"] == {"label": "Booked", "dataType": "CURRENCY", "value": "5400.00",
                                   "currencyCode": "USD"}
        assert {"Billed", "Paid", "Recognised revenue", "Next invoice"} <= set(props)
        assert all(p["dataType"] == "CURRENCY" and p["currencyCode"] == "USD"
                   for label, p in props.items() if label in ("Billed", "Paid", "Recognised revenue"))
        assert card["primaryAction"] == {"type": "IFRAME", "uri": DEAL_PAGE.format(opportunity_id=deal),
                                         "label": "Open in revflow", "associatedObjectProperties": [],
                                         "width": 890, "height": 748}

    def test_a_record_that_is_not_a_deal_gets_an_empty_card(self, panel: Panel):
        for record_type in ("CONTACT", "COMPANY", "2-3456789"):  # a custom object's type id too
            response = panel.hubspot(panel.card_url("51", object_type=record_type))
            assert (response.status_code, response.json()) == (200, {"results": []}), record_type


class TestCors:
    def _preflight(self, panel: Panel, origin: str):
        return panel.anonymous.options("/v1/salesforce/deals/006X", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})

    def test_a_listed_crm_origin_may_call_from_the_browser(self, panel: Panel):
        response = self._preflight(panel, LIGHTNING)
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == LIGHTNING
        assert "GET" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()
        simple = panel.http.get("/v1/salesforce/deals/006NOSUCHDEAL0000", headers={"Origin": LIGHTNING})
        assert simple.headers["access-control-allow-origin"] == LIGHTNING

    def test_any_other_origin_is_refused(self, panel: Panel):
        for origin in ("https://evil.example", "https://acme-revflow.lightning.force.com.evil.example",
                       "https://other-org.lightning.force.com"):
            response = self._preflight(panel, origin)
            assert response.status_code >= 400, origin
            assert "access-control-allow-origin" not in response.headers, origin
            simple = panel.http.get("/v1/salesforce/deals/006NOSUCHDEAL0000", headers={"Origin": origin})
            assert "access-control-allow-origin" not in simple.headers, origin

"""Reconciliation over the whole chain: the books agree after activations, and each break at a vendor is found.

Deals are won in the Salesforce sandbox and activated through every system; then a person breaks something
behind revflow's back (deletes an invoice in NetSuite, bills in Stripe directly, touches the GL) and the
reconciliation run must list exactly that difference, with its cause and owner. Expected amounts are
computed here from the deal's lines (booked = sale price x quantity x months; the first invoice bills one
month in advance plus the one-time setup; revenue by relative SSP and actual days), never read from the
service under test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from tests.process.test_activation import largest_remainder, monthly_exact_days
from tests.process.topology import Topology, write

SEATS = {"sku": "REC-SEAT", "quantity": 10, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
         "end": "2025-12-31", "frequency": "monthly"}
SETUP = {"sku": "REC-SETUP", "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-01",
         "end": "2025-01-01", "frequency": "one_time"}
USAGE = {"sku": "REC-CALLS", "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "usage"}

BOOKED = SEATS["quantity"] * SEATS["sale"] * 12 + SETUP["sale"]
FIRST_INVOICE = SEATS["quantity"] * SEATS["sale"] + SETUP["sale"]
"""The subscription bills its first month in advance, with the one-time setup, when it starts."""


def _money(amount: int) -> dict[str, Any]:
    return {"amount_minor": amount, "currency": "USD"}


def activated(topology: Topology, lines: list[dict[str, Any]], **deal: Any) -> dict[str, Any]:
    """Win a deal and wait until its activation and every invoice sync it started have finished."""
    for line in lines:
        topology.item(line["sku"])
    opportunity = topology.win_deal(lines, **deal)
    done = topology.wait_for(f"activation:{opportunity}")
    assert done["state"] == "succeeded", done.get("exception")
    syncs = topology.process.get("/v1/workflows", params={"kind": "invoice_sync", "q": opportunity}).json()["data"]
    assert syncs, "the activation started no invoice sync"
    for row in syncs:
        sync = topology.wait_for(row["id"])
        assert sync["state"] == "succeeded", sync.get("exception")
    return done


def _reconcile(topology: Topology, **body: Any) -> dict[str, Any]:
    """Start a reconciliation run over the process API and read its report once it finished."""
    started = topology.process.post("/v1/reconciliations", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert started.status_code == 202, started.text
    run_id = started.json()["input"]["run_id"]
    assert started.headers["location"] == f"/v1/reconciliations/{run_id}"
    finished = topology.wait_for(started.json()["id"])
    assert finished["state"] == "succeeded", finished.get("exception")
    read = topology.process.get(f"/v1/reconciliations/{run_id}")
    assert read.status_code == 200, read.text
    return read.json()["report"]


def _differences(report: dict[str, Any], deal: str | None) -> list[tuple[Any, ...]]:
    return sorted((d["code"], d["owner"], d["explained"], d["amount"]["amount_minor"], tuple(d["systems"]),
                   d["document"]) for d in report["differences"] if d["deal"] == deal)


def _contract(report: dict[str, Any], deal: str) -> dict[str, Any]:
    [found] = [c for c in report["contracts"] if c["deal"] == deal]
    return found


def _first_invoice(done: dict[str, Any]) -> str:
    [invoice] = next(s for s in done["steps"] if s["name"] == "start_invoice_sync")["output"]["invoices"]
    return str(invoice)


def _post_journals(topology: Topology, entries: list[dict[str, Any]]) -> list[str]:
    """Journal entries posted to the ERP through its API (as period close does); their ERP ids."""
    return [write(topology.erp, "POST", "/v1/journal-entries", {
        "entry_date": e["entry_date"], "memo": e["memo"],
        "lines": [{k: line[k] for k in ("account", "side", "amount")} for line in e["lines"]]})["id"] for e in entries]


class TestBooksAgree:
    def test_activated_deals_differ_only_by_what_is_left_to_bill(self, topology: Topology):
        plain = activated(topology, [SEATS, SETUP])
        with_usage = activated(topology, [SEATS, SETUP, USAGE])
        deals = [plain["subject"], with_usage["subject"]]

        report = _reconcile(topology, deals=deals)

        assert (report["deals"], report["unexplained"], report["explained"], report["clean"]) == (2, 0, 2, True)
        assert report["as_of"] == datetime.now(UTC).strftime("%Y-%m")
        for deal in deals:
            # Eleven months of seats are still to be billed: timing, which billing ops can see coming.
            assert _differences(report, deal) == [
                ("unbilled_timing", "billing_ops", True, BOOKED - FIRST_INVOICE, ("crm", "billing"), None)]
            figures = _contract(report, deal)["figures"]
            # The 2025 term is recognised in full; billing has only begun, so the rest is a contract asset.
            assert {k: figures[k]["amount_minor"] for k in (
                "booked", "contracted", "billed", "usage_billed", "other_billed", "credited", "unbilled",
                "posted_to_erp", "billed_in_revenue", "recognized", "deferred", "contract_asset")} == {
                "booked": BOOKED, "contracted": BOOKED, "billed": FIRST_INVOICE, "usage_billed": 0, "other_billed": 0,
                "credited": 0,
                "unbilled": BOOKED - FIRST_INVOICE, "posted_to_erp": FIRST_INVOICE,
                "billed_in_revenue": FIRST_INVOICE, "recognized": BOOKED, "deferred": 0,
                "contract_asset": BOOKED - FIRST_INVOICE}
        [total] = report["totals"]
        assert (total["booked"], total["billed"], total["unbilled"]) == (
            _money(2 * BOOKED), _money(2 * FIRST_INVOICE), _money(2 * (BOOKED - FIRST_INVOICE)))

    def test_as_of_an_earlier_period_counts_only_what_the_systems_held_by_then(self, topology: Topology):
        done = activated(topology, [SEATS, SETUP])
        deal = done["subject"]

        report = _reconcile(topology, deals=[deal], as_of="2025-06")

        # By June 2025 nothing was billed yet (billing started this month): all of the booking is left to bill,
        # and revenue is the setup plus January to June of the seats, by relative SSP and actual days.
        seats, setup = largest_remainder(BOOKED, [Fraction(SEATS["quantity"] * SEATS["list"] * 12),
                                                  Fraction(SETUP["list"])])
        months = monthly_exact_days(seats, date(2025, 1, 1), date(2025, 12, 31))
        recognized = setup + sum(amount for month, amount in months.items() if month <= "2025-06")
        assert report["unexplained"] == 0
        assert _differences(report, deal) == [("unbilled_timing", "billing_ops", True, BOOKED, ("crm", "billing"),
                                               None)]
        figures = _contract(report, deal)["figures"]
        assert (figures["billed"], figures["recognized"], figures["contract_asset"], figures["deferred"]) == (
            _money(0), _money(recognized), _money(recognized), _money(0))

    def test_a_deal_starting_after_next_month_bills_only_its_setup_before_then(self, topology: Topology):
        # A deal won today for a year of seats from the first day of the month after next: billing must wait for
        # that day (Stripe holds the subscription in a trial ending then), so only the setup is billed at signing.
        today = datetime.now(UTC).date()
        start = date(today.year + (today.month + 1) // 12, (today.month + 1) % 12 + 1, 1)
        end = date(start.year + 1, start.month, 1) - timedelta(days=1)
        seats = {**SEATS, "start": start.isoformat(), "end": end.isoformat()}
        setup = {**SETUP, "start": start.isoformat(), "end": start.isoformat()}
        done = activated(topology, [seats, setup], close_date=today.isoformat())
        deal = done["subject"]

        subscription_id = done["external_ids"]["subscription_id"]
        [sub] = [s for s in topology.stripe_objects("subscription") if s["id"] == subscription_id]
        start_unix = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        assert (sub["status"], sub["trial_end"], sub["billing_cycle_anchor"]) == ("trialing", start_unix, start_unix)

        report = _reconcile(topology, deals=[deal])
        assert report["unexplained"] == 0
        assert _differences(report, deal) == [
            ("unbilled_timing", "billing_ops", True, BOOKED - SETUP["sale"], ("crm", "billing"), None)]
        figures = _contract(report, deal)["figures"]
        assert {k: figures[k]["amount_minor"] for k in ("booked", "billed", "unbilled", "posted_to_erp")} == {
            "booked": BOOKED, "billed": SETUP["sale"], "unbilled": BOOKED - SETUP["sale"],
            "posted_to_erp": SETUP["sale"]}


class TestBrokenAtTheVendor:
    def test_an_erp_invoice_deleted_in_netsuite_is_finance_ops_to_explain(self, topology: Topology):
        done = activated(topology, [SEATS, SETUP])
        deal, billing_invoice = done["subject"], _first_invoice(done)
        erp_invoice = topology.workflow(topology.workflow_id_of_invoice(billing_invoice))["external_ids"][
            "erp_invoice_id"]
        # Someone in finance deletes the invoice in NetSuite (and the payment applied to it first).
        for payment in topology.netsuite.records("customerPayment"):
            if any(a["doc"]["id"] == erp_invoice for a in payment["sublists"].get("apply", [])):
                gone = topology.netsuite.signed.request("DELETE", f"/record/v1/customerPayment/{payment['id']}")
                assert gone.status_code == 204, gone.text
        gone = topology.netsuite.signed.request("DELETE", f"/record/v1/invoice/{erp_invoice}")
        assert gone.status_code == 204, gone.text

        report = _reconcile(topology, deals=[deal])

        assert (report["unexplained"], report["explained"], report["clean"]) == (1, 1, False)
        assert _differences(report, deal) == sorted([
            ("erp_invoice_missing", "finance_ops", False, FIRST_INVOICE, ("billing", "erp"), billing_invoice),
            ("unbilled_timing", "billing_ops", True, BOOKED - FIRST_INVOICE, ("crm", "billing"), None)])
        [missing] = [d for d in report["differences"] if not d["explained"]]
        assert "deleted" in missing["cause"] and erp_invoice in missing["detail"] and erp_invoice in missing["fix"]
        assert _contract(report, deal)["figures"]["posted_to_erp"] == _money(0)

    def test_a_credit_memo_keyed_in_netsuite_is_missing_from_revenue(self, topology: Topology):
        done = activated(topology, [SEATS, SETUP])
        deal, billing_invoice = done["subject"], _first_invoice(done)
        erp_invoice = topology.workflow(topology.workflow_id_of_invoice(billing_invoice))["external_ids"][
            "erp_invoice_id"]
        # Finance credits the whole invoice in NetSuite's UI instead of through a credit in revflow.
        memo = topology.netsuite.signed.request("POST", f"/record/v1/invoice/{erp_invoice}/!transform/creditMemo",
                                                json_body={"memo": "Goodwill credit"})
        assert memo.status_code == 204, memo.text

        report = _reconcile(topology, deals=[deal])

        assert _differences(report, deal) == sorted([
            ("credit_not_in_revenue", "integration", False, FIRST_INVOICE, ("revrec", "erp"), None),
            ("unbilled_timing", "billing_ops", True, BOOKED - FIRST_INVOICE, ("crm", "billing"), None)])
        figures = _contract(report, deal)["figures"]
        assert (figures["credited"], figures["credited_in_erp"]) == (_money(0), _money(FIRST_INVOICE))

    def test_an_invoice_billed_in_stripe_behind_revflows_back_is_not_posted_nor_linked(self, topology: Topology):
        done = activated(topology, [SEATS, SETUP])
        deal, ids = done["subject"], done["external_ids"]
        extra = 12_345
        # Billing ops bills a one-off charge on the subscription straight in Stripe; revflow never hears of it.
        stripe = topology.stripe.http
        stripe.post("/v1/invoiceitems", data={"customer": ids["billing_customer_id"], "amount": extra,
                                              "currency": "usd", "subscription": ids["subscription_id"],
                                              "description": "Onboarding workshop"}).raise_for_status()
        draft = stripe.post("/v1/invoices", data={"customer": ids["billing_customer_id"],
                                                  "subscription": ids["subscription_id"],
                                                  "collection_method": "send_invoice", "days_until_due": 30,
                                                  "pending_invoice_items_behavior": "include"})
        invoice = draft.raise_for_status().json()["id"]
        stripe.post(f"/v1/invoices/{invoice}/finalize").raise_for_status()

        report = _reconcile(topology, deals=[deal])

        assert (report["unexplained"], report["explained"]) == (2, 1)
        assert _differences(report, deal) == sorted([
            ("invoice_not_posted", "integration", False, extra, ("billing", "erp"), invoice),
            ("invoice_not_linked", "integration", False, extra, ("billing", "revrec"), invoice),
            ("unbilled_timing", "billing_ops", True, BOOKED - FIRST_INVOICE, ("crm", "billing"), None)])
        causes = {d["code"]: d["cause"] for d in report["differences"]}
        assert causes["invoice_not_posted"] == "billing invoice not posted to the ERP"
        assert causes["invoice_not_linked"] == "invoice not linked to the revenue contract"
        figures = _contract(report, deal)["figures"]
        # The charge is on no product of the deal: billed, but outside the booking.
        assert (figures["billed"], figures["other_billed"], figures["posted_to_erp"], figures["billed_in_revenue"]) == (
            _money(FIRST_INVOICE + extra), _money(extra), _money(FIRST_INVOICE), _money(FIRST_INVOICE))


class TestReconciliationApi:
    def test_latest_is_the_last_finished_run_and_unknown_runs_are_not_found(self, topology: Topology):
        done = activated(topology, [SEATS, SETUP])
        first = _reconcile(topology, deals=[done["subject"]], as_of="2025-03")
        second = _reconcile(topology, deals=[done["subject"]], as_of="2025-04")
        assert (first["as_of"], second["as_of"]) == ("2025-03", "2025-04")
        latest = topology.process.get("/v1/reconciliations/latest")
        assert latest.status_code == 200
        assert (latest.json()["report"]["as_of"], latest.json()["state"]) == ("2025-04", "succeeded")
        missing = topology.process.get("/v1/reconciliations/no-such-run")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")

    def test_a_period_that_is_not_one_is_refused(self, topology: Topology):
        response = topology.process.post("/v1/reconciliations", json={"as_of": "2025-13"},
                                         headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"].endswith("as_of")


class TestGeneralLedger:
    """Runs last in the module: it closes revrec's periods up to March 2024 (no other deal of the module has any)."""

    def test_a_closed_period_agrees_with_the_gl_until_a_journal_goes_missing_or_one_is_added(self, topology: Topology):
        seats = {**SEATS, "sku": "GL-SEAT", "quantity": 5, "list": 10_000, "sale": 10_000, "start": "2024-03-01",
                 "end": "2025-02-28"}
        done = activated(topology, [seats], close_date="2024-03-01")
        # March 2024 recognises its days' share of the year; nothing was billed then, so it is unbilled revenue:
        # Dr contract asset, Cr revenue.
        march = monthly_exact_days(5 * 10_000 * 12, date(2024, 3, 1), date(2025, 2, 28))["2024-03"]
        if not any(r["fields"].get("acctNumber") == "1300" for r in topology.netsuite.records("account")):
            created = topology.netsuite.signed.request("POST", "/record/v1/account", json_body={
                "acctNumber": "1300", "acctName": "Contract Asset", "acctType": "OthCurrAsset"})
            assert created.status_code == 204, created.text
        # Period close, as finance runs it: lock March 2024 in revrec and post its journal entries to the ERP.
        write(topology.revrec, "POST", "/v1/periods/2024-03/close", None)
        entries = topology.revrec.get("/v1/periods/2024-03/journal-entries").json()["entries"]
        posted = _post_journals(topology, entries)

        agreed = _reconcile(topology)

        march_check = [c for c in agreed["ledger"] if c["period"] == "2024-03"]
        assert march_check == [{"period": "2024-03", "currency": "USD", "closed": True, "accounts": 2,
                                "revrec_debits": _money(march), "gl_debits": _money(march), "agrees": True}]
        assert _differences(agreed, None) == []
        assert _differences(agreed, done["subject"]) == [
            ("unbilled_timing", "billing_ops", True, 5 * 10_000 * 11, ("crm", "billing"), None)]

        # The journal is deleted in NetSuite: revrec's March entries are no longer in the GL.
        for journal in posted:
            gone = topology.netsuite.signed.request("DELETE", f"/record/v1/journalEntry/{journal}")
            assert gone.status_code == 204, gone.text
        missing = _reconcile(topology)
        assert _differences(missing, None) == [("gl_differs", "integration", False, march, ("revrec", "erp"), None)]
        [gap] = [d for d in missing["differences"] if d["deal"] is None]
        assert (gap["period"], gap["cause"]) == ("2024-03", "revrec journal entries of the period are not in the GL")

        # Re-posted, plus a journal someone keyed by hand on the revenue account: the GL differs by that one.
        _post_journals(topology, entries)
        _post_journals(topology, [{"entry_date": "2024-03-15", "memo": "Manual accrual", "lines": [
            {"account": {"number": "1300"}, "side": "debit", "amount": _money(1_000)},
            {"account": {"number": "4000"}, "side": "credit", "amount": _money(1_000)}]}])
        by_hand = _reconcile(topology)
        assert _differences(by_hand, None) == [("gl_differs", "finance_ops", False, 1_000, ("revrec", "erp"), None)]

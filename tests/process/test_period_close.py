"""Period close end to end: the books of a month are checked, posted to NetSuite once, and locked in revrec.

Two deals are won for January 2025; a third names a product the ERP does not know yet, so its activation
waits for finance. Closing January is held up while that exception is open, and nothing is posted. Once
finance creates the item and the activation completes, the close goes on: revrec recognises January, its
journal is posted to NetSuite (one summary entry, balanced: the month's revenue against the contract asset,
as nothing was billed by then), and the period is locked. Asking for the close again changes nothing.
February, asked for twice while NetSuite loses answers, closes once: still one journal. In March a journal
entered by hand makes the ledger differ from revrec, so reconciliation holds the lock; cancelling the close
reverses what it posted, and once the hand entry is reversed a new close locks March. May waits while April,
with entries, is open.
The tests of this module follow one book through the months, in order.
Expected revenue is computed here by hand from the deals (relative SSP, actual days, largest remainder).
"""

from __future__ import annotations

import uuid
from datetime import date
from fractions import Fraction

from tests.process.figures import largest_remainder, monthly_exact_days
from tests.process.topology import Topology


def _sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def _post(topology: Topology, path: str) -> dict:
    response = topology.process.post(path, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 202, response.text
    return response.json()


def _platform(sku: str, seats: int) -> dict:
    return {"sku": sku, "quantity": seats, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
            "frequency": "monthly"}


def _setup(sku: str) -> dict:
    return {"sku": sku, "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-01", "end": "2025-01-01",
            "frequency": "one_time"}


def _revenue(seats: int, with_setup: bool) -> dict[str, int]:
    """Monthly revenue of a deal of ``seats`` at 90.00 for 2025 (and a 1,500.00 setup on 1 January)."""
    price, ssp = seats * 9_000 * 12, [Fraction(seats * 10_000 * 12)]
    if with_setup:
        price, ssp = price + 150_000, [*ssp, Fraction(200_000)]
    shares = largest_remainder(price, ssp)
    months = monthly_exact_days(shares[0], date(2025, 1, 1), date(2025, 12, 31))
    if with_setup:
        months["2025-01"] += shares[1]
    return months


def _journals(topology: Topology, period: str) -> list[dict]:
    """NetSuite journal entries of a period, as (account number -> signed minor units) with their ids."""
    accounts = {a["id"]: a["fields"]["acctNumber"] for a in topology.netsuite.records("account")}
    found = []
    for journal in topology.netsuite.records("journalEntry"):
        if f"{period}-" not in (journal["fields"].get("memo") or ""):
            continue
        nets: dict[str, int] = {}
        for line in journal["sublists"]["line"]:
            signed = round(float(line.get("debit") or 0) * 100) - round(float(line.get("credit") or 0) * 100)
            number = accounts[line["account"]["id"]]
            nets[number] = nets.get(number, 0) + signed
        found.append({"id": journal["id"], "nets": nets})
    return found


def _manual_journal(topology: Topology, day: str, *, debit: str, credit: str, amount: int) -> None:
    """A journal an accountant enters in NetSuite's UI."""
    accounts = {a["fields"]["acctNumber"]: a["id"] for a in topology.netsuite.records("account")}
    response = topology.netsuite.signed.request("POST", "/record/v1/journalEntry", json_body={
        "tranDate": day, "memo": "Entered by hand", "line": {"items": [
            {"account": {"id": accounts[debit]}, "debit": amount / 100},
            {"account": {"id": accounts[credit]}, "credit": amount / 100}]}})
    assert response.status_code == 204, response.text


def _activate(topology: Topology, lines: list[dict]) -> str:
    deal = topology.win_deal(lines, close_date="2025-01-01")
    done = topology.wait_for(f"activation:{deal}")
    assert done["state"] in ("succeeded", "parked"), done.get("exception")
    return deal


class TestPeriodClose:
    def test_checklist_blocks_while_an_exception_is_open_then_the_month_posts_once_and_locks(
            self, topology: Topology):
        # Finance's chart of accounts in NetSuite has a contract-asset account (revenue recognised, not billed).
        created = topology.netsuite.signed.request("POST", "/record/v1/account", json_body={
            "acctNumber": "1300", "acctName": "Contract Asset", "acctType": "OthCurrAsset"})
        assert created.status_code == 204, created.text
        platform, setup, unknown = _sku("PLAT"), _sku("SETUP"), _sku("PLAT")
        topology.item(platform)
        topology.item(setup)
        _activate(topology, [_platform(platform, 10), _setup(setup)])
        _activate(topology, [_platform(platform, 3)])
        blocked = _activate(topology, [_platform(unknown, 4)])
        assert topology.workflow(f"activation:{blocked}")["business_status"] == "blocked_master_data"

        close = _post(topology, "/v1/periods/2025-01/close")
        assert close["id"] == "period_close:2025-01"
        parked = topology.wait_for(close["id"])
        assert (parked["state"], parked["business_status"]) == ("parked", "needs_attention")
        assert (parked["exception"]["owner"], parked["exception"]["code"]) == ("finance_ops", "close_checklist_open")
        assert f"activation:{blocked}" in parked["exception"]["reason"]
        status = topology.process.get("/v1/periods/2025-01").json()
        assert status["status"] == "needs_attention"
        items = {item["name"]: item for item in status["checklist"]}
        assert items["no_open_exceptions"]["ok"] is False
        assert any(f"activation:{blocked}" in entry for entry in items["no_open_exceptions"]["open"])
        assert _journals(topology, "2025-01") == []  # nothing reached the ledger while the close was held up
        assert topology.revrec.get("/v1/periods/2025-01/journal-entries").json()["closed"] is False

        # Finance creates the item and resumes the activation, then the close.
        topology.item(unknown)
        _post(topology, f"/v1/workflows/activation:{blocked}/resume")
        resumed = topology.wait_for(f"activation:{blocked}", lambda w: w["state"] in ("succeeded", "parked")
                                    and w["resumes"] == 1)
        assert resumed["state"] == "succeeded", resumed.get("exception")
        _post(topology, f"/v1/workflows/{close['id']}/resume")
        done = topology.wait_for(close["id"], lambda w: w["state"] in ("succeeded", "parked", "dead_lettered")
                                 and w["resumes"] == 1)
        assert done["state"] == "succeeded", done.get("exception")
        again = _post(topology, "/v1/periods/2025-01/close")  # asked again: the same close, nothing new
        assert (again["id"], again["state"]) == (close["id"], "succeeded")

        # January's revenue of the three deals, recognised and posted once as one balanced summary journal.
        january = sum(_revenue(seats, setup_line)["2025-01"] for seats, setup_line in ((10, True), (3, False),
                                                                                       (4, False)))
        assert [j["nets"] for j in _journals(topology, "2025-01")] == [{"1300": january, "4000": -january}]
        locked = topology.revrec.get("/v1/periods/2025-01/journal-entries").json()
        assert locked["closed"] is True
        status = topology.process.get("/v1/periods/2025-01").json()
        assert status["status"] == "closed"
        assert status["recognized"] == [{"amount_minor": january, "currency": "USD"}]
        assert list(status["journal_entries"].values()) == [j["id"] for j in _journals(topology, "2025-01")]
        assert {item["name"]: item["ok"] for item in status["checklist"]} == {
            "workflows_finished": True, "no_open_exceptions": True, "earlier_periods_closed": True,
            "reconciliation": True}
        # Reconciliation compared January's GL in NetSuite with revrec before the lock.
        reconciled = next(s for s in done["steps"] if s["name"] == "reconciliation")["output"]
        assert reconciled["ledger_periods"] == ["2025-01"]

    def test_a_close_started_twice_posts_its_journals_once_even_when_answers_are_lost(self, topology: Topology):
        # NetSuite commits journals but the answer is lost more often than not: every write is retried.
        topology.netsuite.faults({"seed": 7, "rules": [{"route": "journalEntry", "error_after_rate": 0.6}]})
        try:
            first = topology.process.post("/v1/periods/2025-02/close", headers={"Idempotency-Key": uuid.uuid4().hex})
            second = topology.process.post("/v1/periods/2025-02/close", headers={"Idempotency-Key": uuid.uuid4().hex})
            assert first.status_code == second.status_code == 202
            assert first.json()["id"] == second.json()["id"] == "period_close:2025-02"
            done = topology.wait_for("period_close:2025-02")
            lost = [f for f in topology.netsuite.injected() if f.get("error_after")]
        finally:
            topology.netsuite.clear_faults()
        assert lost, "no answer was lost: the test proved nothing"
        assert done["state"] == "succeeded", done.get("exception")
        february = sum(_revenue(seats, setup_line)["2025-02"] for seats, setup_line in ((10, True), (3, False),
                                                                                        (4, False)))
        assert [j["nets"] for j in _journals(topology, "2025-02")] == [{"1300": february, "4000": -february}]
        assert topology.revrec.get("/v1/periods/2025-02/journal-entries").json()["closed"] is True

    def test_a_ledger_difference_holds_the_lock_and_a_cancelled_close_reverses_its_journals(
            self, topology: Topology):
        march = sum(_revenue(seats, setup_line)["2025-03"] for seats, setup_line in ((10, True), (3, False),
                                                                                     (4, False)))
        _manual_journal(topology, "2025-03-15", debit="1000", credit="4000", amount=10_000)  # revenue by hand
        close = _post(topology, "/v1/periods/2025-03/close")
        parked = topology.wait_for(close["id"])
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "reconciliation"), parked["exception"]
        assert parked["exception"]["owner"] == "finance_ops" and "gl_differs" in parked["exception"]["reason"]
        assert topology.revrec.get("/v1/periods/2025-03/journal-entries").json()["closed"] is False
        items = {i["name"]: i["ok"] for i in topology.process.get("/v1/periods/2025-03").json()["checklist"]}
        assert items["reconciliation"] is False

        # Finance cancels the close: what it posted is reversed, and the month is open again.
        _post(topology, f"/v1/workflows/{close['id']}/cancel")
        cancelled = topology.wait_for(close["id"], lambda w: w["state"] in ("compensated", "succeeded"))
        assert cancelled["state"] == "compensated"
        assert sorted(j["nets"]["4000"] for j in _journals(topology, "2025-03")) == [-march, march]
        assert topology.process.get("/v1/periods/2025-03").json()["status"] == "cancelled"

        # The journal made by hand is reversed by hand; the month is closed again, as a new close.
        _manual_journal(topology, "2025-03-16", debit="4000", credit="1000", amount=10_000)
        again = _post(topology, "/v1/periods/2025-03/close")
        assert again["id"] == "period_close:2025-03:2"
        done = topology.wait_for(again["id"])
        assert done["state"] == "succeeded", done.get("exception")
        nets = sorted(j["nets"]["4000"] for j in _journals(topology, "2025-03"))
        assert nets == [-march, -march, march] and all(sum(j["nets"].values()) == 0
                                                         for j in _journals(topology, "2025-03"))
        assert topology.revrec.get("/v1/periods/2025-03/journal-entries").json()["closed"] is True

    def test_a_month_waits_for_the_open_month_before_it(self, topology: Topology):
        parked = topology.wait_for(_post(topology, "/v1/periods/2025-05/close")["id"])
        assert parked["state"] == "parked" and parked["exception"]["owner"] == "finance_ops"
        assert "close 2025-04 first" in parked["exception"]["reason"]
        assert _journals(topology, "2025-05") == []
        assert topology.revrec.get("/v1/periods/2025-04/journal-entries").json()["closed"] is False

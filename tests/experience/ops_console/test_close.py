"""Reconciliation and period close from the console, against the real process API and systems of record.

Finance starts a reconciliation; once the run finished the console shows it per pair of systems, with totals
and a drill-down to each contract. The period-close checklist is the process API's; finance (and nobody else)
may close the period. This module has its own chain: closing a period changes what later tests would see.
"""

from __future__ import annotations

import html
import time

import pytest

from tests.experience.ops_console.harness import Console, csrf_of, key_of

PERIOD = "2025-01"


@pytest.fixture(scope="module")
def deal(console: Console) -> str:
    return console.completed_deal()


def _latest_run(console: Console, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = console.topology.process.get("/v1/reconciliations/latest")
        if response.status_code == 200:
            return response.json()
        time.sleep(0.2)
    raise AssertionError("no reconciliation finished")


class TestReconciliation:
    def test_a_viewer_cannot_start_a_reconciliation(self, console: Console, deal: str):
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = browser.get("/close", params={"period": PERIOD}).text
            assert 'action="/reconciliations"' not in page
            refused = browser.post("/reconciliations", data={"csrf_token": csrf_of(page), "idempotency_key": "k" * 32})
            assert refused.status_code == 403
        assert console.topology.process.get("/v1/reconciliations/latest").status_code == 404

    def test_finance_reconciles_and_sees_the_run_per_system_pair_with_drill_down(self, console: Console, deal: str):
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get("/close", params={"period": PERIOD}).text
            assert "No reconciliation has finished yet." in page
            form = {"csrf_token": csrf_of(page), "idempotency_key": key_of(page), "as_of": PERIOD}
            started = browser.post("/reconciliations", data=form)
            assert (started.status_code, started.headers["location"]) == (303, f"/close?period={PERIOD}")
            run = _latest_run(console)
            page = html.unescape(browser.get("/close", params={"period": PERIOD}).text)
            report = run["report"]
            assert run["run_id"] in page and f"as of {PERIOD}" in page
            assert ("Clean" in page) == report["clean"]
            assert f"{report['unexplained']} unexplained" in page or report["clean"]
            [usd] = [t for t in report["totals"] if t["currency"] == "USD"]
            booked = usd["booked"]["amount_minor"]
            assert f"USD {booked // 100:,}.{booked % 100:02d}" in page
            for difference in report["differences"]:
                assert " / ".join(difference["systems"]) in page
            drill = browser.get(f"/close/contracts/{deal}")
            assert drill.status_code == 200
            [contract] = [c for c in report["contracts"] if c["deal"] == deal]
            price = contract["figures"]["contracted"]["amount_minor"]
            assert f"USD {price // 100:,}.{price % 100:02d}" in html.unescape(drill.text)
            assert browser.get("/close/contracts/006NOSUCHDEAL").status_code == 404


class TestPeriodClose:
    def test_the_checklist_is_the_process_checklist(self, console: Console, deal: str):
        status = console.topology.process.get(f"/v1/periods/{PERIOD}").json()
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = html.unescape(browser.get("/close", params={"period": PERIOD}).text)
        assert status["checklist"]
        for item in status["checklist"]:
            assert item["detail"] in page
        assert "Closing a period needs the Finance ops role." in page or status["status"] not in ("open", "cancelled")

    def test_only_finance_may_close_the_period(self, console: Console, deal: str):
        with console.browser() as browser:
            console.sign_in("billing", browser)
            page = browser.get("/close", params={"period": PERIOD}).text
            refused = browser.post(f"/periods/{PERIOD}/close", data={"csrf_token": csrf_of(page),
                                                                     "idempotency_key": "k" * 32})
            assert refused.status_code == 403
        assert console.topology.process.get(f"/v1/periods/{PERIOD}").json()["status"] == "open"
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get("/close", params={"period": PERIOD}).text
            assert f'action="/periods/{PERIOD}/close"' in page
            done = browser.post(f"/periods/{PERIOD}/close", data={"csrf_token": csrf_of(page),
                                                                  "idempotency_key": key_of(page)})
            assert done.status_code == 303
            status = console.topology.process.get(f"/v1/periods/{PERIOD}").json()
            assert status["status"] != "open" and status["workflow_id"] == f"period_close:{PERIOD}"
            shown = browser.get("/close", params={"period": PERIOD}).text
            assert f"Close of {PERIOD}: accepted." in html.unescape(shown) and status["workflow_id"] in shown

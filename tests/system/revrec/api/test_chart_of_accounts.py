"""Journal entries post to the company's own GL accounts (``REVFLOW_REVREC_GL_ACCOUNTS``), over real HTTP.

A year of service for USD 1,200.00 from 1 January 2024, invoiced in full on day one: January's entries are a
billing of 1,200.00 (receivable debited, contract liability credited) and a recognition of 31 of 2024's 366 days
(the book's default daily convention: 101.64; liability debited, revenue credited). Those figures are worked by
hand; what the test checks is which account numbers carry them.
"""

from __future__ import annotations

import pytest

from services.runtime.settings import from_env
from services.system.revrec.app import create_app
from services.system.revrec.settings import RevrecSettings
from tests.system.revrec.api.helpers import money, obligation, register_body

JANUARY = round(120_000 * 31 / 366)  # 10,164 minor units


def _nets(entries: list[dict]) -> dict[tuple[str, str], int]:
    """(account number, account name) -> debits minus credits over ``entries``."""
    nets: dict[tuple[str, str], int] = {}
    for entry in entries:
        for line in entry["lines"]:
            key = (line["account"]["number"], line["account"]["name"])
            nets[key] = nets.get(key, 0) + line["amount"]["amount_minor"] * (1 if line["side"] == "debit" else -1)
    return nets


def _january(api) -> dict[tuple[str, str], int]:
    cid = api.register(register_body(120_000, [obligation("o", 120_000, "2024-01-01", "2024-12-31")]))["contract"]["id"]
    billed = api.post(f"/contracts/{cid}/billings", {"id": "inv-1", "kind": "invoice", "document_date": "2024-01-01",
                                                     "amount": money(120_000)})
    assert billed.status_code == 201, billed.text
    response = api.get("/periods/2024-01/journal-entries")
    assert response.status_code == 200, response.text
    return _nets(response.json()["entries"])


def test_the_configured_numbers_carry_the_entries_and_the_rest_keep_the_default_chart(serve_book):
    api = serve_book(gl_accounts={"accounts_receivable": "11000", "revenue": "40100"})
    assert _january(api) == {("11000", "Accounts receivable"): 120_000,
                             ("2400", "Deferred revenue (contract liability)"): -(120_000 - JANUARY),
                             ("40100", "Revenue"): -JANUARY}


def test_the_default_chart_posts_the_receivable_to_1100(serve_book):
    assert _january(serve_book())[("1100", "Accounts receivable")] == 120_000


def test_the_chart_comes_from_the_environment():
    settings = from_env(RevrecSettings, "REVFLOW_REVREC_",
                        environ={"REVFLOW_REVREC_GL_ACCOUNTS": '{"accounts_receivable": "1150"}'})
    assert settings.gl_accounts == {"accounts_receivable": "1150"}


@pytest.mark.parametrize(("accounts", "reason"), [
    ({"receivables": "1100"}, r"unknown role\(s\) receivables"),
    ({"revenue": " "}, "an empty account number for revenue"),
])
def test_a_wrong_chart_refuses_to_start(accounts, reason):
    with pytest.raises(ValueError, match=reason):
        create_app(RevrecSettings(gl_accounts=accounts))


class TestWhatTheErpGets:
    """``target=erp``: the ERP posts the invoice (Dr receivable / Cr deferred revenue) and the payment itself.

    The same USD 1,200.00 year from 1 January 2024, now invoiced on 1 February and paid on 15 February. January
    recognises JANUARY before anything is billed, so it sits in the contract asset; February's invoice relieves
    that asset and defers the rest. Worked by hand: in February the book has a billing (Dr receivable 120,000 /
    Cr contract asset JANUARY / Cr deferred revenue 120,000 - JANUARY), a recognition and a collection (Dr cash /
    Cr receivable 120,000). The ERP's invoice already credited deferred revenue with all 120,000, so the GL needs
    only the asset share moved (Dr deferred revenue JANUARY / Cr contract asset JANUARY) and the recognition.
    """

    @staticmethod
    def _book(api) -> None:
        cid = api.register(register_body(120_000, [obligation("o", 120_000, "2024-01-01", "2024-12-31")]))[
            "contract"]["id"]
        for doc, kind, on in (("inv-1", "invoice", "2024-02-01"), ("pay-1", "payment", "2024-02-15")):
            linked = api.post(f"/contracts/{cid}/billings", {"id": doc, "kind": kind, "document_date": on,
                                                             "amount": money(120_000)})
            assert linked.status_code == 201, linked.text

    @staticmethod
    def _entries(api, period: str, **params: str) -> list[dict]:
        response = api.get(f"/periods/{period}/journal-entries", **params)
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    def test_billing_and_collection_leave_only_the_contract_asset_share(self, serve_book):
        api = serve_book()
        self._book(api)
        book = self._entries(api, "2024-02")
        erp = self._entries(api, "2024-02", target="erp")
        assert _nets(book)[("1000", "Cash")] == 120_000, "the book itself is unchanged"
        recognition = [e for e in book if e["id"].endswith("-recognition")]
        assert [e for e in erp if e["id"].endswith("-recognition")] == recognition
        reclass = [e for e in erp if not e["id"].endswith("-recognition")]
        assert _nets(reclass) == {("2400", "Deferred revenue (contract liability)"): JANUARY,
                                  ("1300", "Contract asset (unbilled revenue)"): -JANUARY}
        assert not {number for number, _ in _nets(erp)} & {"1000", "1100"}, "no receivable or cash line"

    def test_january_recognition_reaches_the_erp_unchanged(self, serve_book):
        api = serve_book()
        self._book(api)
        assert self._entries(api, "2024-01", target="erp") == self._entries(api, "2024-01")
        assert _nets(self._entries(api, "2024-01", target="erp")) == {
            ("1300", "Contract asset (unbilled revenue)"): JANUARY, ("4000", "Revenue"): -JANUARY}

    def test_an_unknown_target_is_a_problem_naming_the_parameter(self, serve_book):
        response = serve_book().get("/periods/2024-01/journal-entries", target="ledger")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "target"

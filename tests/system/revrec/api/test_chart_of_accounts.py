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

"""SuiteQL sees every write at once, though its tables are reused between writes.

Over HTTP: a query run before a create, update, delete, payment, restore or reset, and again after it, answers
the new state; a refused write changes no answer. In process: rows a query returned and tables it read are
never changed by a later write, and the statuses and amounts the tables index in one pass equal the ones the
record service computes record by record.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from sandboxes.netsuite.records import Ledger, NetSuiteState, derived, ops
from sandboxes.netsuite.suiteql import build_tables, execute, parse
from tests.sandboxes.netsuite.signing import NetSuiteHttp


def _created(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def _rows(ns: NetSuiteHttp, query: str) -> list[dict[str, Any]]:
    response = ns.suiteql(query)
    assert response.status_code == 200, response.text
    return [{k: v for k, v in item.items() if k != "links"} for item in response.json()["items"]]


CUSTOMERS = "SELECT id, companyname FROM customer ORDER BY id"


class TestQueriesSeeWrites:
    def test_create_update_and_delete(self, ns: NetSuiteHttp) -> None:
        assert _rows(ns, CUSTOMERS) == []
        first = _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme"}))
        assert _rows(ns, CUSTOMERS) == [{"id": first, "companyname": "Acme"}]
        second = _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Globex"}))
        assert _rows(ns, CUSTOMERS) == [{"id": first, "companyname": "Acme"}, {"id": second, "companyname": "Globex"}]
        _created(ns.request("PATCH", f"/record/v1/customer/{first}", json_body={"companyName": "Acme Corp"}))
        assert _rows(ns, CUSTOMERS) == [{"id": first, "companyname": "Acme Corp"},
                                        {"id": second, "companyname": "Globex"}]
        assert ns.request("DELETE", f"/record/v1/customer/{first}").status_code == 204
        assert _rows(ns, CUSTOMERS) == [{"id": second, "companyname": "Globex"}]

    def test_refused_write_changes_no_answer(self, ns: NetSuiteHttp) -> None:
        ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme", "externalId": "A"})
        other = _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Globex"}))
        before = _rows(ns, "SELECT id, companyname, externalid FROM customer ORDER BY id")
        refused = ns.request("PATCH", f"/record/v1/customer/{other}", json_body={"companyName": "Taken",
                                                                                 "externalId": "A"})
        assert refused.status_code == 400
        assert _rows(ns, "SELECT id, companyname, externalid FROM customer ORDER BY id") == before
        assert ns.request("GET", f"/record/v1/customer/{other}").json()["companyName"] == "Globex"

    def test_payment_changes_the_invoice_status_and_remaining_amount(self, ns: NetSuiteHttp) -> None:
        customer = _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme"}))
        item = _created(ns.request("POST", "/record/v1/serviceSaleItem", json_body={"itemId": "S", "basePrice": 50}))
        order = _created(ns.request("POST", "/record/v1/salesOrder", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": item}, "quantity": 4}]}}))
        query = ("SELECT id, status, foreignamountremaining, BUILTIN.DF(status) AS shown FROM transaction "
                 "ORDER BY id")
        assert _rows(ns, query) == [{"id": order, "status": "F", "shown": "Sales Order : Pending Billing"}]
        invoice = _created(ns.request("POST", f"/record/v1/salesOrder/{order}/!transform/invoice", json_body={}))
        assert _rows(ns, query) == [
            {"id": order, "status": "G", "shown": "Sales Order : Billed"},
            {"id": invoice, "status": "A", "foreignamountremaining": "200", "shown": "Invoice : Open"}]
        _created(ns.request("POST", "/record/v1/customerPayment", json_body={
            "customer": {"id": customer}, "payment": 200,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 200}]}}))
        rows = {row["id"]: row for row in _rows(ns, query)}
        assert rows[invoice] == {"id": invoice, "status": "B", "foreignamountremaining": "0",
                                 "shown": "Invoice : Paid In Full"}

    def test_restore_and_reset(self, ns: NetSuiteHttp, admin: httpx.Client) -> None:
        first = _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme"}))
        saved = admin.get("/__sandbox/snapshot").raise_for_status().json()
        _created(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Later"}))
        assert len(_rows(ns, CUSTOMERS)) == 2
        admin.post("/__sandbox/restore", json=saved).raise_for_status()
        assert _rows(ns, CUSTOMERS) == [{"id": first, "companyname": "Acme"}]
        admin.post("/__sandbox/reset").raise_for_status()
        assert _rows(ns, CUSTOMERS) == []


def _story(state: NetSuiteState) -> dict[str, dict[str, Any]]:
    """Two customers' orders, invoices, payments (one line not applied) and credit memos."""

    def make(rtype: str, body: dict[str, Any]) -> dict[str, Any]:
        return ops.create(state, rtype, body, strict=True)

    item = make("serviceSaleItem", {"itemId": "S", "basePrice": 100})
    made: dict[str, dict[str, Any]] = {}
    for name in ("a", "b"):
        customer = make("customer", {"companyName": name})
        lines = {"items": [{"item": {"id": item["id"]}, "quantity": 3}]}
        made[f"{name}-order"] = order = make("salesOrder", {"entity": {"id": customer["id"]}, "item": lines})
        made[f"{name}-unbilled"] = make("salesOrder", {"entity": {"id": customer["id"]}, "item": lines})
        made[f"{name}-invoice"] = invoice = ops.transform(state, order, "invoice", {}, strict=True)
        made[f"{name}-spare"] = make("invoice", {"entity": {"id": customer["id"]}, "item": lines})
        made[f"{name}-payment"] = make("customerPayment", {"customer": {"id": customer["id"]}, "payment": 150,
                                                           "apply": {"items": [
                                                               {"doc": {"id": invoice["id"]}, "amount": 100},
                                                               {"doc": {"id": made[f"{name}-spare"]["id"]},
                                                                "apply": False, "amount": 50}]}})
    made["credit"] = ops.transform(state, made["b-invoice"], "creditMemo", {
        "item": {"items": [{"item": {"id": item["id"]}, "quantity": 2}]}}, strict=True)
    made["settle"] = make("customerPayment", {"customer": {"id": made["a-invoice"]["fields"]["entity"]["id"]},
                                              "payment": 200,
                                              "apply": {"items": [{"doc": {"id": made["a-invoice"]["id"]}}]}})
    return made


class TestSharedTables:
    def test_ledger_computes_what_the_record_service_computes(self) -> None:
        state = NetSuiteState()
        made = _story(state)
        ledger = Ledger(state)
        records = [r for bucket in state.records.values() for r in bucket.values()]
        assert [ledger.derived(r) for r in records] == [derived(state, r) for r in records]
        # The story covers every status a transaction can take here.
        statuses = {(r["type"], derived(state, r)["status"]["id"]) for r in made.values()}
        assert statuses >= {("salesOrder", "F"), ("salesOrder", "G"), ("invoice", "A"), ("invoice", "B"),
                            ("customerPayment", "B"), ("creditMemo", "B")}

    def test_rows_and_tables_a_query_read_are_not_changed_by_later_writes(self) -> None:
        state = NetSuiteState()
        made = _story(state)
        query = parse("SELECT t.id, t.status, t.foreignamountremaining, c.companyname FROM transaction t "
                      "JOIN customer c ON t.entity = c.id ORDER BY t.id")
        tables = build_tables(state)
        rows = execute(query, tables)
        kept_rows, kept_tables = copy.deepcopy(rows), copy.deepcopy({k: t.rows for k, t in tables.items()})
        customer = state.get("customer", made["b-invoice"]["fields"]["entity"]["id"])
        ops.update(state, customer, {"companyName": "renamed"}, strict=True)
        renamed = execute(query, build_tables(state))
        assert {row["companyname"] for row in renamed} == {"a", "renamed"}
        ops.create(state, "customerPayment", {"customer": {"id": customer["id"]}, "payment": 100,
                                              "apply": {"items": [{"doc": {"id": made["b-spare"]["id"]}}]}},
                   strict=True)
        paid = {row["id"]: row for row in execute(query, build_tables(state))}
        assert paid[int(made["b-spare"]["id"])]["foreignamountremaining"] == 200
        assert rows == kept_rows
        assert {k: t.rows for k, t in tables.items()} == kept_tables
        assert [row["companyname"] for row in kept_rows].count("renamed") == 0

    def test_tables_are_rebuilt_after_every_kind_of_write(self) -> None:
        state = NetSuiteState()
        made = _story(state)
        names = parse("SELECT companyname FROM customer ORDER BY id")
        assert execute(names, build_tables(state)) == [{"companyname": "a"}, {"companyname": "b"}]
        ops.delete(state, made["credit"])
        credited = parse(f"SELECT foreignamountremaining AS due FROM transaction WHERE id = {made['b-invoice']['id']}")
        assert execute(credited, build_tables(state)) == [{"due": 200}]
        state.reset()
        assert execute(names, build_tables(state)) == []

"""The SuiteQL tables, projected from the record store (each once per version of its records, then reused).

Tables: ``customer``, ``item``, ``account``, ``transaction`` (``type`` ``SalesOrd``, ``CustInvc``,
``CustCred``, ``CustPymt``, ``Journal``) and ``transactionline``. Ids and references are integers,
checkboxes ``'T'``/``'F'``, amounts exact decimals, dates dates.

NetSuite quirks kept on purpose, so a connector written against the sandbox works against NetSuite:
every transaction has a main line (``mainline = 'T'``, ``linesequencenumber = 0``) besides its item lines;
on sales orders and invoices the item lines' ``quantity``, ``netamount`` and ``foreignamount`` are
negative (they credit income), on credit memos positive; journal lines carry their account in
``expenseaccount`` and their amounts in ``debitforeignamount`` / ``creditforeignamount``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..records import RECORD_TYPES, Ledger, NetSuiteState
from .evaluate import Table

__all__ = ["build_tables"]

_TF = {True: "T", False: "F"}
_STATUS_TITLES = {"SalesOrd": "Sales Order", "CustInvc": "Invoice", "CustCred": "Credit Memo",
                  "CustPymt": "Payment", "Journal": "Journal"}


def _id(ref: Any) -> int | None:
    return int(ref["id"]) if isinstance(ref, dict) and str(ref.get("id", "")).isdigit() else None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _day(value: Any) -> date | None:
    return None if not value else date.fromisoformat(str(value)[:10])


def _customers(state: NetSuiteState) -> Table:
    rows = []
    for r in state.records["customer"].values():
        f = r["fields"]
        rows.append({"id": int(r["id"]), "entityid": f.get("entityId") or f.get("companyName"),
                     "companyname": f.get("companyName"), "firstname": f.get("firstName"),
                     "lastname": f.get("lastName"), "email": f.get("email"), "phone": f.get("phone"),
                     "externalid": f.get("externalId"), "isinactive": _TF[bool(f.get("isInactive"))],
                     "isperson": _TF[bool(f.get("isPerson"))], "subsidiary": _id(f.get("subsidiary")),
                     "currency": _id(f.get("currency")), "terms": _id(f.get("terms")),
                     "comments": f.get("comments"), "datecreated": _day(r["created"]),
                     "lastmodifieddate": _day(r["modified"])})
    return Table("customer", _columns("customer"), rows)


def _items(state: NetSuiteState) -> Table:
    rows = []
    for rtype, spec in RECORD_TYPES.items():
        if spec.table != "item":
            continue
        for r in state.records[rtype].values():
            f = r["fields"]
            rows.append({"id": int(r["id"]), "itemid": f.get("itemId"), "displayname": f.get("displayName"),
                         "description": f.get("description"), "salesdescription": f.get("salesDescription"),
                         "itemtype": spec.code, "isinactive": _TF[bool(f.get("isInactive"))],
                         "externalid": f.get("externalId"), "incomeaccount": _id(f.get("incomeAccount")),
                         "deferredrevenueaccount": _id(f.get("deferredRevenueAccount")),
                         "baseprice": _dec(f.get("basePrice")), "createddate": _day(r["created"]),
                         "lastmodifieddate": _day(r["modified"])})
    rows.sort(key=lambda row: row["id"])
    return Table("item", _columns("item"), rows)


def _accounts(state: NetSuiteState) -> Table:
    rows = []
    for r in state.records["account"].values():
        f = r["fields"]
        name = f"{f.get('acctNumber') or ''} {f.get('acctName') or ''}".strip()
        rows.append({"id": int(r["id"]), "acctnumber": f.get("acctNumber"), "accountsearchdisplayname": name,
                     "fullname": f.get("acctName"), "accttype": f.get("acctType"),
                     "isinactive": _TF[bool(f.get("isInactive"))], "externalid": f.get("externalId"),
                     "description": f.get("description")})
    return Table("account", _columns("account"), rows)


_COLUMNS = {
    "customer": ("id", "entityid", "companyname", "firstname", "lastname", "email", "phone", "externalid",
                 "isinactive", "isperson", "subsidiary", "currency", "terms", "comments", "datecreated",
                 "lastmodifieddate"),
    "item": ("id", "itemid", "displayname", "description", "salesdescription", "itemtype", "isinactive",
             "externalid", "incomeaccount", "deferredrevenueaccount", "baseprice", "createddate",
             "lastmodifieddate"),
    "account": ("id", "acctnumber", "accountsearchdisplayname", "fullname", "accttype", "isinactive",
                "externalid", "description"),
    "transaction": ("id", "tranid", "type", "recordtype", "trandate", "entity", "memo", "externalid", "status",
                    "foreigntotal", "foreignamountremaining", "currency", "subsidiary", "otherrefnum", "duedate",
                    "startdate", "enddate", "createdfrom", "createddate", "lastmodifieddate"),
    "transactionline": ("id", "transaction", "linesequencenumber", "uniquekey", "mainline", "taxline", "item",
                        "quantity", "rate", "netamount", "foreignamount", "memo", "entity", "createdfrom",
                        "expenseaccount", "debitforeignamount", "creditforeignamount"),
}


def _columns(name: str) -> tuple[str, ...]:
    return _COLUMNS[name]


def _transactions(state: NetSuiteState) -> tuple[Table, Table, dict[tuple[str, str], str]]:
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    statuses: dict[tuple[str, str], str] = {}
    ledger = Ledger(state)
    for rtype, spec in RECORD_TYPES.items():
        if spec.table != "transaction":
            continue
        for r in state.records[rtype].values():
            f = r["fields"]
            computed = ledger.derived(r)
            status = computed.get("status", {})
            statuses[(spec.code or "", status.get("id", ""))] = status.get("refName", "")
            entity = _id(f.get("entity") or f.get("customer"))
            remaining = computed.get("amountRemaining")
            heads.append({"id": int(r["id"]), "tranid": f.get("tranId"), "type": spec.code,
                          "recordtype": rtype.lower(), "trandate": _day(f.get("tranDate")), "entity": entity,
                          "memo": f.get("memo"), "externalid": f.get("externalId"), "status": status.get("id"),
                          "foreigntotal": _dec(f.get("total")), "foreignamountremaining": _dec(remaining),
                          "currency": _id(f.get("currency")), "subsidiary": _id(f.get("subsidiary")),
                          "otherrefnum": f.get("otherRefNum"), "duedate": _day(f.get("dueDate")),
                          "startdate": _day(f.get("startDate")), "enddate": _day(f.get("endDate")),
                          "createdfrom": _id(f.get("createdFrom")), "createddate": _day(r["created"]),
                          "lastmodifieddate": _day(r["modified"])})
            lines += _lines(r, spec.code or "", entity, heads[-1])
    heads.sort(key=lambda row: row["id"])
    return Table("transaction", _columns("transaction"), heads), Table(
        "transactionline", _columns("transactionline"), lines), statuses


def _lines(record: dict[str, Any], code: str, entity: int | None, head: dict[str, Any]) -> list[dict[str, Any]]:
    tid = int(record["id"])
    base = {"transaction": tid, "taxline": "F", "entity": entity, "createdfrom": head["createdfrom"], "item": None,
            "quantity": None, "rate": None, "memo": None, "expenseaccount": None, "debitforeignamount": None,
            "creditforeignamount": None}
    total = head["foreigntotal"]
    rows = [{**base, "id": 0, "linesequencenumber": 0, "uniquekey": tid * 1000, "mainline": "T",
             "netamount": total, "foreignamount": total, "memo": head["memo"]}]
    sign = Decimal(-1) if code in ("SalesOrd", "CustInvc") else Decimal(1)
    for line in record["sublists"].get("item", []):
        n = int(line["line"])
        rows.append({**base, "id": n, "linesequencenumber": n, "uniquekey": tid * 1000 + n, "mainline": "F",
                     "item": _id(line.get("item")), "quantity": sign * _dec(line.get("quantity")),
                     "rate": _dec(line.get("rate")), "netamount": sign * _dec(line.get("amount")),
                     "foreignamount": sign * _dec(line.get("amount")), "memo": line.get("description")})
    for line in record["sublists"].get("line", []):
        n = int(line["line"])
        debit, credit = _dec(line.get("debit")), _dec(line.get("credit"))
        amount = (debit or 0) - (credit or 0)
        rows.append({**base, "id": n, "linesequencenumber": n, "uniquekey": tid * 1000 + n, "mainline": "F",
                     "expenseaccount": _id(line.get("account")), "debitforeignamount": debit,
                     "creditforeignamount": credit, "netamount": amount, "foreignamount": amount,
                     "memo": line.get("memo"), "entity": _id(line.get("entity"))})
    return rows


def build_tables(state: NetSuiteState) -> Mapping[str, Table]:
    """Every SuiteQL table as the state stands now, with display names for ``BUILTIN.DF``.

    Each table is built when a query first names it, and kept until records of its family change: a query of
    items after a sales order was written does not project every transaction again. Tables are shared by the
    queries, so they are read-only: a query builds its own result rows.
    """
    return _Tables(state)


class _Tables(Mapping[str, Table]):
    """The tables of one state, built lazily per family version; each read once stays the same for this view."""

    NAMES = ("customer", "item", "account", "transaction", "transactionline")

    def __init__(self, state: NetSuiteState) -> None:
        self.state = state
        self._read: dict[str, Table] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)

    def __getitem__(self, name: str) -> Table:
        if name not in self._read:
            self._read[name] = self._current(name)
        return self._read[name]

    def _current(self, name: str) -> Table:
        if name == "customer":
            return self._customers()[0]
        if name == "account":
            return self._accounts()[0]
        if name == "item":
            items, _ = self._items()
            accounts = self._accounts()[1]
            items.displays = {"incomeaccount": accounts, "deferredrevenueaccount": accounts}
            return items
        if name in ("transaction", "transactionline"):
            heads, lines, statuses, transactions = self._transactions()
            customers = self._customers()[1]

            def status_name(row: dict[str, Any]) -> str | None:
                found = statuses.get((row["type"], row["status"]))
                return f"{_STATUS_TITLES[row['type']]} : {found}" if found else None

            heads.displays = {"entity": customers, "createdfrom": transactions, "status": status_name}
            lines.displays = {"entity": customers, "item": self._items()[1], "expenseaccount": self._accounts()[1],
                              "transaction": transactions, "createdfrom": transactions}
            return heads if name == "transaction" else lines
        raise KeyError(name)

    def _cached(self, family: str, build: Callable[[], Any]) -> Any:
        stamp = self.state.stamp(family)
        held = self.state.memo.get(f"suiteql:{family}")
        if held is None or held[0] != stamp:
            held = (stamp, build())
            self.state.memo[f"suiteql:{family}"] = held
        return held[1]

    def _customers(self) -> tuple[Table, dict[int, Any]]:
        def build() -> tuple[Table, dict[int, Any]]:
            table = _customers(self.state)
            return table, {row["id"]: row["entityid"] for row in table.rows}
        return self._cached("entity", build)

    def _items(self) -> tuple[Table, dict[int, Any]]:
        def build() -> tuple[Table, dict[int, Any]]:
            table = _items(self.state)
            return table, {row["id"]: row["itemid"] for row in table.rows}
        return self._cached("item", build)

    def _accounts(self) -> tuple[Table, dict[int, Any]]:
        def build() -> tuple[Table, dict[int, Any]]:
            table = _accounts(self.state)
            return table, {row["id"]: row["accountsearchdisplayname"] for row in table.rows}
        return self._cached("account", build)

    def _transactions(self) -> tuple[Table, Table, dict[tuple[str, str], str], dict[int, str]]:
        def build() -> tuple[Table, Table, dict[tuple[str, str], str], dict[int, str]]:
            heads, lines, statuses = _transactions(self.state)
            names = {row["id"]: f"{_STATUS_TITLES.get(row['type'], '')} #{row['tranid']}" for row in heads.rows}
            return heads, lines, statuses, names
        return self._cached("transaction", build)

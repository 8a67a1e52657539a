"""Opportunities created through the CRM API, the Salesforce way: an order booked outside the CRM becomes a deal.

Every step is safe to repeat, so a retry (the same Idempotency-Key again, or one after Salesforce committed but
its answer was lost) finds what an earlier attempt left and completes it:

1. The Account by its ``Revflow_Id__c`` (revflow's business key); an unknown key is refused (422 on
   ``customer_id``).
2. A standard price book entry per SKU in the deal's currency: the org's active entry of the product with that
   ``ProductCode``. When the org has none, the product (the org's, else one upserted by ``Revflow_Id__c`` = the SKU)
   gets an entry in the standard book at the line's list price. A line item's list price is its entry's
   (``ListPrice`` is read-only), so a line listing the SKU at another price is refused (422) rather than booked at
   a price nobody sent.
3. The Opportunity, upserted by ``Revflow_Id__c`` (revflow's key) at an open stage, so the org's closed-won
   Outbound Message cannot go out before the lines exist; in a multi-currency org, in the deal's currency
   (``CurrencyIsoCode``, which its lines and their entries share). A single-currency org books its own currency only.
4. The missing line items, inserted all-or-none with ``Revflow_Id__c`` = ``<key>#<n>``: the field is unique, so a
   line inserted again (a retried insert whose answer was lost, a concurrent request) is refused by Salesforce
   (``DUPLICATE_VALUE``) instead of duplicated, and only the lines still missing are inserted.
5. ``StageName`` last: ``Closed Won`` fires the workflow rule's Outbound Message with every line in place, and
   the pull finds the deal like any other won deal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.deals import DealLine, Opportunity, OpportunityStage
from services.runtime.problems import ServiceError
from services.system.crm.connectors._shared import decimal_text, line_keys
from services.system.crm.connectors.salesforce._mapping import FREQUENCIES
from services.system.crm.connectors.salesforce._wire import SalesforceApi, refusal_of, soql_text
from services.system.crm.errors import OpportunityRefused, VendorRefused

__all__ = ["STAGE_NAMES", "OpportunityWriter"]

EXTERNAL_ID = "Revflow_Id__c"
CURRENCY = "CurrencyIsoCode"
STAGE_NAMES = {OpportunityStage.PROSPECTING: "Prospecting", OpportunityStage.QUALIFICATION: "Qualification",
               OpportunityStage.PROPOSAL: "Proposal/Price Quote", OpportunityStage.NEGOTIATION: "Negotiation/Review",
               OpportunityStage.CLOSED_WON: "Closed Won", OpportunityStage.CLOSED_LOST: "Closed Lost"}
"""Canonical stage -> the org's stage name a new deal is given."""
OPEN_STAGE = STAGE_NAMES[OpportunityStage.NEGOTIATION]
"""Where a deal booked closed waits while its lines are inserted."""
_FREQUENCY_NAMES = {canonical: name for name, canonical in FREQUENCIES.items()}
_ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
_BATCH = 200  # records per sObject collection call


def _amount(money: Any) -> Decimal:
    return Decimal(decimal_text(money))


def _and(conditions: dict[str, str]) -> str:
    return "".join(f" AND {field} = {soql_text(value)}" for field, value in conditions.items())


def _first_error(results: Any) -> dict[str, Any] | None:
    """The error that failed an all-or-none collection call (not the ``rolled back`` of the others)."""
    errors = [e for r in results or [] if not r.get("success") for e in r.get("errors") or []]
    return next((e for e in errors if e.get("statusCode") != _ROLLED_BACK), errors[0] if errors else None)


class OpportunityWriter:
    """Creates one opportunity with its lines (see the module docstring).

    Args:
        api: The Salesforce REST client.
        currencies: The currencies the org books (its active ones; a single-currency org's own).
        line_columns: The optional line fields the org has (``Service_End_Date__c``, ``Billing_Frequency__c``).
        multi_currency: Whether records carry ``CurrencyIsoCode``.
    """

    def __init__(self, api: SalesforceApi, currencies: tuple[str, ...], line_columns: tuple[str, ...], *,
                 multi_currency: bool) -> None:
        self.api, self.currencies, self.line_columns = api, currencies, line_columns
        self.multi_currency = multi_currency

    async def create(self, key: str, opportunity: Opportunity) -> tuple[str, bool]:
        """The opportunity's id, and whether this call created it."""
        if opportunity.currency not in self.currencies:
            raise OpportunityRefused(f"The Salesforce org books in {', '.join(self.currencies)} only, not "
                                     f"{opportunity.currency}.", field="currency", code="currency_unsupported")
        currency = {CURRENCY: opportunity.currency} if self.multi_currency else {}
        account_id = await self._account(opportunity.customer_id)
        found = await self._existing(key)
        keys = line_keys(key, len(opportunity.lines))
        present = await self._present(found["Id"]) if found else set()
        target = STAGE_NAMES[opportunity.stage]
        if found is not None:
            if found["AccountId"] != account_id:
                raise ServiceError(f"Opportunity {found['Id']} already has the revflow id {key!r}, for another "
                                   "account.", slug="conflict", code="opportunity_key_taken", retryable=False,
                                   owner="integration")
            if found["StageName"] == target and present.issuperset(keys):
                return str(found["Id"]), False
        book, entries = await self._entries(opportunity.lines, currency)
        stage = found["StageName"] if found else (OPEN_STAGE if opportunity.stage.is_closed else target)
        opportunity_id = str(found["Id"]) if found else await self._upsert("Opportunity", key, {
            "Name": opportunity.name, "AccountId": account_id, "StageName": stage,
            "CloseDate": opportunity.close_date.isoformat(), "Pricebook2Id": book, **currency})
        await self._insert_lines(opportunity_id, opportunity.lines,
                                 [(i, k) for i, k in enumerate(keys) if k not in present], entries)
        if stage != target:
            await self.api.update("Opportunity", opportunity_id, {"StageName": target})
        return opportunity_id, found is None

    async def _account(self, key: str) -> str:
        records = await self.api.query(f"SELECT Id FROM Account WHERE {EXTERNAL_ID} = {soql_text(key)}")
        if not records:
            raise OpportunityRefused(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                                     field="customer_id", code="account_missing")
        return str(records[0]["Id"])

    async def _existing(self, key: str) -> dict[str, Any] | None:
        records = await self.api.query(f"SELECT Id, AccountId, StageName FROM Opportunity "
                                       f"WHERE {EXTERNAL_ID} = {soql_text(key)}")
        return records[0] if records else None

    async def _present(self, opportunity_id: str) -> set[str]:
        records = await self.api.query(f"SELECT Id, {EXTERNAL_ID} FROM OpportunityLineItem "
                                       f"WHERE OpportunityId = {soql_text(opportunity_id)}")
        return {str(r[EXTERNAL_ID]) for r in records if r.get(EXTERNAL_ID)}

    async def _upsert(self, sobject: str, key: str, fields: dict[str, Any]) -> str:
        """Create or update one record by its ``Revflow_Id__c``; safe to repeat.

        An sObject collection upsert: the key travels in the body, whatever characters it holds.
        """
        results = await self.api.send("PATCH", f"/composite/sobjects/{sobject}/{EXTERNAL_ID}", {
            "allOrNone": True, "records": [{"attributes": {"type": sobject}, EXTERNAL_ID: key, **fields}]},
            key=f"{sobject}:{EXTERNAL_ID}:{key}")
        failure = _first_error(results)
        if failure is not None:
            raise refusal_of([failure], 400)
        return str(results[0]["id"])

    async def _entries(self, lines: list[DealLine], currency: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The standard price book's id, and the entry of each SKU in the deal's currency.

        Entries are created where the org has none; ``currency`` is the ``CurrencyIsoCode`` of a multi-currency org.
        """
        book = await self.api.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
        if not book:
            raise VendorRefused("The Salesforce org shows no standard price book to list products in.",
                                slug="business-rule", code="org_not_prepared", retryable=False, owner="integration")
        book_id = str(book[0]["Id"])
        skus = sorted({line.product_sku for line in lines})
        rows = await self.api.query(
            f"SELECT Id, UnitPrice, IsActive, Product2Id, Product2.ProductCode, Product2.IsActive FROM PricebookEntry "
            f"WHERE Pricebook2Id = {soql_text(book_id)} AND Product2.ProductCode IN "
            f"({', '.join(soql_text(sku) for sku in skus)}){_and(currency)} ORDER BY Id")
        entries: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["IsActive"] and (row.get("Product2") or {}).get("IsActive"):
                entries.setdefault(row["Product2"]["ProductCode"], row)
        listed = {row["Product2"]["ProductCode"] for row in rows}
        prices: dict[str, Decimal] = {}  # the list price of each SKU's first line: a new entry's price
        for line in lines:
            prices.setdefault(line.product_sku, _amount(line.list_price))
        self._check_lines(lines, entries, listed, prices)
        for sku in skus:
            if sku not in entries:
                entries[sku] = await self._new_entry(book_id, sku, prices[sku], currency)
        self._check_lines(lines, entries, listed, prices)
        return book_id, {sku: str(entry["Id"]) for sku, entry in entries.items()}

    @staticmethod
    def _check_lines(lines: list[DealLine], entries: dict[str, dict[str, Any]], listed: set[str],
                     prices: dict[str, Decimal]) -> None:
        """Refuse a line whose SKU the price book lists inactive, or at another list price than the line's."""
        for index, line in enumerate(lines):
            sku, price = line.product_sku, _amount(line.list_price)
            entry = entries.get(sku)
            if entry is None and sku in listed:
                raise OpportunityRefused(f"Product {sku} is inactive in the Salesforce standard price book (in the "
                                         "deal's currency).",
                                         field=f"lines.{index}.product_sku", code="sku_inactive", owner="sales_ops")
            book_price = Decimal(str(entry["UnitPrice"])) if entry is not None else prices[sku]
            if book_price != price:
                raise OpportunityRefused(f"Product {sku} lists at {book_price} in the Salesforce standard price book, "
                                         f"not {price}: a line's list price is its price book entry's.",
                                         field=f"lines.{index}.list_price", code="list_price_mismatch",
                                         owner="sales_ops")

    async def _new_entry(self, book_id: str, sku: str, price: Decimal, currency: dict[str, str]) -> dict[str, Any]:
        """A standard price book entry of ``sku`` at ``price`` (the org's product with that code, else a new one)."""
        products = await self.api.query(f"SELECT Id FROM Product2 WHERE ProductCode = {soql_text(sku)} "
                                        "AND IsActive = true ORDER BY Id")
        product_id = str(products[0]["Id"]) if products else await self._upsert(
            "Product2", sku, {"Name": sku, "ProductCode": sku, "IsActive": True})
        try:
            # Not repeated on a lost answer: the entry has no external id to upsert by. A request that fails here
            # is retried by its caller, and the entry an earlier attempt created is then found by the query above.
            created = await self.api.send("POST", "/sobjects/PricebookEntry", {
                "Pricebook2Id": book_id, "Product2Id": product_id, "UnitPrice": price, "IsActive": True, **currency})
        except VendorRefused as exc:
            if exc.code != "DUPLICATE_VALUE":
                raise
            rows = await self.api.query(f"SELECT Id, UnitPrice FROM PricebookEntry WHERE Pricebook2Id = "
                                        f"{soql_text(book_id)} AND Product2Id = {soql_text(product_id)}"
                                        f"{_and(currency)}")
            return rows[0]  # a concurrent request listed it first: its price is checked like any other
        return {"Id": created["id"], "UnitPrice": price}

    async def _insert_lines(self, opportunity_id: str, lines: list[DealLine], missing: list[tuple[int, str]],
                            entries: dict[str, str]) -> None:
        """Insert the line items not yet at the org, all-or-none per batch."""
        for start in range(0, len(missing), _BATCH):
            batch = missing[start:start + _BATCH]
            records = [self._line(opportunity_id, index, key, lines[index], entries) for index, key in batch]
            results = await self.api.send("POST", "/composite/sobjects", {"allOrNone": True, "records": records},
                                          key=f"OpportunityLineItem:{batch[0][1]}")
            failure = _first_error(results)
            if failure is None:
                continue
            present = await self._present(opportunity_id) if failure.get("statusCode") == "DUPLICATE_VALUE" \
                else set()
            rest = [(index, key) for index, key in batch if key not in present]
            if len(rest) == len(batch):
                raise refusal_of([failure], 400)
            # An earlier attempt inserted some of these lines (its answer was lost): insert only the others.
            await self._insert_lines(opportunity_id, lines, rest, entries)

    def _line(self, opportunity_id: str, index: int, key: str, line: DealLine,
              entries: dict[str, str]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attributes": {"type": "OpportunityLineItem"}, "OpportunityId": opportunity_id,
            "PricebookEntryId": entries[line.product_sku], "Quantity": line.quantity,
            "UnitPrice": _amount(line.sale_price), "ServiceDate": line.service_start.isoformat(), "SortOrder": index,
            EXTERNAL_ID: key}
        if line.description is not None:
            record["Description"] = line.description
        if "Service_End_Date__c" in self.line_columns:
            record["Service_End_Date__c"] = line.service_end.isoformat()
        if "Billing_Frequency__c" in self.line_columns:
            record["Billing_Frequency__c"] = _FREQUENCY_NAMES[BillingFrequency(line.billing_frequency)]
        return record

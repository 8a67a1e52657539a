"""The Salesforce sandbox: a local, stateful emulator of Salesforce's REST API v62.0 for quote-to-cash.

OAuth token endpoint, sObjects (Account, Contact, Product2, Pricebook2, PricebookEntry, Opportunity,
OpportunityLineItem, Contract, Order) with create/get/update/delete and external-id upsert, SOQL query and
queryMore, composite and collections, describe, Salesforce's error arrays and ``Sforce-Limit-Info``, and the
Opportunity workflow Outbound Message (SOAP, acknowledged; by default it fires when a deal is won).
``simple-salesforce`` works against it over HTTPS (:mod:`sandboxes.salesforce.tls`).

Imports neither ``services`` nor ``contracts``: it speaks Salesforce's shapes, not revflow's.
"""

from .app import create_app
from .settings import SalesforceSettings

__all__ = ["SalesforceSettings", "create_app"]

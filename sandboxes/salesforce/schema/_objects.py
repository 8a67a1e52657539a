"""The quote-to-cash sObjects this org has, with their standard fields and the custom fields of a revflow org.

Every object carries ``Revflow_Id__c`` (text, external id, unique, case-sensitive), as an org prepared for
revflow would, so a connector can upsert idempotently, and ``Legacy_Id__c`` (external id without a unique
index), where an upsert can match several records and answer 300.

An org prepared for revflow also has finance fields on Opportunity (``Revflow_Invoice_Status__c``, a
restricted picklist; ``Revflow_Subscription_Id__c``; ``Revflow_Revenue_Recognized__c``, currency), written back
by revflow, and the service end and billing frequency of each OpportunityLineItem (``Service_End_Date__c``;
``Billing_Frequency__c``, a restricted picklist), entered by sales next to the standard ``ServiceDate``. A product
says how often it is billed (``Product2.Billing_Frequency__c``, the same picklist, as CPQ's
``SBQQ__BillingFrequency__c`` does), and a contact what it is for (``Contact.Revflow_Contact_Roles__c``, a
restricted multi-select picklist of ``CONTACT_ROLES``: values separated by ``;`` on the API).

The org has multiple currencies activated, as an org that books in more than one currency has: the corporate
currency is ``USD`` and every currency-bearing record carries ``CurrencyIsoCode`` (a restricted picklist of the
active currencies, ``CURRENCIES``), defaulting to the corporate currency. A price book entry lists a product in one
currency (set on create, never changed); an opportunity's line items take the opportunity's currency, and their
price book entry must be in it.

Renewals and amendments are Opportunities linked to the deal they continue or change, as Salesforce CPQ links
them to the contract (``SBQQ__RenewedContract__c``, ``SBQQ__AmendedContract__c``): ``Renewed_Opportunity__c`` and
``Amended_Opportunity__c`` are lookups to Opportunity, ``Amendment_Effective_Date__c`` the date an amendment takes
effect, and ``Loss_Reason__c`` why a deal was lost. An amendment's line items say what they change:
``Amendment_Action__c`` (restricted picklist ``Add``, ``Update``, ``Remove``) and ``Amended_Line_Id__c`` (the id of
the booked line an update or removal applies to; a line item cannot be the target of a lookup).
"""

from __future__ import annotations

from ._fields import ChildRelationship, FieldSpec, ObjectSpec, f, ref

__all__ = ["AMENDMENT_ACTIONS", "BILLING_FREQUENCIES", "CONTACT_ROLES", "CORPORATE_CURRENCY", "CURRENCIES",
           "EXTERNAL_ID", "INVOICE_STATUSES", "LEGACY_ID", "OBJECTS", "STAGES"]

EXTERNAL_ID = "Revflow_Id__c"
LEGACY_ID = "Legacy_Id__c"
# Opportunity stages of a default org: name -> (probability, closed, won, forecast category).
STAGES: dict[str, tuple[int, bool, bool, str]] = {
    "Prospecting": (10, False, False, "Pipeline"),
    "Qualification": (10, False, False, "Pipeline"),
    "Needs Analysis": (20, False, False, "Pipeline"),
    "Value Proposition": (50, False, False, "Pipeline"),
    "Id. Decision Makers": (60, False, False, "Pipeline"),
    "Perception Analysis": (70, False, False, "Pipeline"),
    "Proposal/Price Quote": (75, False, False, "Pipeline"),
    "Negotiation/Review": (90, False, False, "Pipeline"),
    "Closed Won": (100, True, True, "Closed"),
    "Closed Lost": (0, True, False, "Omitted"),
}
INVOICE_STATUSES = ("Draft", "Open", "Paid", "Void", "Uncollectible")
"""Values of the restricted picklist ``Opportunity.Revflow_Invoice_Status__c``."""
BILLING_FREQUENCIES = ("Monthly", "Quarterly", "Semiannual", "Annual", "One-time", "Usage")
"""Values of the restricted picklist ``OpportunityLineItem.Billing_Frequency__c``."""
AMENDMENT_ACTIONS = ("Add", "Update", "Remove")
"""Values of the restricted picklist ``OpportunityLineItem.Amendment_Action__c``."""
CONTACT_ROLES = ("Primary", "Billing", "Shipping", "Technical", "Legal")
"""Values of the restricted multi-select picklist ``Contact.Revflow_Contact_Roles__c``."""
CORPORATE_CURRENCY = "USD"
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY")
"""The org's active currencies (values of every ``CurrencyIsoCode``), the corporate one first."""


def _system() -> list[FieldSpec]:
    ro = {"createable": False, "updateable": False}
    return [
        f("Id", "id", "Record ID", nillable=False, **ro, length=18),
        f("IsDeleted", "boolean", "Deleted", nillable=False, **ro),
        f("CreatedDate", "datetime", nillable=False, **ro),
        f("CreatedById", "reference", "Created By ID", nillable=False, reference_to=("User",), length=18, **ro),
        f("LastModifiedDate", "datetime", nillable=False, **ro),
        f("LastModifiedById", "reference", "Last Modified By ID", nillable=False, reference_to=("User",), length=18,
          **ro),
        f("SystemModstamp", "datetime", "System Modstamp", nillable=False, **ro),
    ]


def _custom() -> list[FieldSpec]:
    # Revflow_Id__c is unique; Legacy_Id__c is an external id without a unique index (upsert may match twice).
    return [f(EXTERNAL_ID, "string", "Revflow ID", external_id=True, unique=True, custom=True),
            f(LEGACY_ID, "string", "Legacy ID", external_id=True, custom=True)]


def _owner() -> FieldSpec:
    return f("OwnerId", "reference", "Owner ID", nillable=False, default="OWNER", reference_to=("User",), length=18)


def _obj(name: str, label: str, plural: str, prefix: str, fields: list[FieldSpec],
         children: list[ChildRelationship] | None = None, custom: list[FieldSpec] | None = None) -> ObjectSpec:
    all_fields = [*_system()[:2], *fields, *_system()[2:], *_custom(), *(custom or [])]
    return ObjectSpec(name, label, plural, prefix, {spec.name: spec for spec in all_fields}, children or [])


RO = {"createable": False, "updateable": False}


def _currency(**kw: object) -> FieldSpec:
    """``CurrencyIsoCode`` of a multi-currency org."""
    return f("CurrencyIsoCode", "picklist", "Currency ISO Code", nillable=False, default=CORPORATE_CURRENCY,
             picklist=CURRENCIES, restricted=True, length=3, **kw)

OBJECTS: dict[str, ObjectSpec] = {spec.name: spec for spec in (
    _obj("Account", "Account", "Accounts", "001", [
        f("Name", "string", "Account Name", nillable=False), f("AccountNumber", "string"),
        f("Type", "picklist", "Account Type", picklist=("Prospect", "Customer - Direct", "Customer - Channel",
                                                       "Partner", "Other")),
        f("Industry", "picklist"), f("BillingStreet", "textarea"), f("BillingCity", "string"),
        f("BillingState", "string"), f("BillingPostalCode", "string"), f("BillingCountry", "string"),
        f("Phone", "phone", "Account Phone"), f("Website", "url"), f("AnnualRevenue", "currency"),
        f("NumberOfEmployees", "int", "Employees"), f("Description", "textarea", "Account Description"), _owner(),
        _currency(),
    ], [ChildRelationship("Contact", "AccountId", "Contacts", True),
        ChildRelationship("Opportunity", "AccountId", "Opportunities", True),
        ChildRelationship("Contract", "AccountId", "Contracts", True),
        ChildRelationship("Order", "AccountId", "Orders", True)]),
    _obj("Contact", "Contact", "Contacts", "003", [
        ref("AccountId", "Account", "Account"), f("FirstName", "string"), f("LastName", "string", nillable=False),
        f("Name", "string", "Full Name", nillable=False, **RO), f("Email", "email"), f("Phone", "phone",
                                                                                       "Business Phone"),
        f("Title", "string"), _owner(),
    ], custom=[
        f("Revflow_Contact_Roles__c", "multipicklist", "Revflow Contact Roles", custom=True, picklist=CONTACT_ROLES,
          restricted=True),
    ]),
    _obj("Product2", "Product", "Products", "01t", [
        f("Name", "string", "Product Name", nillable=False), f("ProductCode", "string"),
        f("Description", "textarea", "Product Description"), f("IsActive", "boolean", "Active", nillable=False,
                                                               default=False),
        f("Family", "picklist", "Product Family", picklist=("None", "Software", "Services", "Hardware")),
        f("QuantityUnitOfMeasure", "picklist", "Quantity Unit Of Measure", picklist=("Each",)), _currency(),
    ], [ChildRelationship("PricebookEntry", "Product2Id", "PricebookEntries", True)], [
        f("Billing_Frequency__c", "picklist", "Billing Frequency", custom=True, picklist=BILLING_FREQUENCIES,
          restricted=True),
    ]),
    _obj("Pricebook2", "Price Book", "Price Books", "01s", [
        f("Name", "string", "Price Book Name", nillable=False), f("IsActive", "boolean", "Active", nillable=False,
                                                                  default=False),
        f("IsStandard", "boolean", "Is Standard Price Book", nillable=False, **RO),
        f("Description", "string"),
    ], [ChildRelationship("PricebookEntry", "Pricebook2Id", "PricebookEntries", True)]),
    _obj("PricebookEntry", "Price Book Entry", "Price Book Entries", "01u", [
        f("Name", "string", "Product Name", **RO),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2", "Price Book ID", nillable=False, updateable=False),
        ref("Product2Id", "Product2", "Product2", "Product ID", nillable=False, updateable=False),
        f("UnitPrice", "currency", "List Price", nillable=False),
        f("IsActive", "boolean", "Active", nillable=False, default=False),
        f("UseStandardPrice", "boolean", "Use Standard Price", nillable=False, default=False),
        f("ProductCode", "string", **RO), _currency(updateable=False),
    ]),
    _obj("Opportunity", "Opportunity", "Opportunities", "006", [
        ref("AccountId", "Account", "Account"), f("Name", "string", nillable=False),
        f("Description", "textarea"), f("StageName", "picklist", "Stage", nillable=False, picklist=tuple(STAGES)),
        f("Amount", "currency"), f("Probability", "percent", "Probability (%)"),
        f("CloseDate", "date", nillable=False), f("Type", "picklist", "Opportunity Type"),
        f("NextStep", "string"), f("LeadSource", "picklist"), f("IsClosed", "boolean", "Closed", nillable=False, **RO),
        f("IsWon", "boolean", "Won", nillable=False, **RO),
        f("ForecastCategoryName", "picklist", "Forecast Category"),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2", "Price Book ID"),
        ref("ContractId", "Contract", "Contract"),
        f("HasOpportunityLineItem", "boolean", "Has Line Item", nillable=False, **RO), _owner(), _currency(),
    ], [ChildRelationship("OpportunityLineItem", "OpportunityId", "OpportunityLineItems", True)], [
        f("Revflow_Invoice_Status__c", "picklist", "Revflow Invoice Status", custom=True, picklist=INVOICE_STATUSES,
          restricted=True),
        f("Revflow_Subscription_Id__c", "string", "Revflow Subscription ID", custom=True),
        f("Revflow_Revenue_Recognized__c", "currency", "Revflow Revenue Recognized", custom=True),
        ref("Renewed_Opportunity__c", "Opportunity", "Renewed_Opportunity__r", "Renewed Opportunity", custom=True),
        ref("Amended_Opportunity__c", "Opportunity", "Amended_Opportunity__r", "Amended Opportunity", custom=True),
        f("Amendment_Effective_Date__c", "date", "Amendment Effective Date", custom=True),
        f("Loss_Reason__c", "string", "Loss Reason", custom=True),
    ]),
    _obj("OpportunityLineItem", "Opportunity Product", "Opportunity Product", "00k", [
        ref("OpportunityId", "Opportunity", "Opportunity", nillable=False, updateable=False),
        f("SortOrder", "int"), ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", "Price Book Entry ID",
                                   updateable=False),
        ref("Product2Id", "Product2", "Product2", "Product ID", updateable=False),
        f("ProductCode", "string", **RO), f("Name", "string", "Opportunity Product Name", **RO),
        f("Quantity", "double", nillable=False), f("TotalPrice", "currency", "Total Price"),
        f("UnitPrice", "currency", "Sales Price"), f("ListPrice", "currency", "List Price", **RO),
        f("ServiceDate", "date", "Date"), f("Discount", "percent"), f("Description", "string", "Line Description"),
        _currency(**RO),
    ], custom=[
        f("Service_End_Date__c", "date", "Service End Date", custom=True),
        f("Billing_Frequency__c", "picklist", "Billing Frequency", custom=True, picklist=BILLING_FREQUENCIES,
          restricted=True),
        f("Amendment_Action__c", "picklist", "Amendment Action", custom=True, picklist=AMENDMENT_ACTIONS,
          restricted=True),
        f("Amended_Line_Id__c", "string", "Amended Line ID", custom=True, length=18),
    ]),
    _obj("Contract", "Contract", "Contracts", "800", [
        ref("AccountId", "Account", "Account", nillable=False), ref("Pricebook2Id", "Pricebook2", "Pricebook2",
                                                                   "Price Book ID"),
        f("StartDate", "date", "Contract Start Date"), f("EndDate", "date", "Contract End Date", **RO),
        f("ContractTerm", "int", "Contract Term"), f("Status", "picklist", nillable=False, default="Draft",
                                                     picklist=("Draft", "In Approval Process", "Activated")),
        f("ContractNumber", "string", "Contract Number", nillable=False, **RO), f("Description", "textarea"),
        _owner(), _currency(),
    ], [ChildRelationship("Order", "ContractId", "Orders", False)]),
    _obj("Order", "Order", "Orders", "801", [
        ref("AccountId", "Account", "Account", nillable=False), ref("ContractId", "Contract", "Contract"),
        ref("OpportunityId", "Opportunity", "Opportunity"), ref("Pricebook2Id", "Pricebook2", "Pricebook2",
                                                                "Price Book ID"),
        f("EffectiveDate", "date", "Order Start Date", nillable=False), f("EndDate", "date", "Order End Date"),
        f("Status", "picklist", nillable=False, picklist=("Draft", "Activated")), f("Type", "picklist",
                                                                                    "Order Type"),
        f("OrderNumber", "string", "Order Number", nillable=False, **RO),
        f("TotalAmount", "currency", "Order Amount", nillable=False, **RO), f("Description", "textarea"), _owner(),
        _currency(),
    ]),
)}

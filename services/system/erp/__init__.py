"""The ERP system API: customers, items, sales orders, invoices, credit memos, payments, journals and queries.

The only code in revflow that knows the ERP vendor (NetSuite) exists; it speaks the canonical contracts.
"""

__all__: list[str] = []

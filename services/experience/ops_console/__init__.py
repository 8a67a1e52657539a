"""The finance-ops console: a web console for the people who run quote-to-cash, and its JSON API.

It owns the pages people use (pipeline by business status, the deal view with each workflow's step
timeline, the exception queue with resume / retry / cancel and dead-letter replay, revenue charts with CSV
export, reconciliation and period close; the governance pages: the system-of-record map, the contract
catalogue with version diffs and deprecated-route callers, SLOs with burn rates and error budgets, and
one period's KPIs), their sign-in (dev users from settings, scrypt password hashes,
server-side sessions in Redis, CSRF tokens on every form, roles ``finance_ops``, ``sales_ops``,
``billing_ops``, ``viewer``: see ``access``), and a read-only JSON API under ``/v1`` with the same data.

It calls the quote-to-cash process API only, over HTTP with its own service token, and every request a
person makes carries an Idempotency-Key and is written to the audit stream under that person's name. It
must never import or call a system API, a vendor or a sandbox, nor keep business state of its own (sessions,
sign-in throttling and a one-minute cache of revenue figures are all it stores).
"""

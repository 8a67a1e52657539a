"""Settings of the quote-to-cash process API and its workers (prefix ``REVFLOW_QUOTE_TO_CASH_``)."""

from __future__ import annotations

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["QuoteToCashSettings", "load_settings"]


class QuoteToCashSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings, the system APIs it calls, and how its workers behave."""

    service_name: str = "quote_to_cash"
    crm_url: str = "http://127.0.0.1:8101"
    erp_url: str = "http://127.0.0.1:8102"
    billing_url: str = "http://127.0.0.1:8103"
    revrec_url: str = "http://127.0.0.1:8104"
    client_id: str | None = "revflow-quote_to_cash"
    client_secret: str | None = None
    """The process tier's own client secret for tokens to the system APIs."""
    workers: int = 0
    """Workers run inside the API process (0: run them as their own processes with ``revflow worker``)."""
    concurrency: int = 16
    """Workflows one worker process advances at once."""
    lease_ms: int = 10_000
    """How long a worker holds a workflow without renewing before another may take it over."""
    claim_idle_ms: int = 15_000
    """How long a kick stays with a silent worker before another worker reclaims it (must exceed lease_ms)."""
    max_attempts: int = 8
    """Attempts of a step failing transiently before the workflow is dead-lettered."""
    retry_base_seconds: float = 0.5
    retry_cap_seconds: float = 30.0
    upstream_timeout_seconds: float = 10.0
    unfinished_settle_seconds: float = 60.0
    """Before compensation looks for what an unfinished step wrote, this long after its last attempt began: longer
    than a system API may keep retrying a slow vendor (its vendor timeout x attempts, with backoff)."""
    catalog_sync_ttl_seconds: float = 300.0
    """An item synced to the billing catalogue with the same definition this recently is not synced again (0:
    every activation syncs its items)."""
    metrics_sweep_seconds: float = 15.0
    """How often one worker reads again the deals whose finance figures predate their latest change."""
    metrics_inline_limit: int = 100
    """Stale deals a metrics request reads again itself before answering (the sweep reads the rest)."""


def load_settings() -> QuoteToCashSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(QuoteToCashSettings, "REVFLOW_QUOTE_TO_CASH_")

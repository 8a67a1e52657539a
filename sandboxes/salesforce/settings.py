"""Settings of the Salesforce sandbox (environment prefix ``REVFLOW_SALESFORCE_``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = ["DEV_CLIENT_ID", "DEV_CLIENT_SECRET", "DEV_SESSION_ID", "OUTBOUND_FIELDS", "SalesforceSettings"]

DEV_CLIENT_ID = "revflow-dev"
DEV_CLIENT_SECRET = "revflow-dev-secret"
DEV_SESSION_ID = "00D5g000004SbxO!sandbox.dev.session"
OUTBOUND_FIELDS = ("Id", "Name", "AccountId", "Amount", "CloseDate", "StageName", "IsWon", "IsClosed", "Pricebook2Id",
                   "ContractId", "LastModifiedDate", "Revflow_Id__c")


@dataclass(frozen=True, kw_only=True)
class SalesforceSettings:
    """How the sandbox org behaves; the client secret and the accepted access tokens stay out of ``repr``."""

    seed: int | None = None
    """Makes record ids deterministic (a failing run replays with the same ids)."""
    client_id: str = DEV_CLIENT_ID
    """Consumer key of the connected app (client credentials and JWT bearer ``iss``)."""
    client_secret: str = field(default=DEV_CLIENT_SECRET, repr=False)
    """Consumer secret (client credentials)."""
    jwt_certificate: str | None = None
    """PEM certificate or public key that JWT bearer assertions must be signed for (RS256). When None (dev
    only), an assertion from ``client_id`` is accepted without checking its signature."""
    session_ids: tuple[str, ...] = field(default=(DEV_SESSION_ID,), repr=False)
    """Access tokens accepted without an OAuth flow (public dev value; empty to require OAuth)."""
    instance_url: str | None = None
    """``instance_url`` the token endpoint answers; None uses the request's own base URL."""
    api_limit: int = 15000
    """Daily API request allocation (``Sforce-Limit-Info``); beyond it calls get ``REQUEST_LIMIT_EXCEEDED``."""
    outbound_urls: tuple[str, ...] = ()
    """Listener URLs of the Opportunity Outbound Message (changeable at ``/__sandbox/outbound-messages``)."""
    outbound_stages: tuple[str, ...] = ("Closed Won",)
    """Stages the Outbound Message's workflow rule fires for (an Opportunity created in or edited into one)."""
    outbound_fields: tuple[str, ...] = OUTBOUND_FIELDS
    """Opportunity fields the Outbound Message carries."""
    outbound_retry_delay: float = 1.0
    """First retry delay in seconds of an unacknowledged Outbound Message (doubles each attempt)."""
    outbound_max_attempts: int = 10
    """Attempts per message before it is given up (Salesforce keeps trying for 24 h)."""
    snapshot_path: Path | None = field(default=None)
    """File for ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``."""

    @classmethod
    def from_env(cls, prefix: str = "REVFLOW_SALESFORCE_") -> SalesforceSettings:
        """Read settings from the environment (lists are comma-separated)."""
        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = os.environ.get(prefix + spec.name.upper())
            if raw is None:
                continue
            if spec.name in ("seed", "api_limit", "outbound_max_attempts"):
                values[spec.name] = int(raw)
            elif spec.name == "outbound_retry_delay":
                values[spec.name] = float(raw)
            elif spec.name in ("session_ids", "outbound_urls", "outbound_fields", "outbound_stages"):
                values[spec.name] = tuple(part.strip() for part in raw.split(",") if part.strip())
            elif spec.name == "snapshot_path":
                values[spec.name] = Path(raw)
            else:
                values[spec.name] = raw
        return cls(**values)  # type: ignore[arg-type]

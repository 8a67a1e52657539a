"""Settings of the NetSuite sandbox: the account, its one TBA token, and the governance limits.

The defaults are public development credentials (never a real account's); ``from_env`` reads
``REVFLOW_NETSUITE_<FIELD>`` at the entrypoint, never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

__all__ = ["DEV_SETTINGS", "NetSuiteSettings"]


@dataclass(frozen=True, kw_only=True)
class NetSuiteSettings:
    """One emulated NetSuite account with one token-based-authentication (OAuth 1.0a) token.

    The four credentials stay out of ``repr`` and ``str``.
    """

    account_id: str = "1234567_SB1"
    """The account id as the OAuth ``realm`` spells it (the host slug is ``1234567-sb1``)."""
    consumer_key: str = field(default="revflow-dev-consumer-key", repr=False)
    """The integration record's consumer key."""
    consumer_secret: str = field(default="revflow-dev-consumer-secret", repr=False)
    """The integration record's consumer secret."""
    token_id: str = field(default="revflow-dev-token-id", repr=False)
    """The access token's id."""
    token_secret: str = field(default="revflow-dev-token-secret", repr=False)
    """The access token's secret."""
    max_concurrency: int = 5
    """Requests the account may have in flight at once; more get 429 ``CONCURRENCY_LIMIT_EXCEEDED``."""
    timestamp_window: int = 300
    """Seconds an ``oauth_timestamp`` may differ from the sandbox clock."""
    seed: int | None = None
    """Seed for the fault injector's first configuration (faults set later carry their own)."""
    snapshot_path: Path | None = None
    """File for ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``."""

    @classmethod
    def from_env(cls, prefix: str = "REVFLOW_NETSUITE_", env: Mapping[str, str] | None = None) -> NetSuiteSettings:
        """Read ``<prefix><FIELD>`` variables (``REVFLOW_NETSUITE_ACCOUNT_ID``...); absent ones keep the defaults.

        Raises:
            ValueError: A numeric variable is not a number.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get(prefix + item.name.upper())
            if raw is None or raw == "":
                continue
            if item.name in ("max_concurrency", "timestamp_window", "seed"):
                values[item.name] = int(raw)
            elif item.name == "snapshot_path":
                values[item.name] = Path(raw)
            else:
                values[item.name] = raw
        return replace(cls(), **values)  # type: ignore[arg-type]

    @property
    def host_slug(self) -> str:
        """The account id as NetSuite's host names spell it (``1234567-sb1``)."""
        return self.account_id.lower().replace("_", "-")


DEV_SETTINGS = NetSuiteSettings()
"""The documented development account (the defaults above)."""

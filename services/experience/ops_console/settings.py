"""Settings of the ops console (prefix ``REVFLOW_OPS_CONSOLE_``).

``REVFLOW_OPS_CONSOLE_USERS`` holds a JSON list of the people who may sign in (``username``, ``name``,
``roles``, ``password_hash`` from ``python -m services.experience.ops_console.passwords``); without it the
documented development users sign in (see ``passwords.DEV_USERS``), and the login page says so.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from services.runtime.settings import RuntimeSettings, SecretsHidden, from_env

__all__ = ["ROLES", "ConsoleUser", "OpsConsoleSettings", "Role", "load_settings"]

Role = Literal["finance_ops", "sales_ops", "billing_ops", "viewer"]
ROLES: tuple[Role, ...] = ("finance_ops", "sales_ops", "billing_ops", "viewer")


class ConsoleUser(SecretsHidden, frozen=True, kw_only=True):
    """A person who may sign in to the console."""

    secret_fields = frozenset({"password_hash"})

    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    """Shown in the console and written to the audit trail."""
    roles: tuple[Role, ...]
    password_hash: str
    """``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64url), never the password."""


class OpsConsoleSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings, the process API the console calls, and how people sign in."""

    service_name: str = "ops_console"
    process_url: str = "http://127.0.0.1:8110"
    """The quote-to-cash process API."""
    process_audience: str = "quote_to_cash"
    client_id: str | None = "revflow-ops_console"
    client_secret: str | None = None
    """The console's own client secret, for its service token to the process API."""
    upstream_timeout_seconds: float = 10.0
    users: tuple[ConsoleUser, ...] | None = None
    """People who may sign in; the documented development users when unset."""
    cookie_secure: bool = False
    """Mark the session cookie ``Secure``: set it when the console is served over TLS (directly or behind a
    TLS-terminating proxy). A request that arrives over ``https`` gets a ``Secure`` cookie either way."""
    session_idle_seconds: int = 3_600
    """A session ends after this long without a request."""
    session_max_seconds: int = 43_200
    """A session ends this long after sign-in, however busy (people sign in again each working day)."""
    login_attempts: int = 10
    """Failed sign-ins per username in ``login_window_seconds`` before further attempts are refused."""
    login_window_seconds: int = 900
    sla_hours: dict[str, int] = msgspec.field(default_factory=lambda: {
        "sales_ops": 24, "finance_ops": 24, "billing_ops": 24, "integration": 4})
    """How long an exception may wait for its owner before the queue shows it overdue."""
    metrics_cache_seconds: int = 60
    """How long revenue figures read from the process API are reused (they are read live from every system)."""
    page_size: Annotated[int, msgspec.Meta(ge=10, le=500)] = 50
    """Deals per pipeline page."""


def load_settings() -> OpsConsoleSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(OpsConsoleSettings, "REVFLOW_OPS_CONSOLE_")

"""Settings of the revrec system API (prefix ``REVFLOW_REVREC_``)."""

from __future__ import annotations

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["RevrecSettings", "load_settings"]


class RevrecSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the rev-rec platform this deployment uses."""

    service_name: str = "revrec"
    connector: str = "builtin"
    """Which connector serves the API (a key of ``connectors.CONNECTORS``)."""


def load_settings() -> RevrecSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(RevrecSettings, "REVFLOW_REVREC_")

"""Settings of the example service (prefix ``REVFLOW_EXAMPLE_``)."""

from __future__ import annotations

from services.runtime.settings import RuntimeSettings, from_env

__all__ = ["ExampleSettings", "load_settings"]


class ExampleSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the peer this instance relays to."""

    service_name: str = "example"
    peer_url: str | None = None
    """Another example service that ``/v1/relay/...`` calls (the two-hop chain)."""
    peer_audience: str = "example"
    """Audience of the token this instance presents to its peer."""


def load_settings() -> ExampleSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(ExampleSettings, "REVFLOW_EXAMPLE_")

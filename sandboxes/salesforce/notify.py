"""Turns closed-won events left on the org state into Outbound Messages for every configured listener."""

from __future__ import annotations

from .outbound import Message, OutboundSender, envelope
from .store import OrgState

__all__ = ["Notifier"]


class Notifier:
    """Drains ``state.events`` after each request into the :class:`OutboundSender`.

    Args:
        state: The org.
        sender: The background sender (its ``config`` holds listener URLs and fields).
    """

    def __init__(self, state: OrgState, sender: OutboundSender) -> None:
        self.state = state
        self.sender = sender
        self.action_id = state.ids.new("04k")

    def drain(self, base_url: str) -> None:
        """Send one notification per pending event to each listener (events are dropped without listeners)."""
        events, self.state.events[:] = list(self.state.events), []
        config = self.sender.config
        for event in events:
            record = self.state.records[event["sobject"]].get(event["id"])
            if record is None:
                continue
            notification_id = self.state.ids.new("04l")
            body = envelope(self.state.org_id, self.action_id, base_url.rstrip("/"), notification_id, record,
                            config.fields)
            for url in config.urls:
                self.sender.submit(Message(notification_id, url, body))

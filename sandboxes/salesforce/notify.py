"""Turns the stage changes left on the org state into Outbound Messages, as the workflow rule's criteria say."""

from __future__ import annotations

from typing import Any

from .outbound import Message, OutboundSender, envelope
from .store import OrgState

__all__ = ["Notifier"]


class Notifier:
    """Drains ``state.events`` after each request into the :class:`OutboundSender`.

    Args:
        state: The org.
        sender: The background sender (its ``config`` holds the rule's stages, listener URLs and fields).
    """

    def __init__(self, state: OrgState, sender: OutboundSender) -> None:
        self.state = state
        self.sender = sender
        self.action_id = state.ids.new("04k")

    def _fires(self, event: dict[str, Any]) -> bool:
        # "Created, and every time it's edited to subsequently meet criteria": into the stages, not within them.
        stages = self.sender.config.stages
        return event.get("stage") in stages and event.get("old_stage") not in stages

    def drain(self, base_url: str) -> None:
        """Send one notification per firing event to each listener (events are dropped without listeners)."""
        events, self.state.events[:] = list(self.state.events), []
        config = self.sender.config
        for event in events:
            record = self.state.records[event["sobject"]].get(event["id"])
            if record is None or not self._fires(event):
                continue
            notification_id = self.state.ids.new("04l")
            body = envelope(self.state.org_id, self.action_id, base_url.rstrip("/"), notification_id, record,
                            config.fields)
            for url in config.urls:
                self.sender.submit(Message(notification_id, url, body))

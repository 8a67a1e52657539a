"""Who may do what in the console: one table, read by the pages (to offer an action) and the handlers (to allow it).

Everyone signed in (``viewer`` included) reads every page. Changes:

=================  ==============================================================================
action             roles
=================  ==============================================================================
``resume``         the team that owns the exception (``sales_ops``, ``billing_ops``, ``finance_ops``),
                   and ``finance_ops`` for any exception (it runs the queue, and owns ``integration``)
``retry``          as ``resume``
``assign``         as ``resume`` (name who works on the exception; the assignee needs no role to be named)
``cancel``         ``finance_ops`` (cancelling undoes the subscription, orders and revenue: finance decides)
``replay``         ``finance_ops``, ``billing_ops`` (dead letters are mostly billing events)
``close_period``   ``finance_ops``
``reconcile``      ``finance_ops``
=================  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ACTIONS", "ACTION_LABELS", "Person", "may"]

_OWNING_TEAMS = frozenset({"sales_ops", "billing_ops", "finance_ops"})
ACTIONS: dict[str, frozenset[str]] = {
    "resume": frozenset({"finance_ops"}),
    "retry": frozenset({"finance_ops"}),
    "assign": frozenset({"finance_ops"}),
    "cancel": frozenset({"finance_ops"}),
    "replay": frozenset({"finance_ops", "billing_ops"}),
    "close_period": frozenset({"finance_ops"}),
    "reconcile": frozenset({"finance_ops"}),
}
"""Roles allowed each action whatever the exception's owner (``resume``/``retry``/``assign`` add the owning team)."""
ACTION_LABELS = {"resume": "Resume", "retry": "Retry now", "assign": "Assign", "cancel": "Cancel and undo",
                 "replay": "Replay", "close_period": "Close period", "reconcile": "Reconcile now"}


def may(roles: Iterable[str], action: str, owner: str | None = None) -> bool:
    """Whether someone with ``roles`` may take ``action`` (on an exception owned by ``owner``)."""
    held = frozenset(roles)
    if held & ACTIONS.get(action, frozenset()):
        return True
    return action in ("resume", "retry", "assign") and owner in _OWNING_TEAMS and owner in held


@dataclass(frozen=True)
class Person:
    """Whoever acts through the console: a signed-in person, or a service with an ``ops_console`` token."""

    username: str
    name: str
    roles: tuple[str, ...]

    def may(self, action: str, owner: str | None = None) -> bool:
        return may(self.roles, action, owner)

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return f"{self.username} ({self.name}) via ops_console"

    @property
    def named(self) -> str:
        """How a workflow's history names this person (the process API keeps 100 characters)."""
        return self.actor[:100]

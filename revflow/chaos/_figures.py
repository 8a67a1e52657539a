"""The figures of a chaos run, the verdict drawn from them, and their table."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

__all__ = ["ChaosFigures", "Reconciliation", "VendorFigures", "WorkflowFigures", "render"]


class WorkflowFigures(msgspec.Struct, kw_only=True):
    """Where every workflow ended (after the faults stopped and dead letters were replayed)."""

    total: int = 0
    completed: int = 0
    """Finished successfully (``succeeded``)."""
    needs_attention: int = 0
    """Parked, dead-lettered or compensated, each with a named owner, reason and fix."""
    expected_attention: int = 0
    """Of ``needs_attention``: the deliberately blocked deals, parked as blocked master data for finance ops."""
    lost: int = 0
    """A won deal with no activation, or a workflow neither finished nor waiting for a named owner."""
    activations_completed: int = 0
    dead_letters_replayed: int = 0
    kinds: dict[str, int] = msgspec.field(default_factory=dict)
    lost_examples: list[str] = msgspec.field(default_factory=list)


class VendorFigures(msgspec.Struct, kw_only=True):
    """One sandbox's census."""

    records: int
    duplicates: int
    missing: int
    unexpected: int
    examples: list[str] = msgspec.field(default_factory=list)


class Reconciliation(msgspec.Struct, kw_only=True):
    """The process API's reconciliation run over every activated deal."""

    state: str = "not run"
    deals: int = 0
    explained: int = 0
    unexplained: int = 0
    by_pair: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)
    """``"billing/erp"`` -> explained / unexplained counts."""
    error: str | None = None
    unexplained_examples: list[dict[str, Any]] = msgspec.field(default_factory=list)


class ChaosFigures(msgspec.Struct, kw_only=True):
    """Everything a chaos run counted; ``ok`` when nothing was lost, duplicated or left unexplained."""

    seed: int
    workers: int
    deals: int = 0
    blocked: int = 0
    closed_won_published: int = 0
    """Closed-won events the CRM API published (one per won deal when push and pull deduplicate)."""
    duplicate_announcements: int = 0
    """Announcements made again: push redeliveries, republished events (same and new id), starts by hand."""
    faults_injected: dict[str, int] = msgspec.field(default_factory=dict)
    kills: list[dict[str, Any]] = msgspec.field(default_factory=list)
    kills_planned: int = 0
    workflows: WorkflowFigures = msgspec.field(default_factory=WorkflowFigures)
    vendors: dict[str, VendorFigures] = msgspec.field(default_factory=dict)
    reconciliation: Reconciliation = msgspec.field(default_factory=Reconciliation)
    seconds: dict[str, float] = msgspec.field(default_factory=dict)
    """Wall time of each phase."""
    failures: list[str] = msgspec.field(default_factory=list)
    ok: bool = False

    @property
    def duplicates(self) -> int:
        return sum(v.duplicates for v in self.vendors.values())

    @property
    def service_kills(self) -> int:
        return sum(1 for k in self.kills if not all(n.startswith("worker") for n in k["names"]))

    def judge(self) -> bool:
        """Fill ``failures`` and ``ok``: lost = 0, duplicates = 0, unexplained differences = 0.

        Also required: every won deal's records present at each vendor, none where a blocked deal must not reach,
        and a reconciliation covering every activated deal.
        """
        failures = []
        if self.workflows.lost:
            failures.append(f"{self.workflows.lost} lost")
        if self.duplicates:
            failures.append(f"{self.duplicates} duplicate vendor records")
        wrong = {name: v.missing + v.unexpected for name, v in self.vendors.items() if v.missing + v.unexpected}
        if wrong:
            failures.append(f"vendor records missing or misplaced: {wrong}")
        if self.reconciliation.state != "succeeded":
            failures.append(f"reconciliation {self.reconciliation.state}: {self.reconciliation.error}")
        elif self.reconciliation.unexplained:
            failures.append(f"{self.reconciliation.unexplained} unexplained differences")
        elif self.reconciliation.deals != self.deals - self.blocked:
            failures.append(f"the reconciliation covered {self.reconciliation.deals} of "
                            f"{self.deals - self.blocked} activated deals")
        self.failures, self.ok = failures, not failures
        return self.ok


    def summary(self) -> dict[str, Any]:
        """The headline figures (the verdict's inputs), for ``--json`` readers."""
        return {"deals": self.deals, "blocked": self.blocked, "faults_injected": sum(self.faults_injected.values()),
                "kills": len(self.kills), "service_kills": self.service_kills,
                "completed": self.workflows.completed, "needs_attention": self.workflows.needs_attention,
                "lost": self.workflows.lost, "duplicates": self.duplicates,
                "duplicates_per_sandbox": {name: v.duplicates for name, v in self.vendors.items()},
                "unexplained_differences": self.reconciliation.unexplained,
                "explained_differences": self.reconciliation.explained, "ok": self.ok}

    def to_json(self) -> bytes:
        """The summary, then every figure."""
        return msgspec.json.encode({"summary": self.summary(), "figures": self})


def render(console: Console, figures: ChaosFigures) -> None:
    """Print the figures as a table, then the verdict."""
    table = Table(title=f"chaos: {figures.deals} deals, seed {figures.seed}, {figures.workers} workers",
                  title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("detail")
    w, r = figures.workflows, figures.reconciliation
    kills = f"{len(figures.kills)} of {figures.kills_planned} planned ({figures.service_kills} of services)"
    rows = [
        ("deals", figures.deals, f"{figures.blocked} blocked on purpose (unknown SKU)"),
        ("closed-won published", figures.closed_won_published, "by the CRM API, push and pull together"),
        ("duplicate announcements", figures.duplicate_announcements, "redelivered, republished, started by hand"),
        ("faults injected", sum(figures.faults_injected.values()),
         ", ".join(f"{k} {v}" for k, v in figures.faults_injected.items())),
        ("kills (SIGKILL)", len(figures.kills), kills),
        ("workflows", w.total, ", ".join(f"{k} {v}" for k, v in sorted(w.kinds.items()))),
        ("completed", w.completed, f"activations {w.activations_completed}"),
        ("needs_attention", w.needs_attention, f"{w.expected_attention} expected (blocked deals); "
                                               f"{w.dead_letters_replayed} dead letters replayed before"),
        ("lost", w.lost, "; ".join(w.lost_examples[:3])),
    ]
    for name, vendor in figures.vendors.items():
        rows.append((f"duplicates at {name}", vendor.duplicates,
                     f"{vendor.records} records; missing {vendor.missing}, unexpected {vendor.unexpected}"
                     + (f"; {'; '.join(vendor.examples[:3])}" if vendor.examples else "")))
    pairs = ", ".join(f"{p}: {c.get('unexplained', 0)}/{c.get('explained', 0)}" for p, c in sorted(r.by_pair.items()))
    rows += [
        ("differences unexplained", r.unexplained, f"reconciliation {r.state} over {r.deals} deals"
                                                   + (f"; {r.error}" if r.error else "")),
        ("differences explained", r.explained, f"per pair unexplained/explained: {pairs}" if pairs else ""),
        ("wall time (s)", round(sum(figures.seconds.values())),
         ", ".join(f"{k} {v:.0f}" for k, v in figures.seconds.items())),
    ]
    for name, value, detail in rows:
        table.add_row(name, str(value), detail)
    console.print(table)
    if figures.ok:
        console.print("[green]chaos: OK (lost = 0, duplicates = 0, unexplained differences = 0)[/green]")
    else:
        console.print(f"[red]chaos: FAILED: {'; '.join(figures.failures)}[/red]")

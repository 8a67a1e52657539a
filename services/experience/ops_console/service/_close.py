"""The latest reconciliation, summarised per pair of systems with drill-down to contracts (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.experience.ops_console.schemas import ReconciliationV1, SystemPairV1

__all__ = ["PAIR_ORDER", "contract_of", "reconciliation"]

PAIR_ORDER = ("crm / revrec", "revrec / billing", "billing / revrec", "billing / erp", "revrec / erp", "erp / revrec")
"""The order pairs are listed in (the order money flows: booked, billed, posted, recognised, ledger)."""


def _pair(systems: Any) -> str:
    return " / ".join(str(s) for s in systems) if isinstance(systems, list | tuple) else str(systems)


def reconciliation(run: Mapping[str, Any]) -> ReconciliationV1:
    """A run with its differences grouped by the two systems compared."""
    report = run.get("report") if isinstance(run.get("report"), Mapping) else None
    pairs: dict[str, dict[str, Any]] = {}
    for diff in (report or {}).get("differences") or []:
        pair = pairs.setdefault(_pair(diff.get("systems")), {"explained": 0, "unexplained": 0, "deals": []})
        pair["explained" if diff.get("explained") else "unexplained"] += 1
        if diff.get("deal") and diff["deal"] not in pair["deals"]:
            pair["deals"].append(diff["deal"])
    rank = {name: i for i, name in enumerate(PAIR_ORDER)}
    ordered = sorted(pairs.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    generated = report.get("generated_at") if report else None
    return ReconciliationV1(
        run_id=str(run.get("run_id") or ""), state=str(run.get("state") or ""),
        as_of=report.get("as_of") if report else None,
        generated_at=datetime.fromisoformat(generated.replace("Z", "+00:00")) if generated else None,
        deals=int((report or {}).get("deals", 0)), clean=report.get("clean") if report else None,
        explained=int((report or {}).get("explained", 0)), unexplained=int((report or {}).get("unexplained", 0)),
        pairs=[SystemPairV1(systems=name, explained=v["explained"], unexplained=v["unexplained"], deals=v["deals"])
               for name, v in ordered],
        report=dict(report) if report else None)


def contract_of(run: ReconciliationV1, deal: str) -> dict[str, Any] | None:
    """One contract of the report (what each system says about the deal, and where they differ)."""
    for contract in (run.report or {}).get("contracts") or []:
        if contract.get("deal") == deal:
            return dict(contract)
    return None

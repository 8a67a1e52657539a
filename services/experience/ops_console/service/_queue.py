"""The exception queue and dead letters, shaped from the process API (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.experience.ops_console.schemas import DeadLetterRowV1, ExceptionQueueV1, QueueItemV1
from services.experience.ops_console.service._deal import exception_info

__all__ = ["exception_queue"]


def _dead_letter(entry: Mapping[str, Any]) -> DeadLetterRowV1:
    event = entry.get("event") if isinstance(entry.get("event"), Mapping) else {}
    stream = str(entry.get("stream") or "")
    return DeadLetterRowV1(entry_id=str(entry["entry_id"]), stream=stream.rsplit(":", 1)[-1].strip("{}") or stream,
                           group=str(entry.get("group") or ""), attempts=int(entry.get("attempts") or 0),
                           error=str(entry.get("error") or ""), failed_at=str(entry.get("failed_at") or ""),
                           event_type=entry.get("event_type") or event.get("type"), subject=event.get("subject"))


def _assignment(given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping) or not given.get("assignee"):
        return {}
    at = given.get("assigned_at")
    return {"assignee": str(given["assignee"]), "assigned_by": str(given.get("assigned_by") or ""),
            "assigned_at": datetime.fromisoformat(str(at).replace("Z", "+00:00")) if at else None}


def exception_queue(exceptions: Mapping[str, Any], dead_letters: list[Mapping[str, Any]],
                    sla_hours: Mapping[str, int], now: datetime, *, start: int = 0,
                    limit: int = 100) -> ExceptionQueueV1:
    """One page of the queue, oldest first, each item with its age against its owner's SLA; the dead letters."""
    rows = sorted(exceptions.get("data") or [], key=lambda r: str(r["occurred_at"]))
    infos = [exception_info(row, sla_hours, now) for row in rows]
    items = [QueueItemV1(workflow_id=row["workflow_id"], kind=row["kind"], subject=row["subject"], state=row["state"],
                         business_status=row["business_status"], owner=info.owner, step=info.step, reason=info.reason,
                         fix=info.fix, code=info.code, occurred_at=info.occurred_at, age_seconds=info.age_seconds,
                         sla_hours=info.sla_hours, overdue=info.overdue,
                         **_assignment(row.get("assignment")))
             for row, info in zip(rows[start:start + limit], infos[start:start + limit], strict=True)]
    more = start + limit < len(rows)
    return ExceptionQueueV1(data=items, total=len(rows), by_owner=dict(exceptions.get("by_owner") or {}),
                            overdue=sum(1 for i in infos if i.overdue),
                            dead_letters=[_dead_letter(d) for d in dead_letters],
                            next_cursor=str(start + limit) if more else None)

"""Period close: a month's revenue recognised, its journals posted to the ERP once, checked, and locked.

close checklist (every workflow started in or before the period finished, no open exception, every earlier
period with entries closed) -> revrec recognition run -> the period's journal entries posted to the ERP ->
reconciliation -> lock (revrec closes the period and every earlier one).

The checklist runs *before* anything is posted: a workflow still in flight may add to the period (an invoice
linked, a contract registered), and journals posted from a book that then changes would differ from what the
lock freezes. Reconciliation runs *after* posting, as it compares the ledger with the books. Either parks the
close as ``needs_attention`` for ``finance_ops`` with what is open; after the fix, ``resume`` runs the
check again. Should the book still move between posting and the lock, the lock posts the difference (a
true-up entry) so the ERP always ends with exactly what revrec locked.

The ERP posts invoices, credit memos and payments itself (they move its receivable, deferred revenue and cash),
so revrec's share of the GL is its recognition entries plus the contract-asset share of billings (revrec's
``target=erp`` entries); posting its billing and collection entries too would count the receivable twice.
Each such entry (one per currency and kind) becomes one ERP journal of
one line per account (the net of its contracts' lines: the detail stays in the revenue sub-ledger, and a
book of thousands of contracts stays within the ERP's line limit), keyed by the close's id and the entry's
id: started twice, the close is one workflow (``period_close:<period>``) and posts once. Cancelling a close
before its lock reverses what it posted; a new close of the period is then ``period_close:<period>:2``.
Periods close in order: revrec's lock closes every earlier period too, so a close waits (parked, to be
resumed) while an earlier period with entries is open, whose journals would otherwise never reach the ERP.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.money import Money
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.reconciliation import gl_entries, reconcile
from services.process.quote_to_cash.saga import (
    ExceptionRecord,
    Step,
    StepContext,
    StepFailed,
    WorkflowDefinition,
    WorkflowRecord,
    WorkflowState,
    WorkflowStore,
)
from services.process.quote_to_cash.systems import call

__all__ = ["PERIOD_CLOSE", "ChecklistItemV1", "PeriodCloseStatusV1", "close_status", "close_subject", "latest_close",
           "period_close_id", "workflow_checks"]

_SHOWN = 20
_LOOK_BACK = 12
"""Earlier periods checked for entries not yet closed (a year)."""


class ChecklistItemV1(msgspec.Struct, frozen=True, kw_only=True):
    """One condition of the close and whether it holds."""

    name: str
    ok: bool | None
    """``None``: not checked (yet)."""
    detail: str
    open: list[str] = []
    """What keeps it from holding (workflow ids with their status), the first twenty."""


class PeriodCloseStatusV1(msgspec.Struct, frozen=True, kw_only=True):
    """Where the close of one period stands, with the checklist as it is now."""

    period: str
    status: str
    """``open`` (no close asked), ``closing``, ``needs_attention``, ``closed`` or ``cancelled``."""
    workflow_id: str | None = None
    state: WorkflowState | None = None
    business_status: BusinessStatus | None = None
    checklist: list[ChecklistItemV1]
    recognized: list[Money] = []
    """Revenue of the period, per currency (from the close's recognition run)."""
    journal_entries: dict[str, str] = {}
    """ERP journal id of each revrec entry posted, by revrec entry id."""
    closed_at: str | None = None
    exception: ExceptionRecord | None = None


def period_close_id(period: str, attempt: int = 1) -> str:
    return f"period_close:{period}" if attempt == 1 else f"period_close:{period}:{attempt}"


async def latest_close(store: WorkflowStore, period: str) -> tuple[WorkflowRecord | None, int]:
    """The period's latest close and its attempt number (``None, 1`` when none was asked for)."""
    found, attempt = None, 1
    while (record := await store.load(period_close_id(period, attempt))) is not None:
        found, attempt = record, attempt + 1
    return found, max(1, attempt - 1)


def close_subject(period: str) -> str:
    """The subject of a period's closes (a re-run after a cancel queues behind the cancelled one)."""
    return f"period:{period}"


def _previous(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


def _period_end(period: str) -> datetime:
    """The first instant after ``period`` (UTC)."""
    year, month = (int(part) for part in period.split("-"))
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


_NOT_BOOKS = frozenset({"period_close", "slo_breach"})
"""Workflow kinds that change no books, so never hold up a close."""


async def workflow_checks(store: WorkflowStore, period: str) -> list[ChecklistItemV1]:
    """Whether every workflow started in or before ``period`` finished, and whether any exception is open.

    A workflow sleeping until after the period (a renewal at term end) does not hold up the close; closes
    themselves are not counted, nor service-level breaches (they are about timeliness, not about the books:
    they stay in integration's queue without holding finance's close).
    """
    end = _period_end(period)
    unfinished, exceptions = [], []
    for row in sorted(await store.summaries(), key=lambda r: (r.created_at, r.id)):
        if row.kind in _NOT_BOOKS or row.state.is_terminal:
            continue
        if row.owner is not None:
            exceptions.append(f"{row.id} ({row.business_status}, owner {row.owner}, step {row.step})")
        elif row.created_at < end:
            record = await store.load(row.id) if row.state is WorkflowState.WAITING else None
            if record is not None and record.wake_at is not None and record.wake_at >= end:
                continue
            unfinished.append(f"{row.id} ({row.state}, step {row.step})")
    return [
        ChecklistItemV1(name="workflows_finished", ok=not unfinished, open=unfinished[:_SHOWN],
                        detail=f"{len(unfinished)} workflow(s) started by the end of {period} still running"
                        if unfinished else f"every workflow started by the end of {period} has finished"),
        ChecklistItemV1(name="no_open_exceptions", ok=not exceptions, open=exceptions[:_SHOWN],
                        detail=f"{len(exceptions)} workflow(s) wait for a person" if exceptions
                        else "no workflow waits for a person"),
    ]


def _period(ctx: StepContext) -> str:
    return str(ctx.input["period"])


def _store(ctx: StepContext) -> WorkflowStore:
    # The runner's own index: the deal links live in the same Redis under the same key space.
    return WorkflowStore(ctx.systems.links.redis, ctx.systems.links.keyspace)


async def _earlier_periods(ctx: StepContext) -> ChecklistItemV1:
    """Whether the periods before this one are closed (back to the last closed one, at most a year)."""
    open_with_entries, period = [], _period(ctx)
    for _ in range(_LOOK_BACK):
        period = _previous(period)
        page = await call(ctx.systems.revrec, "GET", f"/v1/periods/{period}/journal-entries")
        if page["closed"]:
            break
        if page["entries"]:
            open_with_entries.append(period)
    return ChecklistItemV1(name="earlier_periods_closed", ok=not open_with_entries, open=sorted(open_with_entries),
                           detail=f"earlier period(s) with entries still open: close {min(open_with_entries)} first"
                           if open_with_entries else "every earlier period with entries is closed")


async def checklist(ctx: StepContext) -> dict[str, Any]:
    items = [*await workflow_checks(_store(ctx), _period(ctx)), await _earlier_periods(ctx)]
    failing = [item for item in items if not item.ok]
    if failing:
        listed = "; ".join(f"{item.detail}: {', '.join(item.open[:5])}" for item in failing)
        raise StepFailed(f"the close of {_period(ctx)} is held up: {listed}"[:2000], retryable=False,
                         owner=ExceptionOwner.FINANCE_OPS, code="close_checklist_open",
                         fix="Finish, resume or cancel the workflows listed (GET /v1/periods/"
                             f"{_period(ctx)} shows them), then resume the close.")
    return {"checklist": msgspec.to_builtins(items)}


async def recognition_run(ctx: StepContext) -> dict[str, Any]:
    posting = await call(ctx.systems.revrec, "POST", f"/v1/periods/{_period(ctx)}/recognition-runs", key=ctx.key)
    return {"posting_id": posting["id"], "recognized": posting["recognized"], "contracts": posting["contracts"],
            "journal_entries": len(posting["journal_entries"]), "closed": posting.get("closed", False)}


def _nets(entry: dict[str, Any]) -> dict[str, int]:
    """Debits minus credits per account number (the entry summarised for the ledger)."""
    nets: dict[str, int] = {}
    for line in entry["lines"]:
        sign = 1 if line["side"] == "debit" else -1
        number = line["account"]["number"]
        nets[number] = nets.get(number, 0) + sign * int(line["amount"]["amount_minor"])
    return {number: net for number, net in sorted(nets.items()) if net}


def _journal(entry: dict[str, Any], nets: dict[str, int], currency: str, memo: str) -> dict[str, Any]:
    names = {line["account"]["number"]: line["account"].get("name") for line in entry.get("lines", [])}
    lines = [{"account": {"number": number, **({"name": names[number]} if names.get(number) else {})},
              "side": "debit" if net > 0 else "credit", "amount": {"amount_minor": abs(net), "currency": currency},
              "memo": memo[:200]} for number, net in nets.items()]
    return {"entry_date": entry["entry_date"], "accounting_period": entry.get("accounting_period"),
            "memo": memo[:999], "source": "revrec", "lines": lines}


async def _entries(ctx: StepContext) -> dict[str, Any]:
    return await gl_entries(ctx.systems, _period(ctx))


def _currency(entry: dict[str, Any]) -> str:
    return str(entry["lines"][0]["amount"]["currency"])


async def post_journals(ctx: StepContext) -> dict[str, Any]:
    page = await _entries(ctx)
    posted: dict[str, Any] = {}
    for entry in page["entries"]:
        nets = _nets(entry)
        if not nets:
            continue  # every contract's lines cancel out: nothing reaches the ledger
        body = _journal(entry, nets, _currency(entry), f"{entry.get('memo') or 'revrec'} [{entry['id']}]")
        journal = await call(ctx.systems.erp, "POST", "/v1/journal-entries", json=body, key=ctx.sub_key(entry["id"]))
        posted[entry["id"]] = {"erp_id": journal["id"], "nets": nets, "currency": _currency(entry),
                               "entry_date": entry["entry_date"], "accounting_period": entry.get("accounting_period")}
    return {"entries": posted}


async def reverse_journals(ctx: StepContext) -> None:
    """Undo of ``post_journals``: a reversing journal for each one posted (a posted journal is never edited).

    Raises:
        StepFailed: revrec locked the period meanwhile; its journals must stay in the ledger.
    """
    if (await _entries(ctx))["closed"]:
        raise StepFailed(f"{_period(ctx)} is locked in revrec: the journals posted for it stay in the ERP",
                         retryable=False, owner=ExceptionOwner.FINANCE_OPS, code="period_locked",
                         fix="Correct the locked period with an adjusting entry in the next open period.")
    for entry_id, done in ctx.output("post_journals").get("entries", {}).items():
        nets = {number: -net for number, net in done["nets"].items()}
        entry = {"entry_date": done["entry_date"], "accounting_period": done["accounting_period"]}
        body = {**_journal(entry, nets, done["currency"], f"Reversal of {entry_id}: close cancelled"),
                "reverses_entry_id": done["erp_id"]}
        await call(ctx.systems.erp, "POST", "/v1/journal-entries", json=body, key=ctx.sub_key(entry_id))


async def reconciliation(ctx: StepContext) -> dict[str, Any]:
    report = await reconcile(ctx.systems, as_of=_period(ctx))
    if report.unexplained:
        listed = "; ".join(f"{d.code} ({' vs '.join(d.systems)}{', deal ' + d.deal if d.deal else ''}"
                           f"{', ' + d.document if d.document else ''}): {d.cause}"
                           for d in report.differences if not d.explained)
        raise StepFailed(f"reconciliation as of {_period(ctx)} found {report.unexplained} unexplained "
                         f"difference(s): {listed}"[:2000], retryable=False, owner=ExceptionOwner.FINANCE_OPS,
                         code="reconciliation_differences",
                         fix="Correct or explain each difference (the reconciliation names its owner and fix), then "
                             "resume the close.")
    return {"reconciliation": "clean", "deals": report.deals, "explained": report.explained, "unexplained": 0,
            "ledger_periods": sorted({check.period for check in report.ledger})}


async def _close(ctx: StepContext) -> dict[str, Any]:
    try:
        closure = await call(ctx.systems.revrec, "POST", f"/v1/periods/{_period(ctx)}/close", key=ctx.key)
    except StepFailed:
        if not (await _entries(ctx))["closed"]:  # closed meanwhile (by a later period's close): done all the same
            raise
        return {}
    return {"closed_at": closure["closed_at"], "first_open_period": closure["first_open_period"],
            "deferred_balance": closure["deferred_balance"], "recognized": closure["recognized"]}


async def lock(ctx: StepContext) -> dict[str, Any]:
    page = await _entries(ctx)
    closure = {} if page["closed"] else await _close(ctx)
    locked = page if page["closed"] else await _entries(ctx)
    return {"closed": True, **closure, "true_ups": await _true_ups(ctx, locked["entries"])}


async def _true_ups(ctx: StepContext, entries: list[dict[str, Any]]) -> dict[str, str]:
    """Post what the locked entries differ from those posted (the book moved after posting), once per difference."""
    posted = ctx.output("post_journals").get("entries", {})
    locked = {entry["id"]: entry for entry in entries}
    done = {}
    for entry_id in sorted({*posted, *locked}):
        before, entry = posted.get(entry_id, {}), locked.get(entry_id)
        after = _nets(entry) if entry is not None else {}
        delta = {n: after.get(n, 0) - before.get("nets", {}).get(n, 0) for n in sorted({*before.get("nets", {}),
                                                                                         *after})}
        delta = {n: v for n, v in delta.items() if v}
        if not delta:
            continue
        digest = hashlib.sha256(msgspec.json.encode(delta)).hexdigest()[:12]
        body = _journal(entry or before, delta, _currency(entry) if entry else before["currency"],
                        f"True-up of {entry_id} at close")
        journal = await call(ctx.systems.erp, "POST", "/v1/journal-entries", json=body,
                             key=ctx.sub_key(f"true-up:{entry_id}:{digest}"))
        done[entry_id] = str(journal["id"])
    return done


def _status_of(record: WorkflowRecord | None) -> str:
    if record is None:
        return "open"
    if record.state is WorkflowState.SUCCEEDED:
        return "closed"
    if record.state is WorkflowState.COMPENSATED:
        return "cancelled"
    return "needs_attention" if record.exception is not None else "closing"


def _earlier_item(record: WorkflowRecord | None) -> ChecklistItemV1:
    checked = record.output("checklist").get("checklist", []) if record is not None else []
    found = next((item for item in checked if item["name"] == "earlier_periods_closed"), None)
    if found is not None:
        return msgspec.convert(found, ChecklistItemV1)
    if record is not None and record.exception is not None and "earlier period" in record.exception.reason:
        return ChecklistItemV1(name="earlier_periods_closed", ok=False, detail=record.exception.reason)
    return ChecklistItemV1(name="earlier_periods_closed", ok=None, detail="checked when the close runs")


def _reconciliation_item(record: WorkflowRecord | None) -> ChecklistItemV1:
    result = record.output("reconciliation") if record is not None else {}
    if result.get("reconciliation") == "clean":
        return ChecklistItemV1(name="reconciliation", ok=True, detail=f"reconciliation: {result['deals']} deal(s), "
                               "no unexplained difference")
    if record is not None and record.exception is not None and record.exception.step == "reconciliation":
        return ChecklistItemV1(name="reconciliation", ok=False, detail=f"reconciliation: {record.exception.reason}")
    return ChecklistItemV1(name="reconciliation", ok=None, detail="reconciliation: not run yet (it runs once the "
                                                                  "journals are posted)")


async def close_status(store: WorkflowStore, period: str) -> PeriodCloseStatusV1:
    """The close of ``period``: its latest workflow, with the workflow checks evaluated now."""
    record, _ = await latest_close(store, period)
    run = record.output("recognition_run") if record is not None else {}
    posted = record.output("post_journals").get("entries", {}) if record is not None else {}
    locked = record.output("lock") if record is not None else {}
    return PeriodCloseStatusV1(
        period=period, status=_status_of(record), workflow_id=record.id if record else None,
        state=record.state if record else None, business_status=record.business_status if record else None,
        checklist=[*await workflow_checks(store, period), _earlier_item(record), _reconciliation_item(record)],
        recognized=[Money(**m) for m in run.get("recognized", [])],
        journal_entries={entry_id: str(done["erp_id"]) for entry_id, done in posted.items()},
        closed_at=locked.get("closed_at"), exception=record.exception if record else None)


PERIOD_CLOSE = WorkflowDefinition(
    kind="period_close",
    description="A period's revenue recognised, its journals posted to the ERP once, checked and locked.",
    steps=(
        Step("checklist", checklist, BusinessStatus.PENDING_VALIDATION),
        Step("recognition_run", recognition_run, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("post_journals", post_journals, BusinessStatus.AWAITING_ERP_POSTING, undo=reverse_journals),
        Step("reconciliation", reconciliation, BusinessStatus.PENDING_VALIDATION),
        Step("lock", lock, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
)

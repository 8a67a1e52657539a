"""The book as the engine sees it: schedules, period locks, balances, journal entries and reports.

Pure functions over stored contracts (no I/O). The one rule that matters most lives in ``lock``: a schedule
line in a closed period is never changed; whatever a change would have restated there is posted as one
``adjustment`` line in the first open period (the engine's ``post_to_open_periods``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import msgspec

from contracts.ledger import EntrySide, GlAccountRef, JournalEntry, JournalLine
from contracts.money import Money
from services.system.revrec import engine as eng
from services.system.revrec.connectors._calendar import Calendar, convention_calendar
from services.system.revrec.connectors._fx import ledger_through
from services.system.revrec.connectors._store import ContractRecord, Line

__all__ = [
    "ACCOUNTS",
    "balances",
    "billing_events",
    "chart_of_accounts",
    "deferred_at",
    "engine_schedule",
    "erp_share",
    "from_engine",
    "horizon",
    "lock",
    "period_entries",
    "recognized_in",
    "record_calendar",
    "schedules_of",
]

ACCOUNTS: dict[str, GlAccountRef] = {
    "cash": GlAccountRef(number="1000", name="Cash"),
    "accounts_receivable": GlAccountRef(number="1100", name="Accounts receivable"),
    "contract_asset": GlAccountRef(number="1300", name="Contract asset (unbilled revenue)"),
    "deferred_revenue": GlAccountRef(number="2400", name="Deferred revenue (contract liability)"),
    "revenue": GlAccountRef(number="4000", name="Revenue"),
    "fx_gain_loss": GlAccountRef(number="7100", name="Foreign exchange gain or loss"),
}
"""The default chart of accounts by role; a deployment gives its GL's own numbers (``chart_of_accounts``)."""


def chart_of_accounts(numbers: Mapping[str, str]) -> dict[str, GlAccountRef]:
    """The default chart with ``numbers`` (role -> the company's GL account number) in place of its own.

    Raises:
        ValueError: A role the book does not post to, or an empty number.
    """
    unknown = sorted(set(numbers) - set(ACCOUNTS))
    if unknown:
        raise ValueError(f"gl_accounts: unknown role(s) {', '.join(unknown)}; the book posts to "
                         f"{', '.join(ACCOUNTS)}")
    empty = sorted(role for role, number in numbers.items() if not str(number).strip())
    if empty:
        raise ValueError(f"gl_accounts: an empty account number for {', '.join(empty)}")
    return {role: GlAccountRef(number=str(numbers[role]).strip(), name=ref.name) if role in numbers else ref
            for role, ref in ACCOUNTS.items()}

# Kinds while a schedule passes through the engine's closed-period posting, which labels its own
# adjustment ``catch_up``: modification catch-ups and earlier adjustments travel under private names.
_IN = {"catch_up": "mod_catch_up", "adjustment": "old_adjustment"}
_OUT = {"catch_up": "adjustment", "mod_catch_up": "catch_up", "old_adjustment": "adjustment"}


def record_calendar(record: ContractRecord) -> Calendar:
    """The calendar a stored contract was scheduled on (its resolved convention's: the book's)."""
    return convention_calendar(record.convention)


def engine_schedule(oid: str, currency: str, lines: Sequence[Line], cal: Calendar) -> eng.Schedule:
    """An engine schedule from stored lines."""
    return eng.Schedule(obligation_id=oid, currency=currency, total=sum(x.amount for x in lines),
                        periods=tuple(cal.period(x.period) for x in lines),
                        amounts=tuple(x.amount for x in lines), kinds=tuple(x.kind for x in lines))


def from_engine(schedule: eng.Schedule) -> list[Line]:
    """Stored lines from an engine schedule (the engine's ``catch_up`` is a modification catch-up here)."""
    return _merge(Line(line.period.key, line.amount, line.kind) for line in schedule.lines)


def _merge(lines: Iterable[Line]) -> list[Line]:
    totals: dict[tuple[str, str], int] = {}
    for line in lines:
        totals[line.period, line.kind] = totals.get((line.period, line.kind), 0) + line.amount
    order = {"recognition": 0, "catch_up": 1, "adjustment": 2}
    keys = sorted(totals, key=lambda k: (k[0], order.get(k[1], 3)))
    return [Line(p, totals[p, k], k) for p, k in keys if totals[p, k] or k == "recognition"]


def lock(posted: Sequence[Line], revised: Sequence[Line], oid: str, currency: str,
         first_open: str | None, cal: Calendar) -> tuple[list[Line], int]:
    """The schedule to store when ``revised`` replaces ``posted`` while periods before ``first_open`` are closed.

    Returns:
        ``(lines, adjustment)``: closed-period lines exactly as posted, and in ``first_open`` one
        ``adjustment`` line equal to what restating the closed periods would have changed.
    """
    def closed(lines: Sequence[Line]) -> int:
        return sum(x.amount for x in lines if x.period < first_open)

    if first_open is None or not any(x.period < first_open for x in (*posted, *revised)):
        return _merge(revised), 0
    relabel = [Line(x.period, x.amount, _IN.get(x.kind, x.kind)) for x in revised]
    if not any(x.period >= first_open for x in relabel):
        relabel.append(Line(first_open, 0, "recognition"))  # somewhere to post the adjustment
    merged = eng.post_to_open_periods(
        posted=engine_schedule(oid, currency, [Line(x.period, x.amount, _IN.get(x.kind, x.kind)) for x in posted],
                               cal),
        revised=engine_schedule(oid, currency, relabel, cal), first_open=first_open)
    lines = [Line(x.period.key, x.amount, _OUT.get(x.kind, x.kind)) for x in merged.lines]
    return _merge(lines), closed(revised) - closed(posted)


def schedules_of(record: ContractRecord) -> list[eng.Schedule]:
    cal = record_calendar(record)
    return [engine_schedule(o.obligation.id, record.currency, o.lines, cal) for o in record.obligations]


def billing_events(record: ContractRecord) -> list[eng.BillingEvent]:
    cal = record_calendar(record)
    out = []
    for b in record.billings:
        # A document dated in a closed period posts on the first day of the period it was moved to.
        posted = cal.from_wire(b.accounting_period)
        on = b.document_date if cal.period_of(b.document_date).key == posted else cal.period(posted).start
        out.append(eng.BillingEvent(id=b.id, kind=eng.BillingKind(b.kind.value), on=on, amount=b.amount.amount_minor,
                                    currency=b.amount.currency))
    return out


def balances(record: ContractRecord) -> list[eng.PeriodBalance]:
    """Per-period balances of one contract (engine roll-forward rows)."""
    return eng.contract_balances(currency=record.currency, schedules=schedules_of(record),
                                 events=billing_events(record), calendar=record_calendar(record).engine)


def recognized_in(records: Iterable[ContractRecord], period: str) -> dict[str, int]:
    """Revenue of ``period`` per currency over ``records``."""
    out: dict[str, int] = {}
    for record in records:
        amount = sum(x.amount for o in record.obligations for x in o.lines if x.period == period)
        out[record.currency] = out.get(record.currency, 0) + amount
    return out


def deferred_at(records: Iterable[ContractRecord], period: str) -> dict[str, int]:
    """Deferred revenue (contract liability) at the end of ``period`` per currency."""
    out: dict[str, int] = {}
    for record in records:
        rows = [b for b in balances(record) if b.period <= period]
        out[record.currency] = out.get(record.currency, 0) + (rows[-1].closing_liability if rows else 0)
    return out


def _lines(entry: eng.JournalEntry, contract_id: str, accounts: Mapping[str, GlAccountRef]) -> list[JournalLine]:
    return [JournalLine(account=accounts[x.account], side=EntrySide.DEBIT if x.debit else EntrySide.CREDIT,
                        amount=Money(amount_minor=x.debit or x.credit, currency=entry.currency),
                        dimensions={"contract_id": contract_id}) for x in entry.lines]


def _contract_entries(record: ContractRecord, period: str, functional: bool) -> list[eng.JournalEntry]:
    if functional and record.functional_currency is not None:
        return list(ledger_through(record, billing_events(record), period).entries)
    row = eng.period_balance(currency=record.currency, schedules=schedules_of(record), events=billing_events(record),
                             calendar=record_calendar(record).engine, period=period)
    return eng.journal_entries([row], record.currency)


_ORDER = {"billing": 0, "invoice": 0, "credit_note": 1, "recognition": 2, "collection": 3, "payment": 3,
          "remeasure": 4}


def _entry_id(period: str, currency: str, kind: str, functional: bool) -> str:
    return f"je-{period}-{currency}-{kind}{'-functional' if functional else ''}"


def _kind_of(entry_id: str) -> str:
    """The kind (``billing``, ``recognition``...) an id made by ``_entry_id`` names."""
    return entry_id.removesuffix("-functional").rsplit("-", 1)[-1]


def period_entries(records: Iterable[ContractRecord], period: str, cal: Calendar, functional: bool = False,
                   accounts: Mapping[str, GlAccountRef] = ACCOUNTS) -> list[JournalEntry]:
    """One balanced entry per currency and kind (billing, recognition, collection) for ``period``.

    Each contract's lines carry its id as a dimension; as every contract's part balances, so does the entry,
    and ``JournalEntry`` refuses to exist otherwise. With ``functional``, a contract that has a functional
    currency is booked in it (kinds invoice, credit_note, payment, recognition, remeasure; FX on its own account).
    """
    grouped: dict[tuple[str, str], list[JournalLine]] = {}
    for record in records:
        for entry in _contract_entries(record, period, functional):
            if entry.period == period:
                grouped.setdefault((entry.currency, entry.memo), []).extend(_lines(entry, record.id, accounts))
    last_day, wire = cal.last_day(period), cal.wire(period)
    return [JournalEntry(id=_entry_id(period, currency, memo, functional), entry_date=last_day, accounting_period=wire,
                         memo=f"revrec {memo} {period}", lines=lines, source="revrec")
            for (currency, memo), lines in sorted(grouped.items(), key=lambda kv: (kv[0][0], _ORDER[kv[0][1]]))]


_DOCUMENT_KINDS = ("billing", "invoice", "credit_note")
"""Entries of documents the ERP posts itself (an invoice or credit memo moves its receivable)."""
_ERP_OWN_KINDS = ("collection", "payment", "remeasure")
"""Entries the ERP makes whole by itself: payments, and the revaluation of its open receivables."""


def erp_share(entries: Iterable[JournalEntry], accounts: Mapping[str, GlAccountRef]) -> list[JournalEntry]:
    """What the GL still needs from the book when the ERP posts invoices, credit memos and payments itself.

    An ERP invoice debits the receivable and credits deferred revenue (its items' deferred revenue account); a
    payment credits the receivable. Posting the book's billing and collection entries as well would count the
    receivable and cash twice. So: recognition entries as they are; a billing or credit entry with its
    receivable line moved onto deferred revenue, which leaves only the share of it that relieves the contract
    asset (Dr deferred revenue / Cr contract asset); collections and FX remeasurement of the receivable left out.
    """
    # By name: the book names its accounts by role whatever their numbers, and an entry stored at a close keeps
    # the numbers of its day.
    receivable, deferred_name = ACCOUNTS["accounts_receivable"].name, ACCOUNTS["deferred_revenue"].name
    out: list[JournalEntry] = []
    for entry in entries:
        deferred = next((x.account for x in entry.lines if x.account.name == deferred_name),
                        accounts["deferred_revenue"])
        kind = _kind_of(entry.id or "")
        if kind in _ERP_OWN_KINDS:
            continue
        if kind not in _DOCUMENT_KINDS:
            out.append(entry)
            continue
        nets: dict[tuple[str, str, str], int] = {}
        refs: dict[str, GlAccountRef] = {}
        for line in entry.lines:
            account = deferred if line.account.name == receivable else line.account
            refs[account.number] = account
            key = (account.number, line.amount.currency, line.dimensions.get("contract_id", ""))
            sign = 1 if line.side is EntrySide.DEBIT else -1
            nets[key] = nets.get(key, 0) + sign * line.amount.amount_minor
        lines = [JournalLine(account=refs[number], side=EntrySide.DEBIT if net > 0 else EntrySide.CREDIT,
                             amount=Money(amount_minor=abs(net), currency=currency),
                             dimensions={"contract_id": contract} if contract else {})
                 for (number, currency, contract), net in nets.items() if net]
        if lines:
            out.append(msgspec.structs.replace(entry, id=f"{entry.id}-asset-reclass", lines=lines,
                                               memo=f"{entry.memo} (contract asset share)"))
    return out


def horizon(after: str, cal: Calendar, periods: int = 12) -> list[str]:
    """Keys of the ``periods`` periods after ``after`` (the current-liability horizon: a year of periods)."""
    keys, key = [], after
    for _ in range(periods):
        key = cal.next_key(key)
        keys.append(key)
    return keys

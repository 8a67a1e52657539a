"""How the console writes amounts, ages, instants and statuses for people (Jinja filters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.money import UnknownCurrencyError, exponent

__all__ = ["FILTERS", "STATUS_LABELS", "age", "compact", "days", "label", "money", "percent", "seconds", "when"]

STATUS_LABELS = {
    "pending_validation": "Pending validation",
    "blocked_master_data": "Blocked: master data",
    "awaiting_billing": "Awaiting billing",
    "awaiting_erp_posting": "Awaiting ERP posting",
    "awaiting_revenue_schedule": "Awaiting revenue schedule",
    "completed": "Completed",
    "needs_attention": "Needs attention",
    "cancelled": "Cancelled",
    "sales_ops": "Sales ops",
    "finance_ops": "Finance ops",
    "billing_ops": "Billing ops",
    "integration": "Integration",
    "viewer": "Viewer",
    "dead_lettered": "Dead-lettered",
}


_ACRONYMS = {"erp": "ERP", "crm": "CRM", "arr": "ARR", "sku": "SKU", "gl": "GL"}


def _places(currency: str) -> int:
    try:
        return exponent(currency)
    except UnknownCurrencyError:
        return 2


def money(minor: int | None, currency: str) -> str:
    """``USD 1,234.56`` (the currency's own number of decimals; a minus sign for credits)."""
    if minor is None:
        return "-"
    places = _places(currency)
    whole, fraction = divmod(abs(int(minor)), 10**places)
    text = f"{whole:,}" + (f".{fraction:0{places}d}" if places else "")
    return f"{currency} {'-' if minor < 0 else ''}{text}"


def compact(minor: int, currency: str) -> str:
    """A short axis label in whole units: ``12.5k``, ``1.2M``."""
    units = int(minor) / 10 ** _places(currency)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(units) >= limit:
            return f"{units / limit:.3g}{suffix}"
    return f"{units:.3g}" if units else "0"


def label(value: Any) -> str:
    """A status, owner or role in words."""
    if value is None:
        return "-"
    text = str(value)
    if text in STATUS_LABELS:
        return STATUS_LABELS[text]
    words = [_ACRONYMS.get(word, word) for word in text.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def age(seconds: int | None) -> str:
    """``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def when(value: datetime | date | str | None) -> str:
    """An instant as ``2025-01-03 14:22:05 UTC`` (dates as ``2025-01-03``)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def percent(fraction: float | None) -> str:
    """A fraction as a percentage with at most two decimals: ``0.99`` -> ``99 %``, ``1/3`` -> ``33.33 %``."""
    if fraction is None:
        return "-"
    text = f"{fraction * 100:.2f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('-0', '') else text} %"


def seconds(value: float | None) -> str:
    """A length of time: ``0.42 s`` under a minute (two decimals), else as ``age`` writes it."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f} s"
    return age(round(value))


def days(value: float | None) -> str:
    """``2.5 days`` (one decimal)."""
    if value is None:
        return "-"
    return f"{value:.1f} day{'' if f'{value:.1f}' == '1.0' else 's'}"


FILTERS = {"money": money, "compact": compact, "label": label, "age": age, "when": when, "duration": duration,
           "percent": percent, "seconds": seconds, "days": days}

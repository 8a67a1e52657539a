"""Charts as server-rendered SVG: grouped bars, lines and bridges (waterfalls). Pure functions, no I/O.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` naming what it shows, a ``<title>``
per mark (the browser shows it on hover and screen readers read it), text labels instead of colour alone,
and colours from the Okabe-Ito palette darkened to at least 3:1 against white. The page puts the same
figures in a table beside each chart. Presentation is in SVG attributes, not ``style``, so the page's
Content-Security-Policy can forbid inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["COLOURS", "Series", "Step", "bars", "bridge", "lines"]

COLOURS = {"bookings": "#0072B2", "billings": "#B35900", "recognized": "#00775A", "deferred": "#6A3D9A",
           "arr": "#0072B2", "up": "#00775A", "down": "#B2182B", "total": "#4D4D4D"}
_W, _H = 720, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 76, 16, 16, 52
Formatter = Callable[[int], str]


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]


@dataclass(frozen=True)
class Step:
    """One bar of a bridge: a ``total`` (from zero) or a ``delta`` (from the running total)."""

    label: str
    value: int
    kind: str = "delta"


def _nice(span: float) -> float:
    if span <= 0:
        return 1.0
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _scale(low: int, high: int) -> tuple[float, float, list[float]]:
    low, high = min(low, 0), max(high, 0)
    step = _nice(high - low or 1)
    lo, hi = math.floor(low / step) * step, math.ceil(high / step) * step
    hi = hi if hi > lo else lo + step
    ticks = [lo + i * step for i in range(round((hi - lo) / step) + 1)]
    return lo, hi, ticks


class _Canvas:
    def __init__(self, chart_id: str, title: str, desc: str, low: int, high: int, axis: Formatter) -> None:
        self.lo, self.hi, ticks = _scale(low, high)
        self.parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
                      f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
                      f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
        for tick in ticks:
            y = self.y(tick)
            self.parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                              f'stroke="{"#555" if tick == 0 else "#ddd"}" stroke-width="1"/>')
            self.parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
                              f'fill="#333">{escape(axis(int(tick)))}</text>')

    @property
    def plot_width(self) -> float:
        return _W - _LEFT - _RIGHT

    def y(self, value: float) -> float:
        return _TOP + (self.hi - value) / (self.hi - self.lo) * (_H - _TOP - _BOTTOM)

    def label(self, x: float, text: str) -> None:
        self.parts.append(f'<text x="{x:.1f}" y="{_H - _BOTTOM + 18}" text-anchor="middle" font-size="12" '
                          f'fill="#333">{escape(text)}</text>')

    def rect(self, x: float, width: float, a: float, b: float, colour: str, tip: str) -> None:
        top, bottom = self.y(max(a, b)), self.y(min(a, b))
        self.parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{max(bottom - top, 1):.1f}" '
                          f'fill="{colour}"><title>{escape(tip)}</title></rect>')

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        x = _LEFT
        for name, colour in entries:
            self.parts.append(f'<rect x="{x}" y="{_H - 18}" width="12" height="12" fill="{colour}"/>'
                              f'<text x="{x + 16}" y="{_H - 8}" font-size="12" fill="#222">{escape(name)}</text>')
            x += 24 + 7 * len(name)

    def done(self) -> Markup:
        return Markup("".join([*self.parts, "</svg>"]))


def _every(count: int) -> int:
    return max(1, math.ceil(count / 12))


def bars(chart_id: str, title: str, desc: str, categories: Sequence[str], series: Sequence[Series],
         axis: Formatter, value: Formatter) -> Markup:
    """Grouped bars: one group per category, one bar per series."""
    values = [v for s in series for v in s.values] or [0]
    canvas = _Canvas(chart_id, title, desc, min(values), max(values), axis)
    group = canvas.plot_width / max(len(categories), 1)
    width = group * 0.8 / max(len(series), 1)
    for i, category in enumerate(categories):
        left = _LEFT + i * group + group * 0.1
        for j, s in enumerate(series):
            canvas.rect(left + j * width, width * 0.92, 0, s.values[i], s.colour,
                        f"{category} {s.name}: {value(s.values[i])}")
        if i % _every(len(categories)) == 0:
            canvas.label(_LEFT + (i + 0.5) * group, category)
    canvas.legend([(s.name, s.colour) for s in series])
    return canvas.done()


def lines(chart_id: str, title: str, desc: str, categories: Sequence[str], series: Sequence[Series],
          axis: Formatter, value: Formatter) -> Markup:
    """One line (with a marker per point) per series."""
    values = [v for s in series for v in s.values] or [0]
    canvas = _Canvas(chart_id, title, desc, min(values), max(values), axis)
    step = canvas.plot_width / max(len(categories), 1)
    for s in series:
        points = [(_LEFT + (i + 0.5) * step, canvas.y(v)) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        canvas.parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2.5"/>')
        for (x, y), category, v in zip(points, categories, s.values, strict=False):
            canvas.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{s.colour}">'
                                f'<title>{escape(f"{category} {s.name}: {value(v)}")}</title></circle>')
    for i, category in enumerate(categories):
        if i % _every(len(categories)) == 0:
            canvas.label(_LEFT + (i + 0.5) * step, category)
    canvas.legend([(s.name, s.colour) for s in series])
    return canvas.done()


def bridge(chart_id: str, title: str, desc: str, steps: Sequence[Step], axis: Formatter, value: Formatter) -> Markup:
    """A waterfall: totals stand on zero, deltas float from the running total (up green, down red)."""
    running, spans = 0, []
    for step in steps:
        start, running = (0, step.value) if step.kind == "total" else (running, running + step.value)
        spans.append((start, running))
    ends = [v for span in spans for v in span] or [0]
    canvas = _Canvas(chart_id, title, desc, min(ends), max(ends), axis)
    slot = canvas.plot_width / max(len(steps), 1)
    for i, (step, (start, end)) in enumerate(zip(steps, spans, strict=True)):
        colour = COLOURS["total"] if step.kind == "total" else COLOURS["up" if step.value >= 0 else "down"]
        sign = "" if step.kind == "total" else ("+" if step.value >= 0 else "-")
        canvas.rect(_LEFT + i * slot + slot * 0.15, slot * 0.7, start, end, colour,
                    f"{step.label}: {sign}{value(abs(step.value)) if sign else value(step.value)}")
        canvas.label(_LEFT + (i + 0.5) * slot, step.label)
        top = canvas.y(max(start, end))
        canvas.parts.append(f'<text x="{_LEFT + (i + 0.5) * slot:.1f}" y="{max(top - 4, _TOP + 10):.1f}" '
                            f'text-anchor="middle" font-size="12" font-weight="600" fill="#222">'
                            f'{escape(sign + axis(abs(step.value)) if sign else axis(step.value))}</text>')
    canvas.legend([("Balance", COLOURS["total"]), ("Increase", COLOURS["up"]), ("Decrease", COLOURS["down"])])
    return canvas.done()

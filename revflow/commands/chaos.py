"""``revflow chaos``: the whole topology under vendor faults, duplicated closes and SIGKILLs, then counted.

Prints the figures (deals, faults injected, kills, workflows completed / needs_attention / lost, duplicates
per sandbox, reconciliation differences) and exits 1 unless lost = 0, duplicates = 0 and unexplained
differences = 0. It starts its own processes on free ports under its own Redis key prefix, so a ``revflow up``
running alongside is left alone.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click

__all__ = ["chaos"]

PROFILE_NAMES = ("default", "short")
"""``revflow.chaos.PROFILES``' names (the package itself is imported only when the command runs: every
``revflow`` process imports this module)."""


@click.command()
@click.option("--profile", "profile_name", type=click.Choice(PROFILE_NAMES), default="default",
              show_default=True, help="short: 30 deals, 3 kills (a check); default: 1,000 deals, 6 kills.")
@click.option("--deals", type=click.IntRange(min=1), default=None, help="Deals to win (overrides the profile).")
@click.option("--seed", type=int, default=None, help="Seeds deals, faults, kills and duplicate order.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Quote-to-cash worker processes.")
@click.option("--kills", type=click.IntRange(min=0), default=None,
              help="Kill events (every third hits a service, the next every worker at once).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (progress goes to stderr).")
@click.option("--logs", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where workers and restarted services log (default .revflow/chaos/<time>).")
@click.option("--keep-keys", is_flag=True, help="Leave the run's Redis keys behind (to inspect them).")
def chaos(profile_name: str, deals: int | None, seed: int | None, workers: int | None, kills: int | None,
          as_json: bool, logs: Path | None, keep_keys: bool) -> None:
    """Run revflow under chaos and count what was lost, duplicated or left unexplained (exit 1 if any)."""
    from rich.console import Console

    from revflow.chaos import PROFILES, render, run_chaos

    chosen = {"deals": deals, "seed": seed, "workers": workers, "kills": kills}
    profile = replace(PROFILES[profile_name], **{k: v for k, v in chosen.items() if v is not None})
    logs = logs or Path(".revflow") / "chaos" / time.strftime("%Y%m%dT%H%M%S")
    progress = Console(stderr=True)
    console = Console(width=None if sys.stdout.isatty() else 160)

    def say(line: str) -> None:
        progress.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {line}")

    figures = run_chaos(profile, logs, say, keep_keys=keep_keys)
    if as_json:
        sys.stdout.write(figures.to_json().decode() + "\n")
    else:
        render(console, figures)
    if not figures.ok:
        raise SystemExit(1)

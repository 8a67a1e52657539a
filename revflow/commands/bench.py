"""``revflow bench``: run the benchmarks in ``bench/`` and record their figures in ``bench/RESULTS.md``.

Each bench runs in a process of its own and prints as it goes; a bench that fails says why and the command
exits non-zero once the others have run. The figures go between each bench's markers in ``RESULTS.md`` (and
the machine's in its own block); the prose around them is left as it is. ``--quick`` is the short mode CI runs:
it writes nothing unless asked (``--write``), so a smoke run never replaces a full run's figures by accident;
when asked, its blocks say they are short-mode figures.
"""

from __future__ import annotations

from pathlib import Path

import click

from revflow.benchmarks import (
    RESULTS,
    Outcome,
    RunInfo,
    discover,
    machine_info,
    record_block,
    render_machine,
    render_outcome,
    scripts_without_run,
)
from revflow.benchmarks import run_bench as run_one

__all__ = ["bench"]


@click.command()
@click.argument("names", nargs=-1)
@click.option("--quick", is_flag=True, help="Short mode: every bench's small profile (what CI runs).")
@click.option("--write/--no-write", default=None,
              help="Record the figures in the results file (default: yes for full runs, no with --quick).")
@click.option("--results", type=click.Path(dir_okay=False, path_type=Path), default=RESULTS, show_default=True,
              help="The results file whose marked blocks are replaced.")
@click.option("--timeout", type=float, default=None,
              help="Seconds one bench may take before it is stopped (default: 300 with --quick, else 1800).")
@click.option("--list", "list_only", is_flag=True, help="Name the benches and exit.")
def bench(names: tuple[str, ...], quick: bool, write: bool | None, results: Path, timeout: float | None,
          list_only: bool) -> None:
    """Run the benchmarks in bench/ (all, or the NAMES given) and record their figures."""
    known = discover()
    for script in scripts_without_run():
        click.echo(f"note: bench/{script}.py has no run(quick) returning a BenchResult: not run", err=True)
    if list_only:
        click.echo("\n".join(known))
        return
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"no such bench: {', '.join(unknown)} (benches: {', '.join(known)})",
                                 param_hint="NAMES")
    chosen = list(dict.fromkeys(names)) or known
    write = (not quick) if write is None else write
    info = machine_info()
    click.echo(f"revflow bench: {', '.join(chosen)}{' (short mode)' if quick else ''}; commit {info.commit}, "
               f"{info.machine['cores']} cores, load {info.machine['load average at the start (1 / 5 / 15 min)']}")
    outcomes: list[Outcome] = []
    for name in chosen:
        click.echo(f"\n=== {name}{' --quick' if quick else ''} ===")
        outcome = run_one(name, quick=quick, timeout=timeout or (300.0 if quick else 1800.0))
        outcomes.append(outcome)
        if outcome.error is None:
            click.echo(f"\n--- {name}: figures ({outcome.seconds:.1f} s) ---\n{render_outcome(outcome, info)}")
        else:
            click.echo(f"\n--- {name}: FAILED after {outcome.seconds:.1f} s: {outcome.error}", err=True)
    if write:
        _write(results, outcomes, info, quick)
    failed = [o for o in outcomes if o.error is not None]
    click.echo("\nsummary:")
    for o in outcomes:
        click.echo(f"  {o.name:16} {o.seconds:7.1f} s ({o.cpu_seconds:6.1f} s CPU)  "
                   f"{'ok' if o.error is None else 'FAILED: ' + o.error}")
    click.echo(f"  {'total':16} {sum(o.seconds for o in outcomes):7.1f} s "
               f"({sum(o.cpu_seconds for o in outcomes):6.1f} s CPU)")
    if failed:
        raise SystemExit(1)


def _write(results: Path, outcomes: list[Outcome], info: RunInfo, quick: bool) -> None:
    done = [o for o in outcomes if o.error is None]
    if not done:
        click.echo(f"\nnothing recorded in {results.name}: every bench failed", err=True)
        return
    record_block("machine", render_machine(info, [o.name for o in done], quick), results)
    for outcome in done:
        record_block(outcome.name, render_outcome(outcome, info), results)
    click.echo(f"\nrecorded {', '.join(o.name for o in done)} in {results}")

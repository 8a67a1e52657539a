"""``revflow up``: start every component on its fixed port and keep them running until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading

import click
from rich.console import Console
from rich.table import Table

from revflow.launcher import LOG_DIR, Running, running_topology
from revflow.topology import TOPOLOGY

__all__ = ["print_topology", "up"]


def print_topology(console: Console, running: Running) -> None:
    """The table of what runs where, with the dev credentials."""
    table = Table(title="revflow is running", title_justify="left")
    for column in ("component", "kind", "url", "what"):
        table.add_column(column)
    for component in running.components:
        where = f"http://127.0.0.1:{component.port}" if component.port else "(no HTTP)"
        table.add_row(component.name, component.kind, where, component.description)
    console.print(table)
    if running.embedded_redis:
        console.print(f"[yellow]No Redis answered; using the embedded one at {running.redis_url} "
                      "(state is lost when revflow stops).[/yellow]")
    else:
        console.print(f"Redis: {running.redis_url}")
    console.print("Dev client: [bold]revflow-dev[/bold] / revflow-dev-secret  ->  "
                  "uv run revflow token --scope 'example:read example:write' --audience example")
    console.print(f"Logs: {LOG_DIR}/<component>.log")


@click.command()
def up() -> None:
    """Start the issuer and every service as its own process; Ctrl-C stops them all."""
    console = Console()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGHUP):  # a closed terminal stops them too (they run in their own groups)
        signal.signal(sig, lambda *_: stop.set())
    with running_topology(TOPOLOGY) as running:
        print_topology(console, running)
        console.print("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    console.print("stopped.")

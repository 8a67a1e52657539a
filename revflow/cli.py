"""The ``revflow`` command: one entry point for people and scripts.

Each command group lives in its own module under ``revflow/commands/`` and is registered here, so the list
below is the whole surface of the CLI.
"""

from __future__ import annotations

import click

from revflow.commands import audit, check, contracts, demo, dlq, serve, slo, token, up, worker
from revflow.commands.bench import bench
from revflow.commands.chaos import chaos
from revflow.compose import compose

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="revflow")
def cli() -> None:
    """revflow keeps CRM, billing, ERP and revenue recognition in step."""


cli.add_command(up.up)
cli.add_command(demo.demo)
cli.add_command(serve.serve)
cli.add_command(serve.sandbox)
cli.add_command(contracts.contracts)
cli.add_command(compose)
cli.add_command(audit.audit)
cli.add_command(dlq.dlq)
cli.add_command(token.token)
cli.add_command(worker.worker)
cli.add_command(check.check)
cli.add_command(slo.slo)
cli.add_command(bench)
cli.add_command(chaos)


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()

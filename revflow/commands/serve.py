"""``revflow serve NAME``: run one service or sandbox as its own HTTP server process."""

from __future__ import annotations

import click

from revflow.topology import TOPOLOGY, component, sandboxes

__all__ = ["sandbox", "serve"]


def _options(command):  # type: ignore[no-untyped-def]
    for option in reversed([
        click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind."),
        click.option("--port", type=int, default=None, help="Port (default: the component's fixed port)."),
        click.option("--workers", type=int, default=1, show_default=True, help="Worker processes."),
        click.option("--server", type=click.Choice(["granian", "uvicorn"]), default="granian", show_default=True),
    ]):
        command = option(command)
    return command


@click.command()
@click.argument("name", type=click.Choice([c.name for c in TOPOLOGY]))
@_options
def serve(name: str, host: str, port: int | None, workers: int, server: str) -> None:
    """Serve the component NAME (settings come from REVFLOW_<NAME>_* environment variables)."""
    target = component(name)
    port = port or target.port
    click.echo(f"serving {name} ({target.description}) on http://{host}:{port}", err=True)
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(target.factory, factory=True, host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(target.factory, address=host, port=port, interface=Interfaces.ASGI, factory=True,
            workers=workers, log_access=False).serve()


@click.command()
@click.argument("vendor", type=click.Choice([c.name for c in sandboxes()]))
@_options
@click.pass_context
def sandbox(ctx: click.Context, vendor: str, host: str, port: int | None, workers: int, server: str) -> None:
    """Serve the sandbox of VENDOR (a local emulator of its API; state lives in the process)."""
    ctx.invoke(serve, name=vendor, host=host, port=port, workers=workers, server=server)

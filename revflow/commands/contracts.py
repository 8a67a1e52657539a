"""``revflow contracts export|check``: the published OpenAPI contracts of every service.

``export`` writes ``contracts/openapi/<service>.v<major>.json`` (and the AsyncAPI event catalogue).
``check`` regenerates them in memory and fails when a committed file is stale, naming every breaking change
against the committed (or ``--against``) version, so a published major cannot silently break its clients.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from revflow.openapi_compat import breaking_changes, majors, spec_for_major
from revflow.topology import services

__all__ = ["contracts", "generate_contracts"]

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_DIR = ROOT / "contracts" / "openapi"


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_contracts() -> dict[str, dict[str, Any]]:
    """Every service's OpenAPI, one document per major version, keyed by file name."""
    out: dict[str, dict[str, Any]] = {}
    for component in services():
        full = component.create_app().openapi_schema.to_schema()
        for major in majors(full):
            out[f"{component.name}.v{major}.json"] = spec_for_major(full, major)
    return out


@click.group()
def contracts() -> None:
    """Export and check the published API contracts."""


@contracts.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=OPENAPI_DIR,
              show_default=True)
def export(out_dir: Path) -> None:
    """Write every service's OpenAPI per major version (and the AsyncAPI catalogue)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = generate_contracts()
    for stale in set(p.name for p in out_dir.glob("*.json")) - set(generated):
        (out_dir / stale).unlink()
        click.echo(f"removed {stale}")
    for name, document in sorted(generated.items()):
        (out_dir / name).write_text(_dump(document), encoding="utf-8")
        click.echo(f"wrote {out_dir.name}/{name}")
    _export_asyncapi()


def _export_asyncapi() -> None:
    try:
        from contracts.asyncapi import write_asyncapi
    except ImportError:
        return
    path = ROOT / "contracts" / "asyncapi.yaml"
    write_asyncapi(path)
    click.echo(f"wrote contracts/{path.name}")


@contracts.command()
@click.option("--against", "baseline_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Directory of published contracts to check compatibility against "
              "(default: the committed contracts/openapi).")
def check(baseline_dir: Path | None) -> None:
    """Fail when committed contracts are stale or a published major changed incompatibly."""
    committed_dir = OPENAPI_DIR
    baseline_dir = baseline_dir or committed_dir
    generated = generate_contracts()
    failures = 0
    for name, document in sorted(generated.items()):
        baseline = baseline_dir / name
        if baseline.exists():
            for change in breaking_changes(json.loads(baseline.read_text(encoding="utf-8")), document):
                click.echo(f"BREAKING {name}: {change}", err=True)
                failures += 1
        committed = committed_dir / name
        if not committed.exists() or committed.read_text(encoding="utf-8") != _dump(document):
            click.echo(f"STALE {name}: run `revflow contracts export` and commit the result", err=True)
            failures += 1
    for extra in sorted(set(p.name for p in committed_dir.glob("*.json")) - set(generated)):
        click.echo(f"STALE {extra}: no service publishes it any more (retiring a major needs a decision)", err=True)
        failures += 1
    failures += _check_asyncapi()
    if failures:
        sys.exit(1)
    click.echo(f"contracts OK: {len(generated)} OpenAPI documents match the code, no breaking change")


def _check_asyncapi() -> int:
    try:
        from contracts.asyncapi import build_asyncapi
    except ImportError:
        return 0
    import yaml

    path = ROOT / "contracts" / "asyncapi.yaml"
    if not path.exists() or yaml.safe_load(path.read_text(encoding="utf-8")) != build_asyncapi():
        click.echo("STALE asyncapi.yaml: run `revflow contracts export` and commit the result", err=True)
        return 1
    return 0

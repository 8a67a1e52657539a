"""``revflow contracts export|check``: the published OpenAPI contracts of every service.

``export`` writes ``contracts/openapi/<service>.v<major>.json`` (and the AsyncAPI event catalogue): the
contract as the code defines it now. ``publish`` copies those into ``contracts/openapi/published/``: what
clients were promised. It refuses a breaking change unless given ``--allow-breaking REASON``, which is
recorded in ``published/BREAKING.md`` for review. ``check`` regenerates the contracts in memory and fails when
a committed file is stale, or when the code breaks a published major, so re-exporting alone can never hide
a breaking change.
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
PUBLISHED_DIR = OPENAPI_DIR / "published"


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
    for stale in {p.name for p in out_dir.glob("*.json")} - set(generated):
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
@click.option("--allow-breaking", "reason", default=None,
              help="Publish even though clients of a published major would break; the reason is recorded.")
def publish(reason: str | None) -> None:
    """Promise the current contracts to clients (refuses breaking changes to a published major)."""
    PUBLISHED_DIR.mkdir(parents=True, exist_ok=True)
    generated = generate_contracts()
    breaking = _breaking(generated, PUBLISHED_DIR)
    if breaking and reason is None:
        for line in breaking:
            click.echo(f"BREAKING {line}", err=True)
        sys.exit("refused: a published major would break; start a new major or pass --allow-breaking REASON")
    if breaking:
        with (PUBLISHED_DIR / "BREAKING.md").open("a", encoding="utf-8") as log:
            log.write(f"\n## {reason}\n\n" + "".join(f"- {line}\n" for line in breaking))
    for name, document in sorted(generated.items()):
        (PUBLISHED_DIR / name).write_text(_dump(document), encoding="utf-8")
        click.echo(f"published {name}")


def _breaking(generated: dict[str, dict[str, Any]], baseline_dir: Path) -> list[str]:
    found = []
    for name, document in sorted(generated.items()):
        baseline = baseline_dir / name
        if baseline.exists():
            found += [f"{name}: {change}" for change in
                      breaking_changes(json.loads(baseline.read_text(encoding="utf-8")), document)]
    return found


@contracts.command()
@click.option("--published", "published_dir", type=click.Path(file_okay=False, path_type=Path),
              default=PUBLISHED_DIR, show_default=True, help="The contracts promised to clients.")
def check(published_dir: Path) -> None:
    """Fail when committed contracts are stale or the code breaks a published major."""
    generated = generate_contracts()
    failures = 0
    for line in _breaking(generated, published_dir):
        click.echo(f"BREAKING {line}", err=True)
        failures += 1
    for name, document in sorted(generated.items()):
        committed = OPENAPI_DIR / name
        if not committed.exists() or committed.read_text(encoding="utf-8") != _dump(document):
            click.echo(f"STALE {name}: run `revflow contracts export` and commit the result", err=True)
            failures += 1
        if not (published_dir / name).exists():
            click.echo(f"note: {name} is not published yet (`revflow contracts publish`)", err=True)
    for extra in sorted({p.name for p in OPENAPI_DIR.glob("*.json")} - set(generated)):
        click.echo(f"STALE {extra}: no service publishes it any more (retiring a major needs a decision)", err=True)
        failures += 1
    failures += _check_asyncapi()
    if failures:
        sys.exit(1)
    click.echo(f"contracts OK: {len(generated)} OpenAPI documents match the code, no published major broken")


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

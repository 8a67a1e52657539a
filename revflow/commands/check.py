"""``revflow check contracts [--deep]``: fuzz every service against its own committed OpenAPI with schemathesis.

The CI profile (the default, part of ``uv run pytest``) generates a few cases per operation and mode; ``--deep``
generates many more (``REVFLOW_FUZZ_EXAMPLES``). Every service's ``test_schemathesis.py`` runs: stateless cases,
positive and negative, authenticated, checked for server errors, documented statuses and content types,
response-schema conformance and rejection of invalid input; and stateful flows following the documents' OpenAPI
links (create -> read -> update), longer and more of them with ``--deep`` (``REVFLOW_FUZZ_STATEFUL_SCENARIOS``,
``REVFLOW_FUZZ_STATEFUL_STEPS``). Needs a Redis like the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

__all__ = ["check"]

ROOT = Path(__file__).resolve().parents[2]
DEEP_EXAMPLES = 200
DEEP_SCENARIOS, DEEP_STEPS = 100, 12


@click.group()
def check() -> None:
    """Checks anyone can run: contract fuzzing."""


@check.command("contracts")
@click.option("--deep", is_flag=True, help=f"The long profile: {DEEP_EXAMPLES} generated cases per operation and mode, "
              f"{DEEP_SCENARIOS} stateful scenarios of up to {DEEP_STEPS} steps per flow.")
@click.option("--examples", type=int, default=None, help="Generated cases per operation and mode (overrides --deep).")
def contracts(deep: bool, examples: int | None) -> None:
    """Run schemathesis over every service's OpenAPI; exit non-zero on any server error or contract violation."""
    env = dict(os.environ)
    if examples or deep:
        env["REVFLOW_FUZZ_EXAMPLES"] = str(examples or DEEP_EXAMPLES)
    if deep:
        env.setdefault("REVFLOW_FUZZ_STATEFUL_SCENARIOS", str(DEEP_SCENARIOS))
        env.setdefault("REVFLOW_FUZZ_STATEFUL_STEPS", str(DEEP_STEPS))
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_schemathesis.py"))
    click.echo(f"fuzzing {len(files)} services ({env.get('REVFLOW_FUZZ_EXAMPLES', 'CI profile')} cases per "
               "operation and mode)", err=True)
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files], cwd=ROOT,
                             env=env))

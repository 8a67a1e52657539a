"""A newcomer's first command: ``revflow demo`` starts every component as its own process, runs the platform
checks and the quote-to-cash stories over real HTTP, and exits 0 only when everything passed and reconciled."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from revflow.stories.quote_to_cash import STORIES
from tests.conftest import REDIS_URL, delete_keys

ROOT = Path(__file__).resolve().parents[2]


def test_revflow_demo_runs_every_step_and_exits_zero():
    prefix = f"test:{uuid.uuid4().hex[:12]}:demo:"
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "REDIS_URL": REDIS_URL, "REVFLOW_KEY_PREFIX": prefix}
    try:
        result = subprocess.run([sys.executable, "-m", "revflow.cli", "demo"], cwd=ROOT, capture_output=True,
                                text=True, timeout=600, env=env)
    finally:
        delete_keys(prefix)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Everything reconciled" in result.stdout
    assert result.stdout.count("│ ok ") == 7 + len(STORIES), result.stdout
    assert "FAILED" not in result.stdout

"""A newcomer's first command: ``revflow demo`` starts the issuer and the example service as processes,
drives every step over real HTTP and exits 0 only when each check passed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_revflow_demo_runs_every_step_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "revflow.cli", "demo"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin",
                                                         "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All steps passed" in result.stdout
    assert result.stdout.count("│ ok ") == 7, result.stdout

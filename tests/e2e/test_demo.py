"""A newcomer's first command: ``revflow demo`` starts every component as its own process, runs the platform
checks and the quote-to-cash stories over real HTTP, and exits 0 only when everything passed and reconciled."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from revflow.stories.quote_to_cash import STORIES
from revflow.topology import TOPOLOGY
from tests.conftest import REDIS_URL, delete_keys

ROOT = Path(__file__).resolve().parents[2]


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset() -> int:
    """An offset at which every port of the topology is free, so the demo starts its own processes.

    Without it, the demo would use whatever already answers on the fixed ports (a developer's ``revflow up``).
    """
    ports = [c.port for c in TOPOLOGY if c.port]
    for _ in range(50):
        offset = random.randrange(20_000, 50_000, 500)
        if all(_free(port + offset) for port in ports):
            return offset
    raise AssertionError("no free range of ports for the demo's topology")


def test_revflow_demo_runs_every_step_and_exits_zero():
    prefix = f"test:{uuid.uuid4().hex[:12]}:demo:"
    offset = free_port_offset()
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "REDIS_URL": REDIS_URL, "REVFLOW_KEY_PREFIX": prefix,
           "REVFLOW_PORT_OFFSET": str(offset)}
    try:
        result = subprocess.run([sys.executable, "-m", "revflow.cli", "demo"], cwd=ROOT, capture_output=True,
                                text=True, timeout=600, env=env)
    finally:
        delete_keys(prefix)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Everything reconciled" in result.stdout
    assert result.stdout.count("│ ok ") == 7 + len(STORIES), result.stdout
    assert "FAILED" not in result.stdout
    assert f"http://127.0.0.1:{8121 + offset}" in result.stdout  # its own topology, on the ports it was given

"""A bad day, shortened: ``revflow chaos --profile short`` starts the whole topology as its own processes, wins
a few dozen deals in Salesforce while NetSuite, Stripe and Salesforce fail on purpose, announces every close
several times and out of order, SIGKILLs workers and a service and restarts them; then counts.

The run must have really been chaotic (faults injected at every faulted vendor, workers and a service killed,
closes announced more than once) and still end with every deal either completed or parked for finance ops
(the deliberately blocked ones), nothing duplicated at any vendor, the reconciliation clean, and exit 0. The
run also leaves behind no Redis key under its own prefix and no process of its own (a killed service's server
worker included).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import redis

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def test_revflow_chaos_short_profile_loses_and_duplicates_nothing(tmp_path: Path):
    env = {**os.environ, "COLUMNS": "200", "REDIS_URL": REDIS_URL}
    result = subprocess.run([sys.executable, "-m", "revflow.cli", "chaos", "--profile", "short", "--json",
                             "--logs", str(tmp_path / "logs")], cwd=ROOT, capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    summary, figures = report["summary"], report["figures"]
    deals, blocked = summary["deals"], summary["blocked"]
    assert deals > 0 and 0 < blocked < deals, summary

    # It was chaotic: every faulted vendor answered with faults, processes were killed, closes were repeated.
    assert all(figures["faults_injected"][vendor] > 0 for vendor in ("netsuite", "stripe", "salesforce")), figures
    kills = figures["kills"]
    assert len(kills) >= 2 and summary["service_kills"] >= 1, kills
    assert any(name.startswith("worker") for kill in kills for name in kill["names"]), kills
    assert any(kill["in_flight"] > 0 for kill in kills), kills
    assert all(kill["pids"] for kill in kills), kills
    assert figures["duplicate_announcements"] > deals, figures["duplicate_announcements"]

    # Yet the CRM announced each close once, and every deal ended where it should.
    assert figures["closed_won_published"] == deals
    workflows = figures["workflows"]
    assert workflows["kinds"]["activation"] == deals, workflows
    assert workflows["activations_completed"] == deals - blocked, workflows
    assert workflows["expected_attention"] == workflows["needs_attention"] == blocked, workflows
    assert summary["lost"] == 0 and workflows["lost_examples"] == [], workflows
    assert summary["duplicates_per_sandbox"] == {"netsuite": 0, "stripe": 0, "salesforce": 0}, figures["vendors"]
    assert all(v["missing"] == 0 and v["unexpected"] == 0 and v["records"] > 0
               for v in figures["vendors"].values()), figures["vendors"]
    reconciliation = figures["reconciliation"]
    assert reconciliation["state"] == "succeeded", reconciliation
    assert reconciliation["deals"] == deals - blocked and summary["unexplained_differences"] == 0, reconciliation
    assert summary["ok"] is True

    # Its keys lived under a prefix of its own, removed at the end.
    prefix = re.search(r"Redis key prefix (chaos:[0-9a-f]+:)", result.stderr.replace("\n", " "))
    assert prefix, result.stderr[-2000:]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert next(client.scan_iter(match=prefix.group(1) + "*", count=1000), None) is None
    finally:
        client.close()
    # And every process it started, or started again after a kill, is gone.
    assert _processes_with(f"REVFLOW_KEY_PREFIX={prefix.group(1)}".encode()) == []


def _processes_with(variable: bytes) -> list[str]:
    """Live processes whose environment holds ``variable`` (their command lines)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if variable in environ.read_bytes().split(b"\0"):
                found.append((environ.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found

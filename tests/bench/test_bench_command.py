"""``revflow bench``: runs real benches, writes their figures between markers, keeps the prose, reports failures.

The command runs as a person or CI runs it (a subprocess of ``python -m revflow.cli``), in short mode, on the two
quickest benches (``revrec``: pure Python; ``partner``: one process and Redis), against a copy of the committed
``bench/RESULTS.md``. Nothing here is about how fast anything is.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from revflow.benchmarks import record_block
from services.runtime.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
BLOCK = re.compile(r"<!-- bench:(\w+):start -->\n(.*?)\n<!-- bench:\1:end -->", re.S)


def blocks(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in BLOCK.finditer(text)}


def prose(text: str) -> str:
    """The file with every block's content cut out (its markers left in place)."""
    return BLOCK.sub(lambda m: f"<!-- bench:{m.group(1)}:start --><!-- bench:{m.group(1)}:end -->", text)


def bench(*args: str, results: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "revflow.cli", "bench", *args, "--results", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    copy = tmp_path / "RESULTS.md"
    copy.write_text(RESULTS.read_text())
    return copy


def test_a_run_replaces_its_blocks_with_this_runs_figures_and_keeps_the_prose(results: Path) -> None:
    before = results.read_text()
    done = bench("revrec", "partner", "--quick", "--write", results=results)
    assert done.returncode == 0, done.stdout + done.stderr
    after = results.read_text()

    assert prose(after) == prose(before)
    old, new = blocks(before), blocks(after)
    assert set(new) == set(old)
    untouched = set(old) - {"machine", "revrec", "partner"}
    assert {name: new[name] for name in untouched} == {name: old[name] for name in untouched}
    assert all(new[name] != old[name] for name in ("machine", "revrec", "partner"))

    # The revrec block holds the rate this run printed, and says which run it was.
    rate = int(re.search(r"full schedules: [\d,]+ lines in [\d.]+s = ([\d,]+) lines/s", done.stdout)
               .group(1).replace(",", ""))
    cell = float(re.search(r"^\| full schedule generation .*? \| ([\d.]+) M lines/s \|", new["revrec"], re.M).group(1))
    assert abs(cell - rate / 1e6) <= 0.006
    today, commit = datetime.now(UTC).strftime("%Y-%m-%d"), head_commit()
    for name in ("revrec", "partner"):
        assert "short mode (`--quick`)" in new[name]
        assert today in new[name] and f"commit {commit}" in new[name]
    # The partner block holds the three latencies this run printed (p50 of each).
    for label, row in (("GET /health", "GET /health (baseline) p50"), ("GET /v2/webhooks", "GET /v2/webhooks p50"),
                       ("event -> webhook", "event -> webhook p50")):
        p50 = float(re.search(rf"^{re.escape(label)}\s+p50\s+([\d.]+) ms", done.stdout, re.M).group(1))
        cell = re.search(rf"^\| {re.escape(row)} \([^)]*\) \| ([\d.,]+) ms \|$", new["partner"], re.M).group(1)
        assert abs(float(cell.replace(",", "")) - p50) <= 0.01 * max(1.0, p50)

    machine = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", new["machine"], re.M))
    assert machine["cores"] == str(os.cpu_count())
    assert machine["Python"] == platform.python_version()
    assert machine["commit"].startswith(commit)
    assert machine["date"].startswith(today)
    assert re.match(r"\d+\.\d+\.\d+ ", machine["Redis"])
    assert "`revrec`, `partner`" in machine["benches in this run"]


def test_a_failing_bench_is_reported_the_others_still_run_and_the_exit_is_non_zero(results: Path) -> None:
    before = blocks(results.read_text())
    # No Redis answers on this port: the partner bench cannot work, the revenue engine needs none.
    done = bench("partner", "revrec", "--quick", "--write", results=results,
                 env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert re.search(r"partner: FAILED after [\d.]+ s: \S", output), output
    assert re.search(r"^\s+revrec\s+[\d.]+ s .* ok$", done.stdout, re.M), done.stdout
    after = blocks(results.read_text())
    assert after["partner"] == before["partner"]
    assert after["revrec"] != before["revrec"]
    assert "`revrec` in short mode" in after["machine"] and "partner" not in after["machine"]


def test_a_quick_run_writes_nothing_unless_asked(results: Path) -> None:
    before = results.read_text()
    done = bench("revrec", "--quick", results=results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "M lines/s" in done.stdout
    assert results.read_text() == before


def test_an_unknown_bench_is_refused_before_anything_runs(results: Path) -> None:
    done = bench("revrec", "no_such_bench", "--quick", "--write", results=results)
    assert done.returncode == 2
    assert "no such bench: no_such_bench" in done.stderr
    assert "=== revrec" not in done.stdout


def test_record_block_appends_a_new_block_and_refuses_broken_markers(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Results\n\nProse.\n\n<!-- bench:one:start -->\nold\n<!-- bench:one:end -->\n\nMore prose.\n")
    record_block("chaos", "| run | ok |", path)
    record_block("one", "new", path)
    assert path.read_text() == ("# Results\n\nProse.\n\n<!-- bench:one:start -->\nnew\n<!-- bench:one:end -->\n\n"
                                "More prose.\n\n<!-- bench:chaos:start -->\n| run | ok |\n<!-- bench:chaos:end -->\n")
    path.write_text("<!-- bench:one:end -->\nx\n<!-- bench:one:start -->\n")
    with pytest.raises(ValueError, match="markers of block 'one'"):
        record_block("one", "new", path)
    assert path.read_text() == "<!-- bench:one:end -->\nx\n<!-- bench:one:start -->\n"

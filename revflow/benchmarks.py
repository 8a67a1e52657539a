"""The benchmarks in ``bench/``: what each one returns, how they are found and run, and ``bench/RESULTS.md``.

A benchmark is a module ``bench/NAME.py`` with a top-level ``run(quick: bool) -> BenchResult`` (and its own
``main()`` so that ``python bench/NAME.py`` still works). ``revflow bench`` runs each one in a process of its
own (``python -m revflow.benchmarks NAME``: one bench's threads, memory or ``logging`` settings never reach the
next, and peak RSS is the bench's), then writes its figures into ``RESULTS.md`` between markers::

    <!-- bench:NAME:start -->
    ...generated...
    <!-- bench:NAME:end -->

Everything outside the markers is prose written by people and is never touched. :func:`record_block` is the
one way to write a block; other commands (``revflow chaos``) use it for theirs.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

__all__ = [
    "BENCH_DIR",
    "RESULTS",
    "BenchResult",
    "Figure",
    "Outcome",
    "Ratio",
    "RunInfo",
    "Table",
    "discover",
    "machine_info",
    "record_block",
    "render_machine",
    "render_outcome",
    "run_bench",
    "scripts_without_run",
]

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    """One measured figure, with the target it is held to (``"> 1 M lines/s: met"``) when it has one."""

    name: str
    value: float
    unit: str = ""
    target: str = ""


class Ratio(msgspec.Struct, frozen=True, kw_only=True):
    """A figure divided by the baseline measured in the same run."""

    name: str
    value: float
    target: float | None = None
    """At least this (or at most, with ``lower_is_better``); ``None`` when the ratio is context only."""
    percent: bool = True
    """Shown as a percentage (``36.1%``), else as a multiple (``3.8x``)."""
    lower_is_better: bool = False

    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.lower_is_better else self.value >= self.target


class Table(msgspec.Struct, frozen=True, kw_only=True):
    """Rows of already formatted cells, for benches whose figures are a table (pages, scenarios)."""

    columns: list[str]
    rows: list[list[str]]


class BenchResult(msgspec.Struct, kw_only=True):
    """What a bench's ``run(quick)`` returns."""

    title: str
    settings: str
    """The profile that ran, as the bench's own flags (``--deals 300 --rate 50``)."""
    baseline: str
    """What the ratios divide by, measured in the same run; empty when every target is absolute."""
    figures: list[Figure] = []
    ratios: list[Ratio] = []
    tables: list[Table] = []
    notes: list[str] = []


class Outcome(msgspec.Struct, kw_only=True):
    """One bench's run as the harness saw it: its result, or why it failed."""

    name: str
    quick: bool
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU of the bench's process and every process it started and waited for (user + system)."""
    result: BenchResult | None = None
    error: str | None = None


# --- finding and running ------------------------------------------------------------------------------------

def _functions(path: Path) -> dict[str, ast.FunctionDef] | None:
    """A module's top-level functions (read, not imported: imports are slow); ``None`` if it does not parse."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError:
        return None
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _defines_run(path: Path) -> bool:
    """Whether a module defines ``run`` at top level taking ``quick``."""
    functions = _functions(path)
    if functions is None:
        return True  # a broken bench is still a bench: running it says what is wrong
    if (run := functions.get("run")) is None:
        return False
    return any(a.arg == "quick" for a in (*run.args.posonlyargs, *run.args.args, *run.args.kwonlyargs))


def discover(bench_dir: Path = BENCH_DIR) -> list[str]:
    """The benches in ``bench_dir``, by name, sorted."""
    return sorted(p.stem for p in bench_dir.glob("*.py") if not p.name.startswith("_") and _defines_run(p))


def scripts_without_run(bench_dir: Path = BENCH_DIR) -> list[str]:
    """Modules with a ``main()`` (so, benchmark scripts) but no ``run(quick)``: ``revflow bench`` cannot run them."""
    return sorted(p.stem for p in bench_dir.glob("*.py") if not p.name.startswith("_") and not _defines_run(p)
                  and "main" in (_functions(p) or {}))


def run_bench(name: str, *, quick: bool, timeout: float) -> Outcome:
    """Run one bench in a process of its own; its output goes to ours as it comes."""
    with tempfile.TemporaryDirectory(prefix="revflow-bench-") as tmp:
        out = Path(tmp) / "outcome.json"
        cmd = [sys.executable, "-m", "revflow.benchmarks", name, "--out", str(out), *(["--quick"] if quick else [])]
        started, cpu_before = time.monotonic(), _children_cpu()
        # A session of its own, so that a bench that overruns goes with every server it started.
        proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            return Outcome(name=name, quick=quick, seconds=time.monotonic() - started,
                           error=f"did not finish within {timeout:.0f} s (stopped)")
        except KeyboardInterrupt:
            _stop_group(proc)
            raise
        seconds, cpu = time.monotonic() - started, _children_cpu() - cpu_before
        if out.exists():
            outcome = msgspec.json.decode(out.read_bytes(), type=Outcome)
            outcome.seconds, outcome.cpu_seconds = seconds, cpu
            if code != 0 and outcome.error is None:
                outcome.error, outcome.result = f"exited with status {code}", None
            return outcome
        return Outcome(name=name, quick=quick, seconds=seconds, cpu_seconds=cpu,
                       error=f"exited with status {code} and no result")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _child(argv: list[str] | None = None) -> int:
    """In the bench's own process: import ``bench.NAME``, call ``run``, write the outcome as JSON."""
    parser = argparse.ArgumentParser(prog="python -m revflow.benchmarks")
    parser.add_argument("name")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    ns = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    outcome = Outcome(name=ns.name, quick=ns.quick)
    try:
        result = importlib.import_module(f"bench.{ns.name}").run(quick=ns.quick)
        if not isinstance(result, BenchResult):
            raise TypeError(f"run() returned {type(result).__name__}, not BenchResult")
        outcome.result = result
    except SystemExit as exc:  # a bench that gives up the way a script does (sys.exit("wrk is not installed"))
        outcome.error = str(exc.code) if not isinstance(exc.code, int) else f"exited with status {exc.code}"
    except Exception as exc:
        traceback.print_exc()
        outcome.error = f"{type(exc).__name__}: {exc}".strip()
    sys.stdout.flush()
    ns.out.write_bytes(msgspec.json.encode(outcome))
    return 0 if outcome.error is None else 1


# --- the machine ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunInfo:
    """When and on what a run of ``revflow bench`` happened."""

    date: str
    commit: str
    machine: dict[str, str]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _ram() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024 ** 3:.1f} GiB"
    except (ValueError, OSError):
        return "unknown"


def _os() -> str:
    release = dict(line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line)
    name = release.get("PRETTY_NAME", "").strip('"') or platform.system()
    return f"{name}, {platform.system()} {platform.release()} {platform.machine()}"


def _redis_version() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        try:
            return f"{client.info('server')['redis_version']} (at `REDIS_URL`)"
        finally:
            client.close()
    except Exception as exc:
        return f"none answered at `REDIS_URL` ({type(exc).__name__})"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> str:
    """The checkout's commit, and whether it had uncommitted changes (the figures are of those too)."""
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else head


def machine_info() -> RunInfo:
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    machine = {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count() or "unknown"),
        "RAM": _ram(),
        "OS": _os(),
        "Python": platform.python_version(),
        "Redis": _redis_version(),
        "load average at the start (1 / 5 / 15 min)": load,
    }
    return RunInfo(date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), commit=commit(), machine=machine)


# --- RESULTS.md -----------------------------------------------------------------------------------------------

def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def record_block(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Put ``markdown`` between the ``name`` markers of ``path``, replacing what was there and nothing else.

    A block not in the file yet is appended at its end (move it where it reads best: later runs find it there).
    """
    start, end = _markers(name)
    text = path.read_text() if path.exists() else ""
    block = f"{start}\n{markdown.strip()}\n{end}"
    starts, ends = text.count(start), text.count(end)
    if starts == ends == 0:
        text = f"{text.rstrip()}\n\n{block}\n" if text.strip() else f"{block}\n"
    elif starts == ends == 1 and text.index(start) < text.index(end):
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        raise ValueError(f"{path.name}: the markers of block {name!r} are not one start followed by one end")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as sink:
        sink.write(text)
    os.replace(tmp, path)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if size >= 10 else f"{value:.2f}"


def _ratio(ratio: Ratio, value: float | None = None) -> str:
    value = ratio.value if value is None else value
    return f"{value:.1%}" if ratio.percent else f"{_number(value)}x"


def _table(columns: list[str], rows: list[list[str]], right: tuple[int, ...] | None = None) -> list[str]:
    """A markdown table; the ``right`` columns (default: all but the first) aligned right."""
    right = tuple(range(1, len(columns))) if right is None else right
    align = ["---:" if i in right else "---" for i in range(len(columns))]
    return [f"| {' | '.join(columns)} |", f"|{'|'.join(align)}|", *(f"| {' | '.join(row)} |" for row in rows)]


def render_outcome(outcome: Outcome, info: RunInfo) -> str:
    """A bench's block: when and how it ran, its figures, its ratios against the same run's baseline."""
    result = outcome.result
    if result is None:
        raise ValueError(f"{outcome.name} has no result to record: {outcome.error}")
    mode = ("**short mode (`--quick`)**: a smoke run, its figures are not comparable with full runs"
            if outcome.quick else "full run")
    lines = [f"_Generated by `revflow bench {outcome.name}{' --quick' if outcome.quick else ''}`, {info.date}, "
             f"commit {info.commit}; {mode}; profile `{result.settings}`; took {outcome.seconds:.0f} s "
             f"({outcome.cpu_seconds:.0f} s of CPU)._", ""]
    if result.baseline:
        lines += [f"Baseline, measured in the same run: {result.baseline}.", ""]
    else:
        lines += ["No baseline: this bench's targets are absolute.", ""]
    if result.figures:
        with_targets = any(f.target for f in result.figures)
        rows = [[f.name, f"{_number(f.value)} {f.unit}".strip(), *([f.target or "(context)"] if with_targets else [])]
                for f in result.figures]
        lines += [*_table(["figure", "measured", *(["target"] if with_targets else [])], rows, right=(1,)), ""]
    if result.ratios:
        rows = []
        for r in result.ratios:
            met = r.met()
            if met is None:
                target = "(context)"
            else:
                sign = "<=" if r.lower_is_better else ">="
                target = f"{sign} {_ratio(r, r.target)}: {'met' if met else '**not met**'}"
            rows.append([r.name, f"**{_ratio(r)}**", target])
        lines += [*_table(["ratio to the baseline", "measured", "target"], rows, right=(1,)), ""]
    for table in result.tables:
        lines += [*_table(table.columns, table.rows), ""]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines).strip()


def render_machine(info: RunInfo, names: list[str], quick: bool) -> str:
    """The machine block: on what, and when, the last ``revflow bench`` ran."""
    ran = ", ".join(f"`{n}`" for n in names) + (" in short mode (`--quick`)" if quick else "")
    rows = [["date", info.date], ["commit", info.commit], *([k, v] for k, v in info.machine.items()),
            ["benches in this run", ran]]
    return "\n".join([f"_Generated by `revflow bench`: the machine of its last run ({info.date})._", "",
                      *_table(["", ""], rows, right=())])


if __name__ == "__main__":
    # Through the module's import name, so the result classes are the ones the benches import.
    from revflow.benchmarks import _child as child

    sys.exit(child())

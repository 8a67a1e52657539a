"""Processes the chaos run kills with SIGKILL and starts again: workers and services, each its own process.

A ``ProcessGroup`` holds numbered slots, each a ``revflow`` command (``worker quote_to_cash``, ``serve erp
--port N``). A kill gives the process no chance to finish anything (no signal handler runs, no lease is
released, no response is sent); a new process then takes the slot, and a service's is waited for until it
answers ``/health`` again. A kill takes the whole process tree: ``revflow serve`` runs its app in a server
worker process of its own, which would otherwise go on answering on the port after its parent died.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["Member", "ProcessGroup", "WorkerFleet", "descendants"]

READY_TIMEOUT_S = 90.0
"""Bounds the wait for a restarted service (importing an app on two busy cores takes seconds)."""


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (read from ``/proc``; none where there is no ``/proc``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # "pid (comm) state ppid ..."
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@dataclass
class Member:
    """One slot: the ``revflow`` arguments it runs, where it answers (``None``: no HTTP), its current process."""

    name: str
    argv: tuple[str, ...]
    url: str | None = None
    process: subprocess.Popen[bytes] | None = None


class ProcessGroup:
    """Processes started, killed and restarted as a group.

    Args:
        env: variables added to this process's environment for every member.
        logs: directory receiving one log file per started process.
    """

    def __init__(self, env: Mapping[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.logs = logs
        self.members: list[Member] = []
        self.started = 0
        self.kills: list[dict[str, Any]] = []

    @property
    def processes(self) -> list[subprocess.Popen[bytes] | None]:
        return [m.process for m in self.members]

    def add(self, name: str, argv: Iterable[str], *, url: str | None = None,
            process: subprocess.Popen[bytes] | None = None) -> int:
        """A new slot (``process``: one already running, started elsewhere); its number."""
        self.members.append(Member(name, tuple(argv), url, process))
        return len(self.members) - 1

    def slot(self, name: str) -> int:
        """The slot of the member called ``name``."""
        return next(i for i, m in enumerate(self.members) if m.name == name)

    def start(self, slot: int | None = None) -> None:
        """Start the process of ``slot`` (every slot without a live process when ``None``)."""
        slots = [i for i, m in enumerate(self.members) if m.process is None or m.process.poll() is not None]
        for index in slots if slot is None else (slot,):
            member = self.members[index]
            self.started += 1
            self.logs.mkdir(parents=True, exist_ok=True)
            with (self.logs / f"{member.name}-{self.started:02d}.log").open("wb") as sink:
                member.process = subprocess.Popen([sys.executable, "-m", "revflow.cli", *member.argv],
                                                  env=self.env, stdout=sink, stderr=subprocess.STDOUT)

    def kill(self, slots: Iterable[int], **context: Any) -> None:
        """SIGKILL the processes of ``slots`` at once, then start new ones in their place.

        ``context`` is recorded with the kill.

        Raises:
            RuntimeError: a slot had no live process, or a restarted service did not answer in time.
        """
        slots, pids = list(slots), []
        for index in slots:
            process = self.members[index].process
            if process is None or process.poll() is not None:
                raise RuntimeError(f"{self.members[index].name} is not running:\n{self.log_tail()}")
            tree = [process.pid, *descendants(process.pid)]
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait(10)
            pids += tree
        self.kills.append({"names": [self.members[i].name for i in slots], "pids": pids, **context})
        for index in slots:
            self.start(index)
        for index in slots:
            self.wait_ready(index)

    def wait_ready(self, slot: int, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until the member of ``slot`` answers ``/health`` (at once for a member without HTTP).

        Raises:
            RuntimeError: it exited or did not answer within ``timeout`` seconds.
        """
        member = self.members[slot]
        deadline = time.monotonic() + timeout
        while member.url is not None:
            if member.process is None or member.process.poll() is not None:
                raise RuntimeError(f"{member.name} exited while starting:\n{self.log_tail()}")
            try:
                if httpx.get(f"{member.url}/health", timeout=1).status_code < 500:  # sandboxes answer 404
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{member.name} did not answer at {member.url} in {timeout:.0f}s")
            time.sleep(0.1)

    def alive(self) -> bool:
        """Whether every slot's process is running."""
        return all(p is not None and p.poll() is None for p in self.processes)

    def stop(self) -> None:
        """Terminate every process (SIGTERM, then SIGKILL of its whole tree after 10 s)."""
        trees = {}
        for process in self.processes:
            if process is not None and process.poll() is None:
                trees[process.pid] = descendants(process.pid)
                process.terminate()
        deadline = time.monotonic() + 10
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            for pid in trees.get(process.pid, []):  # a server worker still finishing its requests
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        """The end of every log this group wrote (for a failure message)."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def __enter__(self) -> ProcessGroup:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WorkerFleet(ProcessGroup):
    """``size`` quote-to-cash workers, each its own process (``revflow worker quote_to_cash``).

    Args:
        env: the ``REVFLOW_QUOTE_TO_CASH_*`` (and shared) variables pointing the workers at the system APIs.
        size: how many workers run at once.
        logs: directory receiving one log file per started process.
    """

    def __init__(self, env: Mapping[str, str], size: int, logs: Path) -> None:
        super().__init__(env, logs)
        self.size = size
        for _ in range(size):
            self.add("worker", ("worker", "quote_to_cash"))

    def __enter__(self) -> WorkerFleet:
        self.start()
        return self

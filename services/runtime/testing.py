"""Test support: serve an ASGI app as a real HTTP server on loopback, in a thread of this process.

Used by end-to-end tests and benchmarks that must cross a real socket (DESIGN: services run as real HTTP
servers in end-to-end tests). The server runs the app's lifespan, exactly as in production.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["RunningServer", "free_port", "serve_in_thread"]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """A uvicorn server running an app in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"server-{self.port}", daemon=True)

    def start(self, timeout: float = 15.0) -> RunningServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[RunningServer]:
    """Serve ``app`` on loopback for the duration of the block."""
    server = RunningServer(app, port).start()
    try:
        yield server
    finally:
        server.stop()

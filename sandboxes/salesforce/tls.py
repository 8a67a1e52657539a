"""Serving the sandbox over HTTPS with a throwaway CA, as ``simple-salesforce`` needs.

:func:`make_certificates` writes a trustme CA and a server certificate for ``127.0.0.1``/``localhost``;
:func:`serve_tls` runs an ASGI app under uvicorn with them in a background thread. Run
``python -m sandboxes.salesforce.tls --port 8202 --cert-dir DIR`` to serve the sandbox as its own process
(clients trust ``DIR/ca.pem``).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import uvicorn

__all__ = ["Certificates", "TlsServer", "make_certificates", "serve_tls"]


@dataclass(frozen=True)
class Certificates:
    """Paths of the CA bundle clients trust and of the server's certificate chain and key."""

    ca: Path
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """Write ``ca.pem``, ``server.pem`` (chain) and ``server-key.pem`` for 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca.cert_pem.write_to_path(str(paths.ca))
    server.private_key_pem.write_to_path(str(paths.key))
    with paths.cert.open("wb") as chain:
        for blob in server.cert_chain_pems:
            chain.write(blob.bytes())
    return paths


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TlsServer:
    """A uvicorn HTTPS server running an app in a background thread."""

    def __init__(self, app: Any, certs: Certificates, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.certs = certs
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning",
                                access_log=False, ssl_certfile=str(certs.cert), ssl_keyfile=str(certs.key),
                                # Idle keep-alive TLS connections would hold a graceful shutdown for seconds.
                                timeout_graceful_shutdown=0.5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"tls-{self.port}", daemon=True)

    def start(self, timeout: float = 15.0) -> TlsServer:
        """Start and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"TLS server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)


@contextlib.contextmanager
def serve_tls(app: Any, certs: Certificates, port: int | None = None) -> Iterator[TlsServer]:
    """Serve ``app`` over HTTPS on loopback for the duration of the block."""
    server = TlsServer(app, certs, port).start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the Salesforce sandbox over HTTPS until interrupted."""
    from .app import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8202)
    parser.add_argument("--cert-dir", type=Path, default=Path(".salesforce-tls"))
    args = parser.parse_args(argv)
    certs = make_certificates(args.cert_dir)
    print(f"https://127.0.0.1:{args.port}  (trust {certs.ca})")
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, ssl_certfile=str(certs.cert),
                ssl_keyfile=str(certs.key), log_level="warning")


if __name__ == "__main__":
    main()

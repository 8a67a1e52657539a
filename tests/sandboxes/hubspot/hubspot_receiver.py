"""A tiny ASGI webhook receiver: records each POST's raw body and headers, optionally failing the first few."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["Receiver"]


class Receiver:
    """Records ``(body, headers)`` of every POST and answers 204, or 500 while ``fail_first`` lasts."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.refused = 0
        self.fail_first = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.refused = 0
            self.fail_first = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                self.refused += 1
                status = 500
            else:
                self.received.append((body, headers))
                status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

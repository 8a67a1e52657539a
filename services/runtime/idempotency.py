"""``Idempotency-Key`` for state-changing requests (IETF httpapi idempotency-key draft), stored in Redis.

The first request with a key runs and, when it succeeds, its status, headers and body are stored (24 h by
default). A repeat with the same key, the same principal and the same request fingerprint (method, path,
query, body) gets the stored response again with ``Idempotent-Replayed: true``. A repeat that arrives while the
first is still running waits briefly for it and replays its response; if the first is still running after
that, the repeat gets 409. The same key with another request gets 422. Only successes are stored: after a
refusal (4xx) or a failure (5xx) the client can fix the cause and retry under the same key. Keys are scoped
per principal (client and tenant), so two clients can never collide.

Redis keys: ``<prefix>idem:{<scope-hash>}:lock`` and ``...:record`` share one hash tag (one Cluster slot).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
import weakref
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from redis.asyncio import Redis

from services.runtime.problems import send_problem
from services.runtime.redis import KeySpace

__all__ = ["IDEMPOTENCY_OPT", "IdempotencyMiddleware", "StoredResponse"]

IDEMPOTENCY_OPT = "idempotency"
"""Handler ``opt`` key: ``"required"`` makes a missing key a 400; ``"off"`` disables the middleware."""

log = logging.getLogger("revflow.idempotency")
_METHODS = frozenset({"POST", "PATCH", "DELETE"})
_KEY_HEADER = b"idempotency-key"
_MAX_KEY_LENGTH = 255
_SKIP_HEADERS = frozenset({b"content-length", b"date", b"x-correlation-id", b"server"})

# One round trip decides: the stored response if there is one, else the lock if it is free, else "busy".
# Doing it in one script closes the window where a first request completes between a GET and a SET NX.
_BEGIN = """
local stored = redis.call('GET', KEYS[2])
if stored then return {'stored', stored} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'acquired', ''} end
return {'busy', ''}
"""
_COMPLETE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"


class StoredResponse(msgspec.Struct, frozen=True, array_like=True):
    """What is kept of a completed request: enough to replay it byte for byte."""

    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class IdempotencyMiddleware(ASGIMiddleware):
    """Runs after routing and authentication; the Redis client comes from ``app.state.redis``."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, *, keyspace: KeySpace, ttl_ms: int, lock_ms: int, max_body_bytes: int,
                 wait_ms: int = 2_000) -> None:
        self.keyspace = keyspace
        self.ttl_ms = ttl_ms
        self.lock_ms = lock_ms
        self.max_body_bytes = max_body_bytes
        self.wait_ms = wait_ms

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        mode = scope["route_handler"].opt.get(IDEMPOTENCY_OPT, "optional")
        if scope["method"] not in _METHODS or mode == "off":
            await next_app(scope, receive, send)
            return
        key = _header(scope, _KEY_HEADER)
        if key is None:
            if mode == "required":
                await send_problem(send, scope, slug="idempotency-key-missing", status=400,
                               detail=f"{scope['method']} {scope['path']} requires an Idempotency-Key header.")
                return
            await next_app(scope, receive, send)
            return
        if not 0 < len(key) <= _MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
            await send_problem(send, scope, slug="validation", status=400,
                               detail=f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} printable ASCII characters.")
            return
        try:
            body = await _read_body(receive, self.max_body_bytes)
        except _ClientGone:
            return
        if body is None:
            await send_problem(send, scope, slug="payload-too-large", status=413,
                               detail=f"The request body exceeds {self.max_body_bytes} bytes.")
            return
        await self._run_once(scope, receive, send, next_app, (key, body))

    async def _run_once(self, scope: Any, receive: Any, send: Any, next_app: Any, request: tuple[str, bytes]) -> None:
        key, body = request
        redis: Redis = scope["app"].state.redis
        lock, record = self._keys(scope, key)
        fingerprint = _fingerprint(scope, body)
        token = uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + self.wait_ms / 1000
        delay = 0.005
        while True:
            outcome, stored = await _scripts(redis).begin(keys=[lock, record], args=[token, self.lock_ms])
            if outcome == b"stored":
                await self._replay(send, scope, msgspec.msgpack.decode(stored, type=StoredResponse), fingerprint)
                return
            if outcome == b"acquired":
                break
            if asyncio.get_running_loop().time() >= deadline:
                await send_problem(send, scope, slug="idempotency-in-flight", status=409,
                               detail="A request with this Idempotency-Key is still being processed; retry later.",
                               headers={b"retry-after": b"1"})
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        await self._execute(scope, (receive, send), next_app, body, redis, (lock, record, token, fingerprint))

    async def _execute(self, scope: Any, channel: tuple[Any, Any], next_app: Any, body: bytes, redis: Redis,
                       keys: tuple[str, str, str, str]) -> None:
        receive, send = channel
        lock, record, token, fingerprint = keys
        response = _CapturedResponse(send)
        # The lock must outlive the handler however long its upstream retries take: renew it while it runs.
        # Most requests finish long before the first renewal, so the renewing task is only started then.
        loop = asyncio.get_running_loop()
        renewal: list[asyncio.Task[None]] = []
        timer = loop.call_later(self.lock_ms / 3000, lambda: renewal.append(
            loop.create_task(self._keep_lock(redis, lock, token))))
        try:
            await next_app(scope, _replay_receive(body, receive), response.send)
        finally:
            timer.cancel()
            for task in renewal:
                task.cancel()
            await self._settle(redis, (lock, record, token), response, fingerprint, scope)

    async def _keep_lock(self, redis: Redis, lock: str, token: str) -> None:
        interval = self.lock_ms / 3000
        while True:
            if not await _scripts(redis).renew(keys=[lock], args=[token, self.lock_ms]):
                log.error("idempotency lock %s was lost while its request ran", lock)
                return
            await asyncio.sleep(interval)

    async def _settle(self, redis: Redis, keys: tuple[str, str, str], response: _CapturedResponse,
                      fingerprint: str, scope: Any) -> None:
        lock, record, token = keys
        if not response.storable:
            await _scripts(redis).release(keys=[lock], args=[token])
            return
        stored = StoredResponse(fingerprint, response.status, response.headers, response.body)
        if not await _scripts(redis).complete(keys=[lock, record],
                                              args=[token, msgspec.msgpack.encode(stored), self.ttl_ms]):
            log.error("response to %s %s was not stored under its Idempotency-Key: the lock was lost",
                      scope["method"], scope["path"])

    async def _replay(self, send: Any, scope: Any, stored: StoredResponse, fingerprint: str) -> None:
        if stored.fingerprint != fingerprint:
            await send_problem(send, scope, slug="idempotency-key-reused", status=422,
                               detail="This Idempotency-Key was used with a different request (method, path or body).")
            return
        headers = [*stored.headers, (b"idempotent-replayed", b"true"),
                   (b"content-length", str(len(stored.body)).encode())]
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})

    def _keys(self, scope: Any, key: str) -> tuple[str, str]:
        user = scope.get("user")
        principal = f"{getattr(user, 'client_id', '-')}|{getattr(user, 'tenant', None) or '-'}"
        tag = hashlib.sha256(f"{principal}\x00{key}".encode()).hexdigest()[:32]
        return self.keyspace.tagged(f"idem:{tag}", "lock"), self.keyspace.tagged(f"idem:{tag}", "record")


class _Scripts:
    """The Lua scripts, registered once per client: EVALSHA sends 40 bytes instead of the script each time."""

    def __init__(self, redis: Redis) -> None:
        self.begin = redis.register_script(_BEGIN)
        self.complete = redis.register_script(_COMPLETE)
        self.release = redis.register_script(_RELEASE)
        self.renew = redis.register_script(_RENEW)


_REGISTERED: weakref.WeakKeyDictionary[Redis, _Scripts] = weakref.WeakKeyDictionary()


def _scripts(redis: Redis) -> _Scripts:
    scripts = _REGISTERED.get(redis)
    if scripts is None:
        scripts = _REGISTERED[redis] = _Scripts(redis)
    return scripts


class _CapturedResponse:
    """Passes the response through to the client and keeps a copy of it."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self.complete = False

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in _SKIP_HEADERS]
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)
        await self._send(message)

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

    @property
    def storable(self) -> bool:
        """Store complete successes only.

        A 4xx changed nothing (no service half-writes), so re-running it after the cause is fixed is safe and is
        what a workflow resuming after a fix needs; a 5xx may have changed something, and a re-run under the same
        key reaches the vendor's own idempotency, which settles it.
        """
        return self.complete and 200 <= self.status < 400


def _fingerprint(scope: Any, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["raw_path"] if scope.get("raw_path") else scope["path"].encode(),
                 scope.get("query_string", b""), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class _ClientGone(Exception):
    """The client disconnected before sending its whole body: nothing is run for it."""


async def _read_body(receive: Any, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_receive(body: bytes, receive: Any) -> Any:
    """The buffered body first, then the real channel (so streaming responses still see a disconnect)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

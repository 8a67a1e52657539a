"""Server-side sessions of people using the console, in Redis.

The browser holds only a random session id (256 bits) in an ``HttpOnly``, ``SameSite=Lax`` cookie; Redis
holds the session under the id's SHA-256, so someone reading Redis cannot ride a live session. A visitor who
is not signed in gets an *anonymous* session carrying the CSRF token of the sign-in form; signing in throws
that session away and issues a new id (a session id planted before sign-in is worth nothing after it).
Sessions end after ``idle_seconds`` without a request (sliding, refreshed by every read) and at the latest
``max_seconds`` after sign-in. Each session has its own CSRF token, checked on every state-changing form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Literal

import msgspec
from redis.asyncio import Redis

from services.experience.ops_console.settings import ConsoleUser, Role
from services.runtime.redis import KeySpace

__all__ = ["LoginThrottle", "Session", "SessionStore"]

ANONYMOUS_TTL = 1_800
"""How long the sign-in form of an anonymous visitor stays valid."""


class Session(msgspec.Struct, kw_only=True):
    """What the server knows about one browser session."""

    kind: Literal["anonymous", "person"]
    csrf: str
    created: float
    """Unix time the session began (sign-in, for a person)."""
    username: str | None = None
    name: str | None = None
    roles: tuple[Role, ...] = ()
    flash: list[str] = []
    """Messages for the next page (the outcome of a form), shown once."""

    @property
    def signed_in(self) -> bool:
        return self.kind == "person" and self.username is not None

    def csrf_ok(self, token: str | None) -> bool:
        """Constant-time comparison with the session's CSRF token."""
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Session).decode


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class SessionStore:
    """Create, read, refresh and end sessions."""

    def __init__(self, redis: Redis, keyspace: KeySpace, *, idle_seconds: int, max_seconds: int) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.idle_seconds, self.max_seconds = idle_seconds, max_seconds

    def _key(self, session_id: str) -> str:
        return self.keyspace.key("ops_console", "session", hashlib.sha256(session_id.encode()).hexdigest())

    async def load(self, session_id: str | None) -> Session | None:
        """The live session of ``session_id`` (its idle timer restarted), or ``None``."""
        if not session_id or len(session_id) > 100:
            return None
        key = self._key(session_id)
        raw = await self.redis.getex(key, ex=self.idle_seconds)
        if raw is None:
            return None
        try:
            session = _decode(raw)
        except msgspec.DecodeError:
            await self.redis.delete(key)
            return None
        if session.kind == "person" and time.time() - session.created > self.max_seconds:
            await self.redis.delete(key)
            return None
        return session

    async def save(self, session_id: str, session: Session) -> None:
        """Store ``session`` (a flash message added, for instance), keeping its timeouts."""
        ttl = self.idle_seconds if session.kind == "person" else ANONYMOUS_TTL
        await self.redis.set(self._key(session_id), _encode(session), ex=ttl)

    async def anonymous(self) -> tuple[str, Session]:
        """A new session for a visitor who is not signed in (it carries the sign-in form's CSRF token)."""
        session_id = _new_id()
        session = Session(kind="anonymous", csrf=secrets.token_urlsafe(32), created=time.time())
        await self.save(session_id, session)
        return session_id, session

    async def sign_in(self, previous_id: str | None, user: ConsoleUser) -> tuple[str, Session]:
        """End the previous session (if any) and start a person's session under a new id."""
        if previous_id:
            await self.end(previous_id)
        session_id = _new_id()
        session = Session(kind="person", csrf=secrets.token_urlsafe(32), created=time.time(),
                          username=user.username, name=user.name, roles=user.roles)
        await self.save(session_id, session)
        return session_id, session

    async def end(self, session_id: str) -> None:
        """Forget the session (sign-out)."""
        await self.redis.delete(self._key(session_id))


class LoginThrottle:
    """Counts failed sign-ins per username; refuses more than ``attempts`` within ``window_seconds``."""

    def __init__(self, redis: Redis, keyspace: KeySpace, *, attempts: int, window_seconds: int) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.attempts, self.window_seconds = attempts, window_seconds

    def _key(self, username: str) -> str:
        return self.keyspace.key("ops_console", "login_failures", hashlib.sha256(username.encode()).hexdigest())

    async def blocked(self, username: str) -> bool:
        raw = await self.redis.get(self._key(username))
        return raw is not None and int(raw) >= self.attempts

    async def failed(self, username: str) -> None:
        key = self._key(username)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window_seconds, nx=True)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        await self.redis.delete(self._key(username))

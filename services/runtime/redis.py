"""Redis client factory and key naming, the one place protocol and response shapes are pinned.

Keys always start with the service's ``key_prefix`` and put the part that must stay together in one Redis
Cluster slot inside ``{hash tags}``.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

__all__ = ["KeySpace", "create_redis"]


def create_redis(url: str, max_connections: int = 64, wait_seconds: float = 5.0) -> Redis:
    """A client with RESP2-shaped responses pinned, whatever the library default becomes.

    The pool is bounded and blocking: under a burst, requests wait up to ``wait_seconds`` for a connection
    instead of opening one per request (which exhausts Redis) or failing at once.
    """
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=wait_seconds,
                                           protocol=2, decode_responses=False, health_check_interval=30)
    return Redis(connection_pool=pool)


class KeySpace:
    """Builds the Redis keys of one service (or one test) under a common prefix."""

    def __init__(self, prefix: str = "revflow:") -> None:
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        """Join ``parts`` under the prefix: ``key("idem", "{t:k}", "lock")`` -> ``revflow:idem:{t:k}:lock``."""
        return self.prefix + ":".join(parts)

    def tagged(self, tag: str, *parts: str) -> str:
        """A key whose ``tag`` is a Cluster hash tag, so all keys sharing it live in one slot."""
        return self.prefix + ":".join((f"{{{tag}}}", *parts))

"""Redis client factory and key naming, the one place protocol and response shapes are pinned.

Keys always start with the service's ``key_prefix`` and put the part that must stay together in one Redis
Cluster slot inside ``{hash tags}``.
"""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["KeySpace", "create_redis"]


def create_redis(url: str) -> Redis:
    """A client with RESP2-shaped responses pinned, whatever the library default becomes."""
    return Redis.from_url(url, protocol=2, decode_responses=False, health_check_interval=30)


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

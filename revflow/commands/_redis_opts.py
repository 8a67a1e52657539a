"""Shared ``--redis-url`` / ``--prefix`` options of the commands that work on Redis directly (private)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.runtime.redis import create_redis

__all__ = ["DEFAULT_PREFIX", "DEFAULT_REDIS_URL", "redis_options", "run_with_redis"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "revflow:"
EXIT_UNAVAILABLE = 2
"""Exit status when Redis does not answer (1 is kept for "checked, and found a problem")."""

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def redis_options(fn: F) -> F:
    """Add ``--redis-url`` (env ``REDIS_URL``) and ``--prefix`` to a command."""
    fn = click.option("--prefix", default=DEFAULT_PREFIX, show_default=True,
                      help="Key prefix of the deployment.")(fn)
    return click.option("--redis-url", envvar="REDIS_URL", default=DEFAULT_REDIS_URL, show_default=True,
                        help="Redis to read (env REDIS_URL).")(fn)


def run_with_redis(url: str, work: Callable[[Redis], Awaitable[T]]) -> T:
    """Run ``work`` with a client on ``url`` in a fresh event loop; exit 2 when Redis does not answer."""

    async def main() -> T:
        redis = create_redis(url)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(main())
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        click.echo(f"error: no Redis answers at {url}: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_UNAVAILABLE) from None
